import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import { expect } from "chai";

import { parseDataset, type Dataset } from "../../src/ml/dataset.js";
import {
  computeStandardization,
  LogisticObjective,
  predictLabels,
  predictProba,
  trainLogisticRegression,
  type LogisticResult,
} from "../../src/ml/logistic.js";
import { accuracy, logLoss } from "../../src/ml/metrics.js";
import { gaussian, mulberry32 } from "../../src/util/prng.js";

import { expectFlaiError } from "../helpers/assert.js";

const fixture = parseDataset(readFileSync(new URL("../../fixtures/data.json", import.meta.url)), "data.json");

/** Two overlapping Gaussian classes, separated along every feature. */
function synthetic(rows: number, cols: number, seed: number, shift = 0.8): Dataset {
  const rand = mulberry32(seed);
  const normal = gaussian(rand);
  const features = new Float64Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    labels[i] = i % 2;
    const sign = labels[i] === 1 ? 1 : -1;
    for (let j = 0; j < cols; j++) features[i * cols + j] = normal() + sign * shift * (j % 2 === 0 ? 1 : -0.5);
  }
  return { rows, cols, features, labels, classes: [0, 1] };
}

/**
 * scikit-learn's objective written out independently and naively: C·Σ logloss + ½‖w‖² and its
 * gradient, on the (standardized, if the fit was) design matrix.
 */
function sklearnObjective(ds: Dataset, fit: LogisticResult, c: number, w: ArrayLike<number>, b: number) {
  const st = fit.standardization;
  let loss = 0;
  const grad = new Array<number>(ds.cols + 1).fill(0);
  for (let i = 0; i < ds.rows; i++) {
    const x: number[] = [];
    for (let j = 0; j < ds.cols; j++) {
      const raw = ds.features[i * ds.cols + j]!;
      x.push(st === null ? raw : (raw - st.mean[j]!) / st.scale[j]!);
    }
    const z = b + x.reduce((sum, xj, j) => sum + xj * w[j]!, 0);
    const p = 1 / (1 + Math.exp(-z));
    loss += c * (ds.labels[i] === 1 ? Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));
    for (let j = 0; j < ds.cols; j++) grad[j]! += c * (p - ds.labels[i]!) * x[j]!;
    grad[ds.cols]! += c * (p - ds.labels[i]!);
  }
  for (let j = 0; j < ds.cols; j++) {
    loss += 0.5 * w[j]! * w[j]!;
    grad[j]! += w[j]!;
  }
  return { loss, grad };
}

