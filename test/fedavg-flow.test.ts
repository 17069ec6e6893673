import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../src/connection.js";
import { holdoutSplit, partitionDataset } from "../src/fedavg/partition.js";
import { parseDataset, type Dataset } from "../src/ml/dataset.js";

import { FIXTURES, tempDir, tempProject } from "./helpers/project.js";

export function datasetJson(ds: Dataset): string {
  const features: number[][] = [];
  for (let i = 0; i < ds.rows; i++) features.push(Array.from(ds.features.subarray(i * ds.cols, (i + 1) * ds.cols)));
  return JSON.stringify({ features, labels: Array.from(ds.labels) });
}

describe("fedavg: federated rounds end to end", function () {
  this.timeout(180_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let clients: Dataset[];
  let evaluation: string;

  before(async () => {
    ({ hre } = await tempProject());
    connection = await hre.network.create();
    const all = parseDataset(await readFile(path.join(FIXTURES, "data.json")), "data.json");
    const { train, test } = holdoutSplit(all, 0.25, 1);
    clients = partitionDataset(train, 3, { scheme: "iid", seed: 2 });
    evaluation = path.join(await tempDir(), "holdout.json");
    await writeFile(evaluation, datasetJson(test));
  });

  it("creates a task, runs clients, aggregates in the enclave, finalizes and pays rewards", async () => {
    const { fedavg } = hre.flai;
    const created = await fedavg.createTask({
      model: path.join(FIXTURES, "model.json"),
      evaluation,
      rounds: 2,
      quorum: 3,
      reward: "0.3",
      connection,
    });
    const taskId = created.task.id;
    const signers = (await connection.ethers.getSigners()).slice(1, 4);
    for (let round = 1; round <= 2; round++) {
      for (let i = 0; i < 3; i++) {
        const r = await fedavg.runClient({ taskId, data: clients[i]!, signer: signers[i], connection });
        expect(r.round).to.equal(round);
      }
      const agg = await fedavg.aggregate({ taskId, connection });
      expect(agg.accepted).to.have.length(3);
      expect(agg.rejected).to.have.length(0);
      expect(agg.metrics.accuracy).to.be.greaterThan(0.9);
    }
    const status = await fedavg.status(taskId, { connection });
    expect(status.task.status).to.equal("finished");
    let paid = 0n;
    for (let round = 1; round <= 2; round++) {
      for (const signer of signers) {
        paid += (await fedavg.claim({ taskId, round, signer, connection })).amount;
      }
    }
    expect(paid).to.equal(3n * 10n ** 17n);
  });
});
