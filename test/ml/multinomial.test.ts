import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";

import type { Dataset } from "../../src/ml/dataset.js";
import { parseDataset } from "../../src/ml/dataset.js";
import { trainLogisticRegression, type LogisticResult } from "../../src/ml/logistic.js";
import { modelBytes, parseModelSpec, parseTrainedModel, parseTrainingData, resultHash, trainFromSpec } from "../../src/ml/model.js";
import { parameterVector, splitParameters, weightsFromJson, weightsToJson } from "../../src/ml/parameters.js";
import { predictClassProba } from "../../src/ml/predict.js";
import { accumulateSoftmaxRows } from "../../src/ml/softmax-kernel.js";
import { SoftmaxObjective } from "../../src/ml/softmax-objective.js";

import { FIXED_ROOTS, MULTINOMIAL_SPEC } from "../fixtures-scripts/train-multinomial-hash.js";
import { expectFlaiError } from "../helpers/assert.js";

// References from scikit-learn 1.2.1: test/reference/multinomial.py wrote the CSV and the JSON.
const REFERENCE_DIR = path.resolve(import.meta.dirname, "..", "reference");
const csv = readFileSync(path.join(REFERENCE_DIR, "multinomial.csv"));
const reference = JSON.parse(readFileSync(path.join(REFERENCE_DIR, "multinomial.json"), "utf8")) as {
  classes: string[];
  cases: {
    name: string;
    c: number;
    standardize: boolean;
    accuracy: number;
    logLoss: number;
    objective: number;
    weights: number[][];
    bias: number[];
  }[];
};
const data = parseDataset(csv, "multinomial.csv");
const utf8 = (text: string) => new TextEncoder().encode(text);
const spec = (value: object) => parseModelSpec(utf8(JSON.stringify(value)), "model.json");

/** sklearn's objective C·Σ logloss + ½‖W‖², in the space the model was fitted in. */
function sklearnObjective(ds: Dataset, fit: LogisticResult, c: number): number {
  const p = predictClassProba(fit, ds.features, ds.rows, ds.cols);
  let loss = 0;
  for (let i = 0; i < ds.rows; i++) loss -= Math.log(p.values[i * p.classCount + ds.labels[i]!]!);
  let w2 = 0;
  for (const w of fit.weights) w2 += w * w;
  return c * loss + 0.5 * w2;
}

function accuracyOf(ds: Dataset, fit: LogisticResult): number {
  const p = predictClassProba(fit, ds.features, ds.rows, ds.cols);
  let hits = 0;
  for (let i = 0; i < ds.rows; i++) {
    const row = Array.from(p.values.subarray(i * p.classCount, (i + 1) * p.classCount));
    if (row.indexOf(Math.max(...row)) === ds.labels[i]) hits++;
  }
  return hits / ds.rows;
}

