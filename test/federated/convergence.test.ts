import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";

import { evaluate } from "../../src/federated/evaluate.js";
import { globalModelBytes, modelParameters, parameterCount, parseGlobalModel, type GlobalModel } from "../../src/federated/global-model.js";
import { initialModel, runRoundsInProcess, type InProcessTask } from "../../src/federated/in-process.js";
import { alignClasses } from "../../src/federated/classes.js";
import { federationNumExamples, localC, trainClientUpdate } from "../../src/federated/local-training.js";
import { holdoutSplit, partitionDataset } from "../../src/federated/partition.js";
import { combineRound, federationTotal } from "../../src/federated/round-aggregate.js";
import { capWeights } from "../../src/federated/weights.js";
import { parseDataset, type Dataset } from "../../src/ml/dataset.js";
import { computeStandardization, trainLogisticRegression } from "../../src/ml/logistic.js";

import { expectFlaiError } from "../helpers/assert.js";
import { onlyLabel } from "../helpers/federated.js";
import { FIXTURES } from "../helpers/project.js";

const all = parseDataset(readFileSync(path.join(FIXTURES, "data.json")), "data.json");
const { train, test } = holdoutSplit(all, 0.2, 1);
// Shared scaling from the clients' pooled training data, never from the evaluation set.
const standardization = computeStandardization(train);
const task = (extra: Partial<InProcessTask> = {}): InProcessTask => ({ features: all.cols, standardization, ...extra });
const centralized = trainLogisticRegression(train, { c: 1, maxIterations: 500, standardization });

