import path from "node:path";

import { expect } from "chai";

import { parseId, parseRound } from "../../src/chain/ids.js";
import { optionalNumber, optionalWhole } from "../../src/cli/options.js";
import { strategyFromArgs } from "../../src/cli/strategy-args.js";

import { expectFlaiError } from "../helpers/assert.js";
import { FIXTURES, tempProject } from "../helpers/project.js";

// Issue 15, echoed input: an id or number option is quoted as a short excerpt, never whole, and a
// private key pasted into the wrong option is masked to its ends.
const KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

describe("bad input (issue 15): id and number options never echo a key or a long value", () => {
  it("a private key given as --job is masked in the error", async () => {
    const error = await expectFlaiError(() => parseId(KEY, "job", "--job"), "--job", "is not a job id", "64 hex digits, hidden");
    expect(error.message).to.not.contain(KEY);
    expect(error.message).to.not.contain(KEY.slice(4, 60));
  });

  it("a 1 MB --task or --round is cut to a short excerpt naming its length", async () => {
    const huge = "9".repeat(1_000_000) + "x";
    const task = await expectFlaiError(() => parseId(huge, "task", "--task"), "(1000001 characters)");
    expect(task.message.length).to.be.below(400);
    const round = await expectFlaiError(() => parseRound(huge), "--round", "(1000001 characters)");
    expect(round.message.length).to.be.below(400);
  });

  it("--deadline and --trim quote a bad value as an excerpt (a key masked, a long one cut)", async () => {
    const deadline = await expectFlaiError(() => optionalWhole("0x" + KEY, "--deadline", { min: 1 }), "--deadline", "hidden");
    expect(deadline.message).to.not.contain(KEY);
    const trim = await expectFlaiError(
      () => optionalNumber("0." + "1".repeat(5000) + "z", "--trim", { min: 0, below: 0.5 }),
      "--trim",
      "(5003 characters)",
    );
    expect(trim.message.length).to.be.below(400);
  });

  it("--strategy and --model-format quote a pasted key masked, not whole", async () => {
    const strategy = await expectFlaiError(() => strategyFromArgs({ strategy: KEY }), "--strategy must be one of", "hidden");
    expect(strategy.message).to.not.contain(KEY);
    const format = await expectFlaiError(
      () => strategyFromArgs({ strategy: "fedavg", modelFormat: "0x" + KEY }),
      "--model-format",
      "hidden",
    );
    expect(format.message).to.not.contain(KEY);
  });

  it("a private key pasted as --payee of flai:train is masked in the error", async function () {
    this.timeout(60_000);
    const { hre } = await tempProject();
    await hre.flai.jobs.registerEnclave();
    const submitted = await hre.flai.jobs.submit({
      data: path.join(FIXTURES, "data.json"),
      model: path.join(FIXTURES, "model.json"),
      reward: "0.01",
    });
    const error = await expectFlaiError(
      () => hre.flai.jobs.train(submitted.job.id, { payee: "0x" + KEY }),
      "--payee must be a 0x address",
      "hidden",
    );
    expect(error.message).to.not.contain(KEY);
  });
});