describe("ml/multinomial logistic regression", () => {
  it("reads string labels as classes in sorted order, as scikit-learn does", () => {
    expect(data.classes).to.deep.equal(reference.classes);
    expect(data.rows).to.equal(320);
    expect(new Set(data.labels).size).to.equal(4);
  });

  for (const ref of reference.cases) {
    it(`matches scikit-learn (${ref.name}): accuracy within 0.5 point, objective within 1e-4 relative`, () => {
      const fit = trainLogisticRegression(data, { c: ref.c, standardize: ref.standardize, tolerance: 1e-10, maxIterations: 100_000 });
      expect(fit.outputs).to.equal(4);
      expect(fit.converged).to.equal(true);
      expect(Math.abs(accuracyOf(data, fit) - ref.accuracy)).to.be.at.most(0.005);
      const objective = sklearnObjective(data, fit, ref.c);
      expect(Math.abs(objective - ref.objective) / ref.objective).to.be.at.most(1e-4);
    });
  }

  it("finds scikit-learn's coefficients on the well-conditioned (standardized) case (to its stopping accuracy, 1e-4)", () => {
    const ref = reference.cases.find((c) => c.standardize)!;
    const fit = trainLogisticRegression(data, { c: ref.c, standardize: true, tolerance: 1e-10, maxIterations: 10_000 });
    const theirs = weightsFromJson(ref.weights, ref.bias, data.cols);
    for (let t = 0; t < theirs.weights.length; t++) expect(fit.weights[t]).to.be.closeTo(theirs.weights[t]!, 1e-4);
    for (let k = 0; k < 4; k++) expect(fit.bias[k]).to.be.closeTo(theirs.bias[k]!, 1e-4);
  });

  it("integer labels: sorted numerically without a spec; string class names in the spec still match CSV integers", () => {
    const text = "a,label\n1,10\n2,2\n3,-1\n4,2\n";
    const ds = parseDataset(utf8(text), "d.csv");
    expect(ds.classes).to.deep.equal([-1, 2, 10]);
    expect(Array.from(ds.labels)).to.deep.equal([2, 1, 0, 1]);
    const named = parseDataset(utf8(text), "d.csv", { classes: ["10", "2", "-1"] });
    expect(Array.from(named.labels)).to.deep.equal([0, 1, 2, 1]);
    // trainFromSpec maps data parsed without the spec (as a verifier may) onto the same classes.
    const s = spec({ format: "flai-model/v1", algorithm: "logistic-regression", features: 1, classes: ["10", "2", "-1"] });
    const a = trainFromSpec(s, named, FIXED_ROOTS);
    const b = trainFromSpec(s, ds, FIXED_ROOTS);
    expect(Buffer.from(modelBytes(b)).equals(Buffer.from(modelBytes(a)))).to.equal(true);
  });

  it("the same classes in another order give the same model, rows permuted", () => {
    const order = ["water", "forest", "cropland", "urban"];
    const permuted = parseDataset(csv, "multinomial.csv", { classes: order });
    expect(permuted.classes).to.deep.equal(order);
    const a = trainLogisticRegression(data, { c: 0.05, tolerance: 1e-10, maxIterations: 10_000 });
    const b = trainLogisticRegression(permuted, { c: 0.05, tolerance: 1e-10, maxIterations: 10_000 });
    order.forEach((name, k) => {
      const j = data.classes.indexOf(name);
      for (let f = 0; f < data.cols; f++) expect(b.weights[k * data.cols + f]).to.be.closeTo(a.weights[j * data.cols + f]!, 1e-6);
    });
  });

  it("the two-rows-at-a-time kernel is bit-identical to a plain one-row loop (odd ranges too)", () => {
    const cols = 5;
    const K = 4;
    const params = Float64Array.from({ length: K * (cols + 1) }, (_, t) => Math.sin(3 * t + 1));
    const plain = (start: number, end: number): Float64Array => {
      const out = new Float64Array(1 + K * (cols + 1));
      for (let i = start; i < end; i++) {
        const z = Array.from({ length: K }, (_, k) => {
          let v = params[K * cols + k]!;
          for (let j = 0; j < cols; j++) v += params[k * cols + j]! * data.features[i * cols + j]!;
          return v;
        });
        const max = Math.max(...z);
        let sum = 0;
        const e = z.map((v) => Math.exp(v - max));
        for (const v of e) sum += v;
        out[0]! += Math.log(sum) + max - z[data.labels[i]!]!;
        for (let k = 0; k < K; k++) {
          const r = e[k]! / sum - (k === data.labels[i] ? 1 : 0);
          for (let j = 0; j < cols; j++) out[1 + k * cols + j]! += r * data.features[i * cols + j]!;
          out[1 + K * cols + k]! += r;
        }
      }
      return out;
    };
    for (const [start, end] of [
      [0, 320],
      [3, 4],
      [5, 104],
      [17, 18],
      [0, 0],
    ] as const) {
      const out = new Float64Array(2 + K * (cols + 1)).fill(7);
      accumulateSoftmaxRows(data.features, data.labels, cols, K, start, end, params, out, 1, new Float64Array(2 * K));
      const want = plain(start, end);
      expect(Buffer.from(out.buffer, 8, want.byteLength).equals(Buffer.from(want.buffer)), `rows ${start}..${end}`).to.equal(true);
      expect(out[0]).to.equal(7);
    }
  });

  it("the objective's gradient matches finite differences, with and without a proximal term", () => {
    const n = data.rows;
    const x = Float64Array.from(data.features, (v, i) => v / [1, 2, 10, 0.1, 50][i % 5]!);
    const dim = 4 * 6;
    const point = Float64Array.from({ length: dim }, (_, t) => Math.sin(t + 1) * 0.3);
    for (const proximal of [undefined, { mu: 0.7, center: Float64Array.from({ length: dim }, (_, t) => Math.cos(t)) }]) {
      const objective = new SoftmaxObjective(x, data.labels, n, 5, 4, 0.5, proximal);
      const grad = new Float64Array(dim);
      objective.evaluate(point, grad);
      const scratch = new Float64Array(dim);
      for (let t = 0; t < dim; t++) {
        const h = 1e-6;
        const up = Float64Array.from(point);
        const down = Float64Array.from(point);
        up[t]! += h;
        down[t]! -= h;
        const numeric = (objective.evaluate(up, scratch) - objective.evaluate(down, scratch)) / (2 * h);
        expect(grad[t]).to.be.closeTo(numeric, 1e-6);
      }
    }
  });

  it("FedProx: mu = 0 trains bit-identically; a large mu pins the fit to the center", () => {
    const plain = trainLogisticRegression(data, { c: 0.5 });
    const center = parameterVector(
      plain.weights.map((w) => w + 0.5),
      plain.bias,
    );
    const zero = trainLogisticRegression(data, { c: 0.5, proximal: { mu: 0, center } });
    expect(Buffer.from(zero.weights.buffer).equals(Buffer.from(plain.weights.buffer))).to.equal(true);
    expect(Buffer.from(zero.bias.buffer).equals(Buffer.from(plain.bias.buffer))).to.equal(true);
    const pinned = trainLogisticRegression(data, { c: 0.5, proximal: { mu: 1e4, center } });
    const got = parameterVector(pinned.weights, pinned.bias);
    const far = Math.max(...got.map((v, t) => Math.abs(v - center[t]!)));
    expect(far).to.be.below(1e-3);
  });

  it("warm-started from its own solution it stops at once", () => {
    const fit = trainLogisticRegression(data, { c: 0.5, tolerance: 1e-6, maxIterations: 1000 });
    const again = trainLogisticRegression(data, { c: 0.5, tolerance: 1e-6, initialWeights: fit.weights, initialBias: fit.bias });
    expect(again.iterations).to.be.at.most(1);
  });

  it("trains one-class data (a federated client's) from a warm start without failing", () => {
    const fit = trainLogisticRegression(data, { c: 0.5 });
    const oneClass = { ...data, labels: new Uint8Array(data.rows).fill(2) };
    const local = trainLogisticRegression(oneClass, { c: 0.5, maxIterations: 5, initialWeights: fit.weights, initialBias: fit.bias });
    expect(Array.from(local.weights).every(Number.isFinite)).to.equal(true);
  });

  it("parameterVector / splitParameters / weightsToJson round-trip (class-major)", () => {
    const weights = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const bias = Float64Array.from([7, 8, 9]);
    const vec = parameterVector(weights, bias);
    expect(Array.from(vec)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(splitParameters(vec, 2, 3)).to.deep.equal({ weights, bias });
    const json = weightsToJson(weights, bias);
    expect(json).to.deep.equal({
      weights: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      bias: [7, 8, 9],
    });
    expect(weightsFromJson(json.weights, json.bias, 2)).to.deep.equal({ weights, bias, outputs: 3 });
    expect(weightsToJson(Float64Array.of(1, 2), Float64Array.of(3))).to.deep.equal({ weights: [1, 2], bias: 3 });
  });

  describe("compute jobs (trainFromSpec)", () => {
    const s = spec(MULTINOMIAL_SPEC);

    it("writes classes, K×D weights, K biases and the CSV schema; the model parses back", () => {
      const model = trainFromSpec(s, parseTrainingData(csv, s, "multinomial.csv"), FIXED_ROOTS);
      expect(model.classes).to.deep.equal(MULTINOMIAL_SPEC.classes);
      expect(model.weights).to.have.length(4);
      expect((model.weights as number[][]).every((row) => row.length === 5)).to.equal(true);
      expect(model.bias).to.have.length(4);
      expect(model.schema).to.deep.equal({ label: "label", columns: ["x0", "x1", "x2", "x3", "x4"], ignore: [], impute: null });
      expect(model.training.accuracy).to.be.above(0.75);
      const bytes = modelBytes(model);
      expect(parseTrainedModel(bytes, "trained.json")).to.deep.equal(model);
    });

    it("a warm-start spec takes K×D weights and K biases, and refuses the binary shape", async () => {
      const model = trainFromSpec(s, parseTrainingData(csv, s, "multinomial.csv"), FIXED_ROOTS);
      const warm = spec({ ...MULTINOMIAL_SPEC, weights: model.weights, bias: model.bias });
      const again = trainFromSpec(warm, parseTrainingData(csv, warm, "multinomial.csv"), FIXED_ROOTS);
      expect(again.training.iterations).to.be.at.most(1);
      await expectFlaiError(() => spec({ ...MULTINOMIAL_SPEC, weights: [1, 2, 3, 4, 5], bias: 0 }), '"weights"', "4 arrays");
      await expectFlaiError(() => spec({ ...MULTINOMIAL_SPEC, bias: [0, 0] }), '"bias"', "4 numbers");
    });

    it("a label outside the spec's classes is an error naming the value and its row", async () => {
      const three = spec({ ...MULTINOMIAL_SPEC, classes: ["water", "forest", "cropland"] });
      await expectFlaiError(
        () => parseTrainingData(csv, three, "multinomial.csv"),
        "multinomial.csv line",
        "data row 0",
        '"urban"',
        '"classes"',
      );
      // Also when the data was parsed without the spec (as a verifier might).
      await expectFlaiError(() => trainFromSpec(three, data, FIXED_ROOTS, "multinomial.csv"), "row 0", '"urban"');
    });

    it("a class without rows is refused for centralized training, by name", async () => {
      const five = spec({ ...MULTINOMIAL_SPEC, classes: [...MULTINOMIAL_SPEC.classes, "snow"] });
      await expectFlaiError(
        () => trainFromSpec(five, parseTrainingData(csv, five, "d.csv"), FIXED_ROOTS, "d.csv"),
        "d.csv",
        '"snow"',
        "every class",
      );
      const binary = parseDataset(utf8('{"features": [[1], [2]], "labels": [1, 1]}'), "one.json");
      const oneFeature = spec({ format: "flai-model/v1", algorithm: "logistic-regression", features: 1 });
      await expectFlaiError(
        () => trainFromSpec(oneFeature, binary, FIXED_ROOTS, "one.json"),
        "one.json",
        "class 0",
        "all 2 label(s) are 1",
      );
    });

    it("bad classes are refused by name", async () => {
      await expectFlaiError(() => spec({ ...MULTINOMIAL_SPEC, classes: ["a"] }), '"classes"', "2 to 255");
      await expectFlaiError(() => spec({ ...MULTINOMIAL_SPEC, classes: ["a", "a", "b"] }), '"a"', "twice");
      await expectFlaiError(() => spec({ ...MULTINOMIAL_SPEC, classes: ["a", 1, "b"] }), '"classes[1]"');
      await expectFlaiError(() => spec({ ...MULTINOMIAL_SPEC, classes: [0, 1.5, 2] }), '"classes[1]"', "1.5");
    });

    it("is deterministic across processes: the same trained-model bytes (hash) in two child processes", async () => {
      const script = path.resolve(import.meta.dirname, "..", "fixtures-scripts", "train-multinomial-hash.ts");
      const tsx = import.meta.resolve("tsx/esm");
      const run = () => promisify(execFile)(process.execPath, ["--import", tsx, script], { cwd: import.meta.dirname });
      const [a, b] = await Promise.all([run(), run()]);
      const here = resultHash(modelBytes(trainFromSpec(s, parseTrainingData(csv, s, "multinomial.csv"), FIXED_ROOTS)));
      expect(a.stdout.trim()).to.match(/^0x[0-9a-f]{64}$/);
      expect(a.stdout.trim()).to.equal(b.stdout.trim());
      expect(a.stdout.trim()).to.equal(here);
    });
  });
});

describe("ml/multinomial on large data (row partitions, worker threads)", () => {
  /** 60k rows × 8 features × 5 classes: over the 2·10⁶ threshold, so 8 partitions. */
  function large(): Dataset {
    const rows = 60_000;
    const cols = 8;
    let state = 12345;
    const rand = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const features = Float64Array.from({ length: rows * cols }, () => rand() * 4 - 2);
    const labels = new Uint8Array(rows);
    for (let i = 0; i < rows; i++) {
      const scores = [0, 1, 2, 3, 4].map((k) => features[i * cols + k]! * (k + 1) + rand());
      labels[i] = scores.indexOf(Math.max(...scores));
    }
    return { rows, cols, features, labels, classes: [0, 1, 2, 3, 4] };
  }

  it("is bit-identical for 1 and 2 threads, with workers taking part, and matches the one-pass objective", () => {
    const ds = large();
    const one = trainLogisticRegression(ds, { threads: 1, maxIterations: 30 });
    const two = trainLogisticRegression(ds, { threads: 2, maxIterations: 30 });
    expect(Buffer.from(two.weights.buffer).equals(Buffer.from(one.weights.buffer))).to.equal(true);
    expect(Buffer.from(two.bias.buffer).equals(Buffer.from(one.bias.buffer))).to.equal(true);
    expect(two.iterations).to.equal(one.iterations);

    const point = parameterVector(one.weights, one.bias);
    const st = one.standardization!;
    const x = Float64Array.from(ds.features, (v, i) => (v - st.mean[i % ds.cols]!) / st.scale[i % ds.cols]!);
    const threaded = new SoftmaxObjective(x, ds.labels, ds.rows, ds.cols, 5, 1, undefined, { threads: 2 });
    const plain = new SoftmaxObjective(x, ds.labels, ds.rows, ds.cols, 5, 1, undefined, { partitions: 1 });
    const g1 = new Float64Array(point.length);
    const g2 = new Float64Array(point.length);
    try {
      const f1 = threaded.evaluate(point, g1);
      threaded.evaluate(point, g1); // a second pass: the workers are up by now
      expect(threaded.parallelism.partitions).to.equal(8);
      expect(threaded.parallelism.threaded).to.equal(true);
      const f2 = plain.evaluate(point, g2);
      expect(f1).to.be.closeTo(f2, 1e-12 * Math.abs(f2));
      for (let t = 0; t < point.length; t++) expect(g1[t]).to.be.closeTo(g2[t]!, 1e-12);
    } finally {
      threaded.close();
    }
  });
});
