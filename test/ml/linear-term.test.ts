import { expect } from "chai";

import type { Dataset } from "../../src/ml/dataset.js";
import { LogisticObjective, objectiveGradient, trainLogisticRegression } from "../../src/ml/logistic.js";
import { SoftmaxObjective } from "../../src/ml/softmax-objective.js";
import { gaussian, mulberry32 } from "../../src/util/prng.js";

import { expectFlaiError } from "../helpers/assert.js";

/** K Gaussian classes, each shifted along its own features. */
function synthetic(rows: number, cols: number, classes: number, seed: number): Dataset {
  const rand = mulberry32(seed);
  const normal = gaussian(rand);
  const features = new Float64Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    labels[i] = Math.floor(rand() * classes);
    for (let j = 0; j < cols; j++) features[i * cols + j] = normal() + (j % classes === labels[i] ? 0.8 : 0);
  }
  return { rows, cols, features, labels, classes: Array.from({ length: classes }, (_, k) => k) };
}

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

for (const classes of [2, 4]) {
  const outputs = classes === 2 ? 1 : classes;
  const cols = 5;
  const dim = outputs * (cols + 1);
  const ds = synthetic(240, cols, classes, 3 + classes);
  const c = 0.7;
  const rand = mulberry32(11);
  const linear = Float64Array.from({ length: dim }, () => rand() - 0.5);
  const center = Float64Array.from({ length: dim }, () => rand() - 0.5);
  const proximal = { mu: 0.1, center };
  const plain = () =>
    outputs === 1
      ? new LogisticObjective(ds.features, ds.labels, ds.rows, cols, c, proximal)
      : new SoftmaxObjective(ds.features, ds.labels, ds.rows, cols, outputs, c, proximal);

  describe(`ml/logistic linear (drift-correction) term, ${classes} classes`, () => {
    it("objectiveGradient is ∇(F + ⟨linear, θ⟩) (F with its proximal term), matching finite differences", () => {
      const base = plain();
      const scratch = new Float64Array(dim);
      const corrected = (p: Float64Array) => base.evaluate(p, scratch) + p.reduce((s, v, t) => s + v * linear[t]!, 0);
      for (let trial = 0; trial < 3; trial++) {
        const params = Float64Array.from({ length: dim }, () => 2 * rand() - 1);
        const grad = objectiveGradient(ds, {
          c,
          standardize: false,
          initialWeights: params.subarray(0, outputs * cols),
          initialBias: params.subarray(outputs * cols),
          proximal,
          linear,
        });
        const h = 1e-6;
        for (let t = 0; t < dim; t++) {
          const up = Float64Array.from(params);
          const down = Float64Array.from(params);
          up[t]! += h;
          down[t]! -= h;
          expect(grad[t], `∂/∂θ${t}`).to.be.closeTo((corrected(up) - corrected(down)) / (2 * h), 1e-7);
        }
      }
    });

    it("a zero linear term trains bit-identically to none", () => {
      const a = trainLogisticRegression(ds, { c, proximal });
      const b = trainLogisticRegression(ds, { c, proximal, linear: new Float64Array(dim) });
      expect(bytes(b.weights).equals(bytes(a.weights))).to.equal(true);
      expect(bytes(b.bias).equals(bytes(a.bias))).to.equal(true);
      expect(b.iterations).to.equal(a.iterations);
    });

    it("the trained model is stationary for F + ⟨linear, θ⟩ (and not for F alone)", () => {
      const fit = trainLogisticRegression(ds, { c, proximal, linear, tolerance: 1e-10, maxIterations: 1000 });
      const at = { c, proximal, standardization: fit.standardization!, initialWeights: fit.weights, initialBias: fit.bias };
      const corrected = objectiveGradient(ds, { ...at, linear });
      for (const g of corrected) expect(Math.abs(g)).to.be.lessThan(1e-8);
      // Without the term the gradient at that point is −linear: the term really moved the optimum.
      const alone = objectiveGradient(ds, at);
      alone.forEach((g, t) => expect(g).to.be.closeTo(-linear[t]!, 1e-8));
    });

    it("explains a linear term of the wrong length, with a non-finite value, or without a proximal term", async () => {
      await expectFlaiError(
        () => trainLogisticRegression(ds, { proximal, linear: linear.subarray(1) }),
        `${dim - 1} values`,
        `${dim} parameters`,
      );
      const bad = Float64Array.from(linear);
      bad[2] = NaN;
      await expectFlaiError(() => objectiveGradient(ds, { proximal, linear: bad }), "value 2", "NaN", "finite");
      await expectFlaiError(() => trainLogisticRegression(ds, { linear }), "proximal", "mu > 0", "unbounded");
      await expectFlaiError(() => trainLogisticRegression(ds, { proximal: { mu: 0, center }, linear }), "proximal", "mu > 0");
    });
  });
}
