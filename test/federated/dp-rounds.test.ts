import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { gaussianPrivacy } from "../../src/federated/dp-accountant.js";
import { holdoutSplit, partitionDataset } from "../../src/federated/partition.js";
import { datasetJson } from "../../src/federated/simulation.js";
import { parseDataset, type Dataset } from "../../src/ml/dataset.js";
import { computeStandardization } from "../../src/ml/logistic.js";

import { onlyLabel, readersOf } from "../helpers/federated.js";
import { FIXTURES, tempProject } from "../helpers/project.js";
import { taskLines } from "../helpers/task-output.js";

/** Runs a task as the CLI would and returns its --json result and its text lines. */
async function runTask(
  hre: HardhatRuntimeEnvironment,
  id: string,
  args: Record<string, unknown>,
): Promise<{ json: unknown; text: string[] }> {
  const json = await taskLines(hre, id, { ...args, json: true });
  return { json: JSON.parse(json.join("\n")), text: await taskLines(hre, id, { ...args, json: false }) };
}

describe("federated rounds on a chain: DP accounting, a one-class client, the federation's N", function () {
  this.timeout(300_000);

  it("two DP rounds with a one-class client: ε per round and composed, δ, the accountant, in the model and in fl-status", async () => {
    const { hre } = await tempProject();
    const { fedavg, storage } = hre.flai;
    const signers = await (await hre.network.getOrCreate()).ethers.getSigners();
    const all = parseDataset(await readFile(path.join(FIXTURES, "data.json")), "data.json");
    const { train, test } = holdoutSplit(all, 0.25, 5);
    const shares = partitionDataset(train, 3, { scheme: "iid", seed: 6 });
    shares[2] = onlyLabel(shares[2]!, 1);
    const created = await fedavg.createTask({
      model: (await storage.upload(path.join(FIXTURES, "model.json"))).root,
      evaluation: (await storage.upload(Buffer.from(datasetJson(test)))).root,
      standardizeOn: shares[0]!,
      rounds: 2,
      quorum: 3,
      reward: "1",
      strategy: { name: "fedavg", clippingNorm: 1, noiseMultiplier: 1.2 },
      local: { expectedNumExamples: 250 },
      clients: await readersOf(hre, await hre.network.getOrCreate(), signers.slice(1, 4)),
    });
    const taskId = created.task.id;
    assert.equal(created.scaling, "sample");
    const initial = await fedavg.globalModel(taskId);
    assert.equal(initial.federated.local.maxIterations, 3);
    assert.equal(initial.federated.local.expectedNumExamples, 250);

    let aggregateText: string[] = [];
    for (const round of [1, 2]) {
      for (let k = 0; k < 3; k++) await fedavg.runClient({ taskId, data: shares[k]!, signer: signers[k + 1] });
      // Round 2 through flai:aggregate as the CLI runs it, to see what it prints.
      if (round === 1) await fedavg.aggregate({ taskId });
      else aggregateText = await taskLines(hre, "flai:aggregate", { task: String(taskId), json: false });
      const metrics = (await fedavg.globalModel(taskId)).metrics!;
      assert.equal(metrics.accepted, 3, `round ${round}`);
      const dp = metrics.dp!;
      assert.equal(dp.accountant, "rdp");
      assert.equal(dp.delta, 1e-5);
      assert.equal(dp.sensitivity, (2 * 1) / 3);
      assert.equal(dp.noiseStd, 1.2 * dp.sensitivity);
      assert.equal(dp.epsilon, gaussianPrivacy(1.2, 1e-5, 1).epsilon);
      assert.equal(dp.epsilonTotal, gaussianPrivacy(1.2, 1e-5, round).epsilon);
      // 3 updates cannot keep maxClientShare 0.25, so N is 3 × the median claim (round-aggregate.ts).
      const sizes = shares.map((d) => d.rows).sort((a, b) => a - b);
      assert.equal(metrics.numExamples, 3 * sizes[1]!);
    }

    const r3 = (x: number) => String(Math.round(x * 1000) / 1000);
    const privacy = aggregateText.find((l) => l.includes("privacy"))!;
    const fixed3 = (x: number) => x.toFixed(3);
    assert.ok(
      privacy.includes(
        `ε = ${fixed3(gaussianPrivacy(1.2, 1e-5, 1).epsilon)} this round, ${fixed3(gaussianPrivacy(1.2, 1e-5, 2).epsilon)} over rounds 1–2`,
      ),
      privacy,
    );
    const status = await runTask(hre, "flai:fl-status", { task: String(taskId) });
    const rounds = (
      status.json as { rounds: Array<{ round: number; protection: { dp: { epsilon: number; epsilonTotal: number; delta: number } } }> }
    ).rounds;
    const perRound = gaussianPrivacy(1.2, 1e-5, 1).epsilon;
    const total = gaussianPrivacy(1.2, 1e-5, 2).epsilon;
    // The on-chain word carries ε to 3 decimals; the total is composed from the task's noise multiplier.
    assert.ok(Math.abs(rounds[1]!.protection.dp.epsilon - perRound) < 1e-3);
    assert.equal(rounds[1]!.protection.dp.epsilonTotal, total);
    assert.equal(rounds[1]!.protection.dp.delta, 1e-5);
    const line = status.text.find((l) => l.includes("round 2"))!;
    assert.ok(line.includes(`ε ${r3(perRound)} this round, ${r3(total)} total over rounds 1–2 (δ 0.00001)`), line);
  });

  it("the task's feature scaling is fit on the training sample the creator names (--standardize-on), not on the evaluation set", async () => {
    const { hre } = await tempProject();
    const { fedavg, storage } = hre.flai;
    const all = parseDataset(await readFile(path.join(FIXTURES, "data.json")), "data.json");
    const { train, test } = holdoutSplit(all, 0.25, 5);
    const sample = partitionDataset(train, 2, { scheme: "iid", seed: 1 })[0]!;
    const create = async (standardizeOn: string | Dataset) =>
      fedavg.createTask({
        model: (await storage.upload(path.join(FIXTURES, "model.json"))).root,
        evaluation: (await storage.upload(Buffer.from(datasetJson(test)))).root,
        rounds: 1,
        quorum: 1,
        reward: "1",
        standardizeOn,
      });
    const created = await create(sample);
    assert.equal(created.scaling, "sample");
    const fromDataset = await fedavg.globalModel(created.task.id);
    assert.deepEqual(fromDataset.standardization, computeStandardization(sample));
    assert.notDeepEqual(fromDataset.standardization, computeStandardization(test));
    const root = (await storage.upload(Buffer.from(datasetJson(sample)))).root;
    const fromRoot = await fedavg.globalModel((await create(root)).task.id);
    assert.deepEqual(fromRoot.standardization, fromDataset.standardization);
  });
});
