// Issue 15: flai:submit --data given a FIFO or a device hung (or read /dev/zero until memory ran
// out); through the task, as through readLocalFile, it is refused by what it is, nothing stored.
import { execFileSync } from "node:child_process";
import { access } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { expectFlaiError } from "../helpers/assert.js";
import { FIXTURES, tempProject } from "../helpers/project.js";

describe("bad input (issue 15): flai:submit --data that is not a regular file", function () {
  this.timeout(60_000);
  let hre: HardhatRuntimeEnvironment;
  let root: string;

  before(async () => {
    ({ hre, root } = await tempProject());
  });

  async function submit(data: string): Promise<void> {
    const log = console.log;
    console.log = () => {};
    try {
      await hre.tasks.getTask("flai:submit").run({ data, model: path.join(FIXTURES, "model.json"), reward: "0.01", json: true });
    } finally {
      console.log = log;
    }
  }

  it("--data /dev/zero is refused as a character device", async () => {
    await expectFlaiError(() => submit("/dev/zero"), '--data "/dev/zero" is a character device');
  });

  it("--data a FIFO nobody writes to is refused at once, and nothing was stored", async () => {
    const fifo = path.join(root, "data.csv");
    execFileSync("mkfifo", [fifo]);
    await expectFlaiError(() => submit(fifo), "named pipe (FIFO)");
    const stored = await access(path.join(root, ".flai", "storage")).then(
      () => true,
      () => false,
    );
    expect(stored).to.equal(false);
  });
});
