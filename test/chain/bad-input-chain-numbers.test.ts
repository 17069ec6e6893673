import { access } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { expectFlaiError } from "../helpers/assert.js";
import { FIXTURES, tempProject } from "../helpers/project.js";

// Issue 15: a --deadline beyond the contract's uint40 field failed in ethers' encoder, and the error
// read "check the account is funded". It is range-checked before anything is uploaded or sent.
describe("bad input (issue 15): a job deadline must fit the contract's uint40", function () {
  this.timeout(60_000);
  let hre: HardhatRuntimeEnvironment;
  let root: string;
  const inputs = { data: path.join(FIXTURES, "data.json"), model: path.join(FIXTURES, "model.json"), reward: "0.01" };

  before(async () => {
    ({ hre, root } = await tempProject());
  });

  /** flai:submit as the CLI runs it (its JSON output muted). */
  async function submit(deadline: string): Promise<void> {
    const log = console.log;
    console.log = () => {};
    try {
      await hre.tasks.getTask("flai:submit").run({ ...inputs, deadline, json: true });
    } finally {
      console.log = log;
    }
  }

  it("--deadline 2000000000000 (beyond 2^40 − 1 from now) names the option, the field and the most it may be", async () => {
    await expectFlaiError(() => submit("2000000000000"), "--deadline is 2000000000000 seconds", "uint40", "give at most");
  });

  it("the largest whole number --deadline takes is refused the same way, and nothing was uploaded", async () => {
    await expectFlaiError(() => submit(String(Number.MAX_SAFE_INTEGER)), "--deadline", "uint40");
    // Refused before the inputs were stored: the project's local storage was never created.
    const stored = await access(path.join(root, ".flai", "storage")).then(
      () => true,
      () => false,
    );
    expect(stored).to.equal(false);
  });

  it("hre.flai.jobs.submit with deadlineSeconds past the field is refused; one that fits submits", async () => {
    await expectFlaiError(() => hre.flai.jobs.submit({ ...inputs, deadlineSeconds: 2 ** 40 }), "uint40");
    const submitted = await hre.flai.jobs.submit({ ...inputs, deadlineSeconds: 10 * 365 * 86400 });
    expect(submitted.job.id).to.equal(1n);
  });
});
