import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { Contract } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { holdoutSplit, partitionDataset } from "../../src/federated/partition.js";
import { datasetJson, runSimulation } from "../../src/federated/simulation.js";
import { loadFlaiArtifact } from "../../src/chain/artifact.js";
import { parseDataset, type Dataset } from "../../src/ml/dataset.js";

import { expectFlaiError } from "../helpers/assert.js";
import { readersOf } from "../helpers/federated.js";
import { FIXTURES, tempDir, tempProject } from "../helpers/project.js";

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
      standardizeOn: clients[0]!,
      rounds: 2,
      quorum: 3,
      reward: "0.3",
      clients: await readersOf(hre, connection, (await connection.ethers.getSigners()).slice(1, 4)),
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

  it("the enclave key is checked while the client trains: a training error is still reported first, and a removed enclave still stops the seal", async () => {
    // A chain of its own: removing the enclave must not reach the other tests.
    const own = await hre.network.create();
    const { fedavg, jobs } = hre.flai;
    const created = await fedavg.createTask({
      model: path.join(FIXTURES, "model.json"),
      evaluation,
      standardizeOn: clients[0]!,
      rounds: 1,
      quorum: 3,
      reward: "0.3",
      clients: await readersOf(hre, own, (await own.ethers.getSigners()).slice(1, 2)),
      connection: own,
    });
    const [owner, client] = await own.ethers.getSigners();
    const registry = new Contract((await jobs.deployment({ connection: own })).address, loadFlaiArtifact("FLAIComputeJobs").abi, owner);
    await (await registry.getFunction("removeEnclave")(created.task.enclave)).wait();

    // The key check fails during training; the training's own error is the one reported (and the check's is not left unhandled).
    const narrow: Dataset = {
      rows: 2,
      cols: 3,
      features: new Float64Array([1, 2, 3, 3, 2, 1]),
      labels: new Uint8Array([0, 1]),
      classes: [0, 1],
    };
    await expectFlaiError(() => fedavg.prepareUpdate({ taskId: created.task.id, data: narrow, signer: client, connection: own }), "3", "8");
    await expectFlaiError(
      () => fedavg.prepareUpdate({ taskId: created.task.id, data: clients[0]!, signer: client, connection: own }),
      "No update is sealed",
      `task ${created.task.id}`,
    );
  });
});

describe("fedavg: a simulated run (flai:fl-run's engine)", function () {
  this.timeout(300_000);

  it("5 clients × 5 rounds on a Dirichlet split get within 2 points of centralized training; hashes match storage", async () => {
    const { hre } = await tempProject();
    const result = await runSimulation(hre, hre.flai, {
      data: path.join(FIXTURES, "data.json"),
      clients: 5,
      rounds: 5,
      partition: "dirichlet",
      alpha: 0.5,
      seed: 7,
      strategy: { name: "fedavg" },
      reward: "1",
    });
    const final = result.rounds.at(-1)!;
    expect(result.rounds).to.have.length(5);
    expect(
      Math.abs(final.metrics.accuracy - result.centralized.accuracy),
      JSON.stringify(result.rounds.map((r) => r.metrics.accuracy)),
    ).to.be.at.most(0.02);
    expect(result.rounds.every((r) => r.verified)).to.equal(true);
    expect(result.rewards.claimed).to.equal(result.rewards.pool);
    expect(new Set(result.partition.sizes).size).to.be.greaterThan(1);
  });
});