describe("federated math: rounds that converge to the centralized objective", () => {
  const nonIid = partitionDataset(train, 10, { scheme: "dirichlet", alpha: 0.3, seed: 1 });

  it("fedavg on a non-IID split (10 clients, Dirichlet 0.3) improves across rounds and ends within 2 points of centralized", () => {
    const central = evaluate(centralized, test);
    const { rounds } = runRoundsInProcess(task(), nonIid, test, 10);
    const loss = rounds.map((r) => r.logLoss);
    assert.ok(loss[9]! < 0.8 * loss[0]!, `log-loss ${loss.join(", ")} did not fall by 20% from round 1`);
    for (let r = 1; r < 10; r++) assert.ok(loss[r]! <= loss[r - 1]! + 1e-3, `log-loss rose in round ${r + 1}: ${loss.join(", ")}`);
    assert.ok(rounds[9]!.accuracy >= central.accuracy - 0.02, `accuracy ${rounds[9]!.accuracy} vs centralized ${central.accuracy}`);
    assert.ok(loss[9]! <= central.logLoss + 0.02, `log-loss ${loss[9]} vs centralized ${central.logLoss}`);
  });

  it("without drift correction, clients trained to their own optimum (25 local iterations) stop improving after round 2: why local work is bounded", () => {
    // Plain FedAvg's behaviour (what the bounded local work is for); the default corrects drift on top.
    const plain = { driftCorrection: false } as const;
    const bounded = runRoundsInProcess(task({ local: plain }), nonIid, test, 10).rounds;
    const toOptimum = runRoundsInProcess(task({ local: { maxIterations: 25, ...plain } }), nonIid, test, 10).rounds;
    assert.ok(
      Math.abs(toOptimum[9]!.logLoss - toOptimum[1]!.logLoss) < 1e-3,
      `rounds 2..10: ${toOptimum.map((r) => r.logLoss).join(", ")}`,
    );
    assert.ok(bounded[9]!.logLoss < toOptimum[9]!.logLoss - 0.01);
  });

  it("clients whose penalties are scaled by their share minimize the centralized objective (C), not one over-regularized tenfold", () => {
    // Ten clients holding the same 40 rows: the centralized optimum over the 400 rows is every
    // client's own optimum once each trains with C·N/n_k = 10·C, so exact local solves average to it.
    // With the full penalty on every client (C_k = C) they would land on the C/10 model instead.
    const rows = partitionDataset(train, 8, { scheme: "iid", seed: 2 })[0]!;
    const copies = Array.from({ length: 10 }, () => rows);
    const union = concat(copies);
    // Without drift correction: its proximal term (mu 0.2) would slow exact solves toward the target over 2 rounds.
    const exact = { local: { maxIterations: 500, driftCorrection: false as const } };
    const { model } = runRoundsInProcess(task(exact), copies, test, 2); // local tolerance 1e-4 limits the match
    const target = trainLogisticRegression(union, { c: 1, maxIterations: 500, tolerance: 1e-10, standardization });
    const overRegularized = trainLogisticRegression(union, { c: 0.1, maxIterations: 500, tolerance: 1e-10, standardization });
    const distance = (w: ArrayLike<number>) => Math.hypot(...Array.from(w, (v, j) => v - target.weights[j]!));
    const federated = modelParameters(model).weights;
    assert.ok(
      distance(federated) < 1e-2 * distance(overRegularized.weights),
      `${distance(federated)} vs ${distance(overRegularized.weights)}`,
    );
    assert.equal(model.metrics!.numExamples, union.rows);
  });

  it("client k trains with C·N/n_k, N from the last accepted total, else the creator's expectation, else rows × clients", () => {
    const declared = initialModel(task({ c: 2, local: { expectedNumExamples: 400 } }));
    assert.equal(federationNumExamples(declared, 40, { expectedClients: 5 }), 400);
    assert.equal(localC(declared, 40), (2 * 400) / 40);
    const undeclared = initialModel(task({ c: 2 }));
    assert.equal(federationNumExamples(undeclared, 40, { expectedClients: 5 }), 200);
    assert.equal(federationNumExamples(undeclared, 40), 40);
    const later = {
      ...declared,
      metrics: { accuracy: 1, logLoss: 0, accepted: 3, rejected: 0, totalNumExamples: 900, numExamples: 600, dp: null },
    };
    assert.equal(localC(later, 60, { expectedClients: 5 }), (2 * 600) / 60);
    // A client never weighs more than the whole federation: N ≥ its own rows, so C_k ≥ C.
    assert.equal(localC(later, 1000), 2);
  });

  it("N for the next round is the capped num_examples summed, or n × the median claim when the cap cannot hold", () => {
    const claims = [100, 120, 80, 90, 2 ** 40];
    assert.equal(federationTotal(claims, capWeights(claims, 0.25)), 100 + 120 + 80 + 90 + capWeights(claims, 0.25).cap!);
    const few = [50, 100, 2 ** 40];
    assert.equal(federationTotal(few, capWeights(few, 0.25)), 3 * 100);
    const huge = new Array(4).fill(Number.MAX_SAFE_INTEGER);
    assert.equal(federationTotal(huge, capWeights(huge, 0.25)), Number.MAX_SAFE_INTEGER);
  });

  it("a one-class client (normal in non-IID federations) takes part in a round", () => {
    const oneClass = onlyLabel(nonIid[4]!, 0);
    assert.ok(oneClass.rows >= 2 && oneClass.labels.every((y) => y === 0));
    const clients = [...nonIid.slice(0, 4), oneClass];
    const { rounds, model } = runRoundsInProcess(task(), clients, test, 3);
    assert.equal(model.metrics!.accepted, 5);
    const { weights, bias } = modelParameters(model);
    assert.ok(weights.every(Number.isFinite) && bias.every(Number.isFinite));
    assert.ok(rounds[2]!.logLoss < rounds[0]!.logLoss);
    const update = trainClientUpdate(model, "0x" + "1".repeat(64), oneClass, "one-class client", { expectedClients: 5 });
    assert.ok(update.delta.every(Number.isFinite));
    assert.equal(update.numExamples, oneClass.rows);
  });
});

function concat(parts: readonly Dataset[]): Dataset {
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const features = new Float64Array(rows * parts[0]!.cols);
  const labels = new Uint8Array(rows);
  let at = 0;
  for (const p of parts) {
    features.set(p.features, at * p.cols);
    labels.set(p.labels, at);
    at += p.rows;
  }
  return { ...parts[0]!, rows, features, labels };
}

