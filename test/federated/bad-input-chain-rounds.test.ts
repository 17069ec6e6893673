import { expect } from "chai";

import { expectFlaiError } from "../helpers/assert.js";
import { federatedFixture, sampleTask, type FederatedFixture } from "../helpers/federated.js";

// Issue 15: a claim for a round beyond the task said "not finalized yet", as if waiting would help.
describe("bad input (issue 15): a claim names how many rounds the task has", function () {
  this.timeout(60_000);
  let fx: FederatedFixture;
  let taskId: bigint;

  before(async () => {
    fx = await federatedFixture({ holdout: 15, split: 15 }, 2);
    taskId = await sampleTask(fx, 2, 2);
  });

  const claim = (round: number) => fx.hre.flai.fedavg.claim({ taskId, round, signer: fx.signers[1], connection: fx.connection });

  it("round 3 of a 2-round task: the task has only 2 rounds, not 'not finalized yet'", async () => {
    const error = await expectFlaiError(() => claim(3), `Task ${taskId} has only 2 round(s)`, "round 3 does not exist", "from 1 to 2");
    expect(error.message).to.not.contain("not finalized");
  });

  it("the last possible round number (65535) gets the same answer", async () => {
    await expectFlaiError(() => claim(65535), "has only 2 round(s)", "round 65535 does not exist");
  });

  it("a round of the task that is still open is 'not finalized yet', as before", async () => {
    await expectFlaiError(() => claim(2), `Round 2 of task ${taskId} is not finalized yet`);
  });
});
