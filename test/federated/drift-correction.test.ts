import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";

import { aggregateGradients, correctionTerm, DEFAULT_DRIFT_CORRECTION } from "../../src/federated/drift-correction.js";
import { evaluate } from "../../src/federated/evaluate.js";
import { runRoundsInProcess } from "../../src/federated/in-process.js";
import { partitionDataset } from "../../src/federated/partition.js";
import { parseDataset } from "../../src/ml/dataset.js";
import { computeStandardization, trainLogisticRegression } from "../../src/ml/logistic.js";

import { FIXTURES } from "../helpers/project.js";

describe("fedavg drift correction: the default for fedavg (in-process, the same round math as the enclave)", () => {
  const train = parseDataset(readFileSync(path.join(FIXTURES, "landcover.csv")), "landcover.csv");
  const test = parseDataset(readFileSync(path.join(FIXTURES, "landcover-test.csv")), "landcover-test.csv", { classes: train.classes });
  const standardization = computeStandardization(train);
  const central = evaluate(trainLogisticRegression(train, { c: 1, maxIterations: 500, standardization }), test);
  const task = { features: train.cols, classes: train.classes, standardization };

  for (const seed of [1, 2, 3]) {
    it(`landcover, Dirichlet 0.3, 10 clients, seed ${seed}: the default (no flags) ends within 2 points of centralized, log-loss within 0.04 and below uncorrected FedAvg's`, () => {
      const clients = partitionDataset(train, 10, { scheme: "dirichlet", alpha: 0.3, seed, allowOneClass: true });
      const run = runRoundsInProcess(task, clients, test, 10, seed);
      assert.deepEqual(run.model.federated.local.driftCorrection, DEFAULT_DRIFT_CORRECTION);
      assert.equal(run.model.correction?.length, 4 * (train.cols + 1));
      const corrected = run.rounds.at(-1)!;
      const plain = runRoundsInProcess({ ...task, local: { driftCorrection: false } }, clients, test, 10, seed).rounds.at(-1)!;
      assert.ok(central.accuracy - corrected.accuracy <= 0.02, `accuracy ${corrected.accuracy} vs centralized ${central.accuracy}`);
      assert.ok(corrected.logLoss - central.logLoss < 0.04, `log-loss ${corrected.logLoss} vs centralized ${central.logLoss}`);
      assert.ok(corrected.logLoss < plain.logLoss, `log-loss ${corrected.logLoss} vs FedAvg's ${plain.logLoss}`);
    });
  }

  it("the correction is the capped-weighted mean of gradients each clipped to maxGradientNorm", () => {
    const honest = Float64Array.from([0.3, -0.4]); // norm 0.5: unclipped
    const huge = Float64Array.from([3000, 4000]); // norm 5000: scaled to norm 2
    const c = aggregateGradients([honest, honest, huge], [1, 1, 2], 2);
    assert.deepEqual(Array.from(c), [0.25 * 0.3 + 0.25 * 0.3 + 0.5 * 1.2, 0.25 * -0.4 + 0.25 * -0.4 + 0.5 * 1.6]);
  });

  it("a client's linear term is the correction minus its own gradient", () => {
    assert.deepEqual(Array.from(correctionTerm(Float64Array.from([1, 2]), Float64Array.from([0.5, 3]))), [0.5, -1]);
  });
});
