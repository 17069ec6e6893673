import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { DEFAULT_DRIFT_CORRECTION } from "../../src/federated/drift-correction.js";
import { globalModelBytes, modelParameters, type GlobalModel } from "../../src/federated/global-model.js";
import { trainClientUpdate } from "../../src/federated/local-training.js";
import { holdoutSplit, partitionDataset } from "../../src/federated/partition.js";
import { combineRound } from "../../src/federated/round-aggregate.js";
import { parseDataset, type Dataset } from "../../src/ml/dataset.js";
import { parameterVector } from "../../src/ml/parameters.js";

import { expectFlaiError } from "../helpers/assert.js";
import { readersOf } from "../helpers/federated.js";
import { FIXTURES, tempDir, tempProject } from "../helpers/project.js";

/** The rows as CSV with the landcover header (features, then "label"), labels by name. */
function csv(ds: Dataset, columns: readonly string[]): string {
  const lines = [[...columns, "label"].join(",")];
  for (let i = 0; i < ds.rows; i++)
    lines.push([...ds.features.subarray(i * ds.cols, (i + 1) * ds.cols), ds.classes[ds.labels[i]!]].join(","));
  return lines.join("\n") + "\n";
}

const sha256 = (b: Uint8Array) => "0x" + createHash("sha256").update(b).digest("hex");

/** The round the enclave should publish from `model` if every client trained as runClient does. */
function expectedRound(model: GlobalModel, shares: readonly Dataset[], quorum: number) {
  const hash = sha256(globalModelBytes(model));
  const updates = shares.map((d, k) => trainClientUpdate(model, hash, d, `client ${k}`, { expectedClients: quorum }));
  return combineRound(
    model,
    updates.map((u) => ({ delta: u.delta, numExamples: u.numExamples, gradient: u.gradient })),
    model.round + 1,
    0,
  );
}

const vector = (m: Pick<GlobalModel, "weights" | "bias" | "features">) => {
  const p = modelParameters(m as GlobalModel);
  return parameterVector(p.weights, p.bias);
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe("federated rounds on a chain with drift correction (the fedavg default)", function () {
  this.timeout(300_000);

  it("the initial model commits the correction config, round 1's model carries the enclave's correction, and round 2's clients train with it", async () => {
    const { hre } = await tempProject();
    const connection = await hre.network.create();
    const { fedavg } = hre.flai;
    const all = parseDataset(await readFile(path.join(FIXTURES, "landcover.csv")), "landcover.csv");
    const { train, test } = holdoutSplit(all, 0.25, 3);
    const shares = partitionDataset(train, 3, { scheme: "dirichlet", alpha: 0.3, seed: 4 });
    const evaluation = path.join(await tempDir(), "holdout.csv");
    await writeFile(evaluation, csv(test, all.columns!));
    const spec = path.join(await tempDir(), "spec.json");
    await writeFile(
      spec,
      JSON.stringify({
        format: "flai-model/v1",
        algorithm: "logistic-regression",
        features: all.cols,
        classes: all.classes,
        hyperparameters: { c: 1, maxIterations: 100, tolerance: 1e-4, standardize: true },
      }),
    );
    // FedProx's mu would be ignored under the correction's proximal term: refused before anything is paid.
    await expectFlaiError(
      () =>
        fedavg.createTask({
          model: spec,
          evaluation,
          standardizeOn: train,
          rounds: 2,
          quorum: 3,
          reward: "0.3",
          strategy: { name: "fedprox" },
          local: { proximalMu: 0.05 },
          connection,
        }),
      "local.proximalMu",
      "local.driftCorrection: false",
    );
    const created = await fedavg.createTask({
      model: spec,
      evaluation,
      standardizeOn: train,
      rounds: 2,
      quorum: 3,
      reward: "0.3",
      clients: await readersOf(hre, connection, (await connection.ethers.getSigners()).slice(1, 4)),
      connection,
    });
    const taskId = created.task.id;
    const initial = await fedavg.globalModel(taskId, { connection });
    assert.deepEqual(initial.federated.local.driftCorrection, DEFAULT_DRIFT_CORRECTION);
    assert.equal(initial.correction, undefined);

    const signers = (await connection.ethers.getSigners()).slice(1, 4);
    const models: GlobalModel[] = [initial];
    for (let round = 1; round <= 2; round++) {
      for (let k = 0; k < 3; k++) await fedavg.runClient({ taskId, data: shares[k]!, signer: signers[k], connection });
      const agg = await fedavg.aggregate({ taskId, connection });
      assert.equal(agg.accepted.length, 3, JSON.stringify(agg.rejected));
      models.push(await fedavg.globalModel(taskId, { connection }));
    }
    const [, first, second] = models as [GlobalModel, GlobalModel, GlobalModel];
    const dimension = all.classes.length * (all.cols + 1);
    assert.equal(first.correction?.length, dimension);
    assert.equal(second.correction?.length, dimension);
    assert.ok(first.correction.some((v) => v !== 0));

    // What the enclave published is what clients training as runClient does (corrected objective,
    // g_k sent) and the enclave's round math give, up to the order of the sums; round 2's clients
    // trained with round 1's correction: without it, round 2's model is measurably elsewhere.
    for (const [from, to] of [
      [initial, first],
      [first, second],
    ] as const) {
      const expected = expectedRound(from, shares, 3);
      assert.ok(maxDiff(vector({ ...to }), vector({ ...to, ...expected })) < 1e-9, `round ${to.round}: model`);
      assert.ok(maxDiff(to.correction!, expected.correction!) < 1e-9, `round ${to.round}: correction`);
    }
    const { correction: _, ...stripped } = first;
    const uncorrected = expectedRound(stripped, shares, 3);
    assert.ok(maxDiff(vector(second), vector({ ...second, ...uncorrected })) > 1e-4, "round 2 without the correction would differ");
  });
});
