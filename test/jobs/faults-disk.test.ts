import { execFileSync } from "node:child_process";
import { open, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { expectFlaiError } from "../helpers/assert.js";
import { FIXTURES, tempDir, tempProject } from "../helpers/project.js";

/** Mounts a tmpfs of `size` at a fresh folder; undefined where mounting is not allowed (not root). */
async function tinyDisk(size: string): Promise<string | undefined> {
  const dir = await tempDir("flai-tiny-disk-");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
    return dir;
  } catch {
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** Takes every free byte of the filesystem holding `dir`. */
async function fillUp(dir: string): Promise<void> {
  const handle = await open(path.join(dir, "filler"), "w");
  try {
    for (;;) await handle.write(Buffer.alloc(4096, 1));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    await handle.close();
  }
}

describe("faults: the disk fills up while flai:train writes its result", function () {
  this.timeout(60_000);
  let hre: HardhatRuntimeEnvironment;
  let disk: string | undefined;
  let jobId: string;

  before(async function () {
    disk = await tinyDisk("64k");
    // These machines (and CI) run as root; a full disk is simulated for real, never skipped.
    if (disk === undefined) {
      throw new Error("cannot mount a 64 KiB tmpfs to simulate a full disk: run the tests as root (as CI does)");
    }
    ({ hre } = await tempProject());
    await hre.flai.jobs.registerEnclave();
    const submitted = await hre.flai.jobs.submit({
      data: path.join(FIXTURES, "data.json"),
      model: path.join(FIXTURES, "model.json"),
      reward: "0.01",
      public: true, // a public job's flai:train writes the model file beside the result
    });
    jobId = submitted.job.id.toString();
  });

  after(async () => {
    if (disk !== undefined) {
      execFileSync("umount", [disk]);
      await rm(disk, { recursive: true, force: true });
    }
  });

  /** flai:train as the CLI runs it (its JSON output muted). */
  async function train(out: string, payee?: string): Promise<void> {
    const log = console.log;
    console.log = () => {};
    try {
      await hre.tasks.getTask("flai:train").run({ job: jobId, out, payee, complete: false, json: true, force: true });
    } finally {
      console.log = log;
    }
  }

  it("a clear error; the previous result and model files are intact; no temp file is left", async () => {
    const out = path.join(disk!, "job.json");
    const model = path.join(disk!, "job.model.json");
    // The earlier result names another payee, so the new one differs from it byte for byte.
    await train(out, "0x000000000000000000000000000000000000dEaD");
    const previous = { result: await readFile(out), model: await readFile(model) };
    expect(JSON.parse(previous.result.toString())).to.include({
      format: "flai-result/v3",
      payee: "0x000000000000000000000000000000000000dEaD",
    });

    await fillUp(disk!);
    await expectFlaiError(() => train(out), `Cannot write ${out}`, "no space left", "ENOSPC");
    expect((await readFile(out)).equals(previous.result)).to.equal(true);
    expect((await readFile(model)).equals(previous.model)).to.equal(true);
    expect((await readdir(disk!)).sort()).to.deep.equal(["filler", "job.json", "job.model.json"]);

    // With no earlier file: nothing appears at all.
    const fresh = path.join(disk!, "fresh.json");
    await expectFlaiError(() => train(fresh), `Cannot write ${fresh}`, "ENOSPC");
    expect((await readdir(disk!)).sort()).to.deep.equal(["filler", "job.json", "job.model.json"]);
  });
});
