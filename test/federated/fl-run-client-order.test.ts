import path from "node:path";

import { expect } from "chai";

import { FIXTURES } from "../helpers/project.js";
import { federatedFixture, readersOf } from "../helpers/federated.js";

/**
 * fl-run lets several clients of a round work at once (simulation.ts), so the order their
 * recordUpdate transactions are mined in varies from run to run. That is only sound because the
 * enclave's result does not depend on the record order: the same updates recorded in the opposite
 * order must give the same global model, to the bit.
 */
describe("fl-run: the order clients record their updates in changes no result", function () {
  this.timeout(300_000);

  it("two tasks with the same clients and data, recorded in opposite orders, publish the same weights and metrics", async () => {
    const { hre, connection, signers, shares, evaluation } = await federatedFixture({ holdout: 5, split: 6 }, 4);
    const clients = signers.slice(1, 5);

    async function oneRound(order: number[]) {
      const { task } = await hre.flai.fedavg.createTask({
        model: path.join(FIXTURES, "model.json"),
        evaluation,
        standardizeOn: shares[0]!,
        rounds: 1,
        quorum: clients.length,
        reward: "1",
        clients: await readersOf(hre, connection, clients),
        connection,
      });
      const recorded: string[] = [];
      for (const i of order) {
        recorded.push((await hre.flai.fedavg.runClient({ taskId: task.id, data: shares[i]!, signer: clients[i], connection })).client);
      }
      const agg = await hre.flai.fedavg.aggregate({ taskId: task.id, connection });
      const model = (await hre.flai.fedavg.readGlobalModel(task.id, { round: 1, connection })).model;
      return {
        recorded,
        weights: model.weights,
        bias: model.bias,
        metrics: model.metrics,
        accepted: agg.accepted.map((a) => [a.client, a.weight]),
      };
    }

    const forward = await oneRound([0, 1, 2, 3]);
    const backward = await oneRound([3, 2, 1, 0]);
    expect(backward.recorded).to.deep.equal([...forward.recorded].reverse());
    expect(backward.weights).to.deep.equal(forward.weights);
    expect(backward.bias).to.deep.equal(forward.bias);
    expect(backward.metrics).to.deep.equal(forward.metrics);
    expect(backward.accepted).to.deep.equal(forward.accepted);
  });
});