describe("ml/logistic", () => {
  it("converges on the fixture with sensible accuracy", () => {
    const fit = trainLogisticRegression(fixture, {});
    expect(fit.converged).to.equal(true);
    expect(fit.iterations).to.be.within(1, 100);
    expect(fit.weights).to.be.instanceOf(Float64Array);
    expect(fit.standardization).to.not.equal(null);
    const proba = predictProba(fit, fixture.features, fixture.rows, fixture.cols);
    expect(accuracy(fixture.labels, predictLabels(proba))).to.be.greaterThan(0.9);
    expect(logLoss(fixture.labels, proba)).to.be.lessThan(0.3);
  });

  it("is deterministic: same inputs give bit-identical outputs", () => {
    const a = trainLogisticRegression(fixture, {});
    const b = trainLogisticRegression(fixture, {});
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(b.weights.buffer))).to.equal(true);
    expect(Buffer.from(a.bias.buffer).equals(Buffer.from(b.bias.buffer))).to.equal(true);
    expect(a.iterations).to.equal(b.iterations);
    expect(a.standardization).to.deep.equal(b.standardization);
  });

  it("computes the gradient correctly (central finite differences)", () => {
    const rand = mulberry32(7);
    for (const [ds, c] of [
      [fixture, 1],
      [synthetic(50, 4, 3), 0.3],
    ] as const) {
      const st = computeStandardization(ds);
      const x = new Float64Array(ds.features.length);
      for (let i = 0; i < ds.rows; i++) {
        for (let j = 0; j < ds.cols; j++) {
          x[i * ds.cols + j] = (ds.features[i * ds.cols + j]! - st.mean[j]!) / st.scale[j]!;
        }
      }
      const objective = new LogisticObjective(x, ds.labels, ds.rows, ds.cols, c);
      const params = Float64Array.from({ length: ds.cols + 1 }, () => 2 * rand() - 1);
      const grad = new Float64Array(ds.cols + 1);
      objective.evaluate(params, grad);
      const scratch = new Float64Array(ds.cols + 1);
      const h = 1e-6;
      for (let k = 0; k <= ds.cols; k++) {
        const plus = Float64Array.from(params);
        const minus = Float64Array.from(params);
        plus[k]! += h;
        minus[k]! -= h;
        const numeric = (objective.evaluate(plus, scratch) - objective.evaluate(minus, scratch)) / (2 * h);
        expect(Math.abs(numeric - grad[k]!), `∂F/∂θ${k}`).to.be.lessThan(1e-7 * Math.max(1, Math.abs(numeric)));
      }
    }
  });

  it("stays finite at extreme margins (stable log-sigmoid)", () => {
    const objective = new LogisticObjective(new Float64Array([1, -1]), new Uint8Array([0, 1]), 2, 1, 1);
    const grad = new Float64Array(2);
    const loss = objective.evaluate(new Float64Array([1000, 0]), grad);
    // Both rows are 1000 logits wrong: mean loss 1000, plus ½·λ·w² with λ = 1/(C·n) = ½.
    expect(loss).to.equal(1000 + 0.25 * 1000 * 1000);
    expect(Array.from(grad).every(Number.isFinite)).to.equal(true);
    // Both rows right by 800 logits: the data term underflows to 0 rather than going NaN.
    expect(objective.evaluate(new Float64Array([-800, 0]), grad)).to.equal(0.25 * 800 * 800);
  });

  it("warm-started from its own optimum converges in 0–1 iterations", () => {
    const fit = trainLogisticRegression(fixture, {});
    const again = trainLogisticRegression(fixture, { initialWeights: fit.weights, initialBias: fit.bias });
    expect(again.converged).to.equal(true);
    expect(again.iterations).to.be.at.most(1);
    for (let j = 0; j < fixture.cols; j++) expect(again.weights[j]).to.be.closeTo(fit.weights[j]!, 1e-3);
  });

  describe("reaches scikit-learn's optimum (sklearn is not installed; its objective is checked directly)", () => {
    const cases = [
      { name: "fixture, C=1, standardized", ds: fixture, c: 1, standardize: true },
      { name: "fixture, C=0.05, standardized", ds: fixture, c: 0.05, standardize: true },
      { name: "synthetic 300×6, C=10, raw features", ds: synthetic(300, 6, 11), c: 10, standardize: false },
    ];
    for (const { name, ds, c, standardize } of cases) {
      it(name, () => {
        const fit = trainLogisticRegression(ds, { c, standardize });
        expect(fit.converged).to.equal(true);
        const at = sklearnObjective(ds, fit, c, fit.weights, fit.bias[0]!);
        // sklearn's gtol applies to its objective divided by C·n.
        const scaled = Math.max(...at.grad.map(Math.abs)) / (c * ds.rows);
        expect(scaled).to.be.at.most(1e-4);
        // Solved tightly, nothing nearby is lower; the default-tolerance solution (tol 1e-4,
        // like sklearn's) is close in loss but not exact.
        const tight = trainLogisticRegression(ds, { c, standardize, tolerance: 1e-8, maxIterations: 1000 });
        const best = sklearnObjective(ds, tight, c, tight.weights, tight.bias[0]!).loss;
        expect((at.loss - best) / best).to.be.within(0, 1e-4);
        const rand = mulberry32(99);
        for (const size of [1e-4, 1e-3, 1e-2, 1e-1]) {
          for (let trial = 0; trial < 4; trial++) {
            const w = Array.from(tight.weights, (v) => v + size * (2 * rand() - 1));
            const b = tight.bias[0]! + size * (2 * rand() - 1);
            expect(sklearnObjective(ds, tight, c, w, b).loss, `perturbed by ${size}`).to.be.at.least(best);
          }
        }
      });
    }

    it("a tight tolerance drives the gradient to ~0 (line search holds up near the optimum)", () => {
      const fit = trainLogisticRegression(fixture, { tolerance: 1e-8, maxIterations: 1000 });
      expect(fit.converged).to.equal(true);
      const at = sklearnObjective(fixture, fit, 1, fit.weights, fit.bias[0]!);
      expect(Math.max(...at.grad.map(Math.abs)) / fixture.rows).to.be.at.most(1e-8);
      const loose = trainLogisticRegression(fixture, {});
      for (let j = 0; j < fixture.cols; j++) expect(loose.weights[j]).to.be.closeTo(fit.weights[j]!, 2e-2);
    });
  });

  it("agrees with ml-logistic-regression on ≥ 95% of predicted labels (200×3)", function () {
    this.timeout(20_000);
    const ds = synthetic(200, 3, 5);
    const require = createRequire(import.meta.url);
    type Mat = { rows: number };
    const MlLogisticRegression = require("ml-logistic-regression") as new (o: { numSteps: number; learningRate: number }) => {
      train(x: Mat, y: Mat): void;
      predict(x: Mat): number[];
    };
    const { Matrix } = createRequire(require.resolve("ml-logistic-regression"))("ml-matrix") as {
      Matrix: { new (rows: number[][]): Mat; columnVector(v: number[]): Mat };
    };
    // It fits no intercept, so it gets a column of ones.
    const rows = Array.from({ length: ds.rows }, (_, i) => [1, ...ds.features.subarray(i * 3, i * 3 + 3)]);
    const theirs = new MlLogisticRegression({ numSteps: 2000, learningRate: 5e-3 });
    theirs.train(new Matrix(rows), Matrix.columnVector(Array.from(ds.labels)));
    const theirLabels = theirs.predict(new Matrix(rows));

    const fit = trainLogisticRegression(ds, {});
    const ours = predictLabels(predictProba(fit, ds.features, ds.rows, ds.cols));
    const agree = ours.filter((label, i) => label === theirLabels[i]).length / ds.rows;
    expect(agree).to.be.at.least(0.95);
    expect(accuracy(ds.labels, ours)).to.be.greaterThan(0.8);
  });

  describe("options and edge cases", () => {
    it("maxIterations 0 returns the starting point unconverged", () => {
      const fit = trainLogisticRegression(fixture, { maxIterations: 0 });
      expect(fit.iterations).to.equal(0);
      expect(fit.converged).to.equal(false);
      expect(Array.from(fit.weights).every((w) => w === 0)).to.equal(true);
    });

    it("stops at maxIterations and says it did not converge", () => {
      const fit = trainLogisticRegression(fixture, { maxIterations: 2, tolerance: 0 });
      expect(fit.iterations).to.equal(2);
      expect(fit.converged).to.equal(false);
    });

    it("standardize: false leaves standardization null; constant features get scale 1", () => {
      const ds: Dataset = {
        rows: 4,
        cols: 2,
        features: new Float64Array([0.1, 1, 0.1, 2, 0.1, 3, 0.1, 4]),
        labels: new Uint8Array([0, 0, 1, 1]),
        classes: [0, 1],
      };
      expect(trainLogisticRegression(ds, { standardize: false }).standardization).to.equal(null);
      const st = computeStandardization(ds);
      expect(st.scale[0]).to.equal(1);
      expect(st.mean[1]).to.equal(2.5);
      expect(st.scale[1]).to.be.closeTo(Math.sqrt(1.25), 1e-15);
    });

    it("a fixed standardization is used as given", () => {
      const own = computeStandardization(fixture);
      const standardization = { mean: own.mean.map(Math.round), scale: own.scale.map((v) => Math.round(v * 10) / 10) };
      const fit = trainLogisticRegression(fixture, { standardization });
      expect(fit.standardization).to.deep.equal(standardization);
      expect(fit.converged).to.equal(true);
    });

    it("separable data with a large C still ends with finite weights", () => {
      const ds: Dataset = {
        rows: 4,
        cols: 1,
        features: new Float64Array([-2, -1, 1, 2]),
        labels: new Uint8Array([0, 0, 1, 1]),
        classes: [0, 1],
      };
      const fit = trainLogisticRegression(ds, { c: 1e6, maxIterations: 500 });
      expect(Number.isFinite(fit.weights[0]) && Number.isFinite(fit.bias[0])).to.equal(true);
      expect(Array.from(predictLabels(predictProba(fit, ds.features, 4, 1)))).to.deep.equal([0, 0, 1, 1]);
    });

    it("rejects bad options with clear errors", async () => {
      await expectFlaiError(() => trainLogisticRegression(fixture, { c: 0 }), '"c"', "> 0");
      await expectFlaiError(() => trainLogisticRegression(fixture, { maxIterations: 1.5 }), '"maxIterations"', "1.5");
      await expectFlaiError(() => trainLogisticRegression(fixture, { tolerance: -1 }), '"tolerance"');
      await expectFlaiError(() => trainLogisticRegression(fixture, { initialWeights: [1, 2] }), "2 values", "8 features");
      await expectFlaiError(() => trainLogisticRegression(fixture, { initialWeights: new Array(8).fill(NaN) }), "weight 0");
      await expectFlaiError(
        () => trainLogisticRegression(fixture, { standardization: { mean: [0], scale: [1] } }),
        "1 means",
        "8 features",
      );
    });

    it("predictProba checks the feature count", async () => {
      const fit = trainLogisticRegression(fixture, {});
      await expectFlaiError(() => predictProba(fit, new Float64Array(7), 1, 7), "8 weights", "7 features");
    });
  });
});