describe("federated math: multi-class models (K outputs) and the task's classes", () => {
  const features = 2;
  const threeClasses = (): GlobalModel => ({
    // No drift correction: these rounds combine hand-made deltas, which carry no gradients.
    ...initialModel({ features, standardization: null, local: { driftCorrection: false } }),
    classes: ["water", "forest", "urban"],
    weights: [
      [0, 0],
      [0, 0],
      [0, 0],
    ],
    bias: [0, 0, 0],
  });

  it("a 4-class task (fixtures/landcover.csv) on a Dirichlet 0.3 split improves across rounds and ends within 2 points of centralized", () => {
    const landcover = parseDataset(readFileSync(path.join(FIXTURES, "landcover.csv")), "landcover.csv");
    assert.equal(landcover.classes.length, 4);
    const split = holdoutSplit(landcover, 0.2, 1);
    const scaling = computeStandardization(split.train);
    const clients = partitionDataset(split.train, 10, { scheme: "dirichlet", alpha: 0.3, seed: 1 });
    const central = evaluate(trainLogisticRegression(split.train, { c: 1, maxIterations: 500, standardization: scaling }), split.test);
    const { rounds, model } = runRoundsInProcess(
      { features: landcover.cols, classes: landcover.classes, standardization: scaling },
      clients,
      split.test,
      10,
    );
    assert.equal(parameterCount(model), 4 * (landcover.cols + 1));
    assert.ok(rounds[9]!.logLoss < 0.7 * rounds[0]!.logLoss, rounds.map((r) => r.logLoss).join(", "));
    assert.ok(rounds[9]!.accuracy >= central.accuracy - 0.02, `accuracy ${rounds[9]!.accuracy} vs centralized ${central.accuracy}`);
  });

  it("a K-class global model has K·(D + 1) parameters, and a round moves every class's row and bias by the weighted mean", () => {
    const model = threeClasses();
    assert.equal(parameterCount(model), 3 * (features + 1));
    const delta = (scale: number) => Float64Array.from({ length: 9 }, (_, i) => scale * (i + 1));
    const combined = combineRound(
      model,
      [
        { delta: delta(1), numExamples: 10 },
        { delta: delta(3), numExamples: 10 },
        { delta: delta(2), numExamples: 10 },
        { delta: delta(2), numExamples: 10 },
      ],
      1,
      1,
    );
    // Class-major: W row k is values k·D..k·D+D−1, then the K biases (parameterVector).
    assert.deepEqual(combined.weights, [
      [2, 4],
      [6, 8],
      [10, 12],
    ]);
    assert.deepEqual(combined.bias, [14, 16, 18]);
    const next = parseGlobalModel(globalModelBytes({ ...model, weights: combined.weights, bias: combined.bias }), "next");
    assert.deepEqual(next.classes, ["water", "forest", "urban"]);
  });

  it("a global model whose outputs do not fit its classes, or whose classes repeat, is refused", async () => {
    const bad = (m: object) => () => parseGlobalModel(globalModelBytes(m as GlobalModel), "model");
    await expectFlaiError(bad({ ...threeClasses(), classes: ["a", "b", "c", "d"] }), "4 classes need 4 output(s)", "have 3");
    await expectFlaiError(bad({ ...threeClasses(), classes: ["a", "a", "b"] }), '"classes" must be 2 to 255 distinct');
    await expectFlaiError(
      bad({ ...initialModel({ features, standardization: null }), classes: ["a", "b", "c"] }),
      "3 classes need 3 output(s)",
      "have 1",
    );
  });

  it("a client's labels are mapped onto the task's classes; a label the task does not have is refused by name", async () => {
    const data: Dataset = {
      rows: 3,
      cols: 1,
      features: Float64Array.of(1, 2, 3),
      labels: Uint8Array.of(0, 1, 0),
      classes: ["urban", "water"],
    };
    const aligned = alignClasses(data, ["water", "forest", "urban"], "client.csv");
    assert.deepEqual(Array.from(aligned.labels), [2, 0, 2]);
    assert.deepEqual(aligned.classes, ["water", "forest", "urban"]);
    assert.equal(alignClasses(all, [0, 1], "data.json"), all);
    await expectFlaiError(
      () => alignClasses({ ...data, classes: ["urban", "desert"] }, ["water", "forest", "urban"], "client.csv"),
      "client.csv",
      '"desert"',
      "not among the task's classes",
    );
    // 1 and "1" are different labels: a numeric task does not take string labels silently.
    await expectFlaiError(() => alignClasses({ ...data, classes: [0, "1"] }, [0, 1], "client.csv"), '"1"');
  });
});
