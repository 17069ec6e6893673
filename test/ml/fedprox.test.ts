import { expect } from "chai";

import type { Dataset } from "../../src/ml/dataset.js";
import { LogisticObjective, trainLogisticRegression } from "../../src/ml/logistic.js";
import { gaussian, mulberry32 } from "../../src/util/prng.js";

import { expectFlaiError } from "../helpers/assert.js";

function synthetic(rows: number, cols: number, seed: number): Dataset {
  const rand = mulberry32(seed);
  const normal = gaussian(rand);
  const features = new Float64Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    labels[i] = rand() < 0.5 ? 1 : 0;
    for (let j = 0; j < cols; j++) features[i * cols + j] = normal() + (labels[i] === 1 ? 0.6 : -0.6) * ((j % 3) - 1);
  }
  return { rows, cols, features, labels, classes: [0, 1] };
}

const distance = (w: ArrayLike<number>, b: number, center: ArrayLike<number>) => {
  let sq = (b - center[w.length]!) ** 2;
  for (let j = 0; j < w.length; j++) sq += (w[j]! - center[j]!) ** 2;
  return Math.sqrt(sq);
};

describe("ml/logistic FedProx proximal term", () => {
  const ds = synthetic(300, 6, 1);
  const center = Float64Array.from([0.5, -1, 0.25, 2, -0.75, 0.1, -0.3]); // 6 weights, then the bias

  it("adds (mu/2)·‖θ − center‖² (bias included) to the objective, with a gradient that matches finite differences", () => {
    const mu = 0.7;
    const plain = new LogisticObjective(ds.features, ds.labels, ds.rows, ds.cols, 2);
    const prox = new LogisticObjective(ds.features, ds.labels, ds.rows, ds.cols, 2, { mu, center });
    const rand = mulberry32(5);
    for (let trial = 0; trial < 5; trial++) {
      const params = Float64Array.from({ length: 7 }, () => 4 * rand() - 2);
      const gPlain = new Float64Array(7);
      const grad = new Float64Array(7);
      const f = prox.evaluate(params, grad);
      expect(f - plain.evaluate(params, gPlain)).to.be.closeTo((mu / 2) * distance(params.subarray(0, 6), params[6]!, center) ** 2, 1e-12);
      const h = 1e-6;
      const scratch = new Float64Array(7);
      for (let j = 0; j < 7; j++) {
        const up = Float64Array.from(params);
        const down = Float64Array.from(params);
        up[j]! += h;
        down[j]! -= h;
        const numeric = (prox.evaluate(up, scratch) - prox.evaluate(down, scratch)) / (2 * h);
        expect(grad[j], `∂/∂θ${j}`).to.be.closeTo(numeric, 1e-7);
        expect(grad[j]! - gPlain[j]!).to.be.closeTo(mu * (params[j]! - center[j]!), 1e-12);
      }
    }
  });

  it("mu = 0 trains bit-identically to no proximal term", () => {
    const a = trainLogisticRegression(ds, {});
    const b = trainLogisticRegression(ds, { proximal: { mu: 0, center } });
    expect(Buffer.from(b.weights.buffer).equals(Buffer.from(a.weights.buffer))).to.equal(true);
    expect(Buffer.from(b.bias.buffer).equals(Buffer.from(a.bias.buffer))).to.equal(true);
    expect(b.iterations).to.equal(a.iterations);
  });

  it("a large mu pins the solution to the center; the distance shrinks as mu grows", () => {
    const free = trainLogisticRegression(ds, {});
    const distances = [1e-4, 0.01, 0.1, 1, 10, 1e4].map((mu) => {
      const fit = trainLogisticRegression(ds, {
        proximal: { mu, center },
        initialWeights: center.subarray(0, 6),
        initialBias: center.subarray(6),
      });
      expect(fit.converged).to.equal(true);
      return distance(fit.weights, fit.bias[0]!, center);
    });
    for (let i = 1; i < distances.length; i++) expect(distances[i]).to.be.lessThan(distances[i - 1]!);
    expect(distances[distances.length - 1]).to.be.lessThan(1e-3);
    // Tiny next to the L2 strength λ = 1/(C·n) = 1/300: about the unconstrained fit.
    expect(distances[0]).to.be.closeTo(distance(free.weights, free.bias[0]!, center), 0.01 * distances[0]!);
  });

  it("the solution is stationary for the proximal objective", () => {
    const mu = 0.5;
    const fit = trainLogisticRegression(ds, { proximal: { mu, center }, tolerance: 1e-10, maxIterations: 500 });
    const x = new Float64Array(ds.rows * ds.cols);
    const st = fit.standardization!;
    for (let i = 0; i < ds.rows; i++)
      for (let j = 0; j < ds.cols; j++) x[i * ds.cols + j] = (ds.features[i * ds.cols + j]! - st.mean[j]!) / st.scale[j]!;
    const objective = new LogisticObjective(x, ds.labels, ds.rows, ds.cols, 1, { mu, center });
    const grad = new Float64Array(7);
    objective.evaluate(Float64Array.from([...fit.weights, ...fit.bias]), grad);
    for (const g of grad) expect(Math.abs(g)).to.be.lessThan(1e-8);
  });

  it("explains a bad mu or center", async () => {
    await expectFlaiError(() => trainLogisticRegression(ds, { proximal: { mu: -1, center } }), '"mu"', "≥ 0");
    await expectFlaiError(() => trainLogisticRegression(ds, { proximal: { mu: NaN, center } }), '"mu"');
    await expectFlaiError(
      () => trainLogisticRegression(ds, { proximal: { mu: 1, center: center.subarray(0, 6) } }),
      "6 values",
      "needs 7",
      "bias",
    );
    const bad = Float64Array.from(center);
    bad[6] = Infinity;
    await expectFlaiError(() => trainLogisticRegression(ds, { proximal: { mu: 1, center: bad } }), "bias", "Infinity");
  });
});
