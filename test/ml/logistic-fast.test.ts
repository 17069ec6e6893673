import { expect } from "chai";

import type { Dataset } from "../../src/ml/dataset.js";
import { LogisticObjective, trainLogisticRegression, type LogisticResult, type Proximal } from "../../src/ml/logistic.js";
import { accumulateRows, KERNEL_BLOCK_ROWS } from "../../src/ml/logistic-kernel.js";
import { PARTITION_MIN_ENTRIES, PARTITIONS, partitionCount, sharedCopy } from "../../src/ml/logistic-parallel.js";
import { gaussian, mulberry32 } from "../../src/util/prng.js";

import { expectFlaiError } from "../helpers/assert.js";

/** Labels from a noisy linear model over unit-ish features. */
function synthetic(rows: number, cols: number, seed: number): Dataset {
  const rand = mulberry32(seed);
  const normal = gaussian(rand);
  const w = Array.from({ length: cols }, () => normal() / Math.sqrt(cols));
  const features = new Float64Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = 0.2 + 0.5 * normal();
    for (let j = 0; j < cols; j++) {
      const v = normal();
      features[i * cols + j] = v;
      z += w[j]! * v;
    }
    labels[i] = z > 0 ? 1 : 0;
  }
  return { rows, cols, features, labels, classes: [0, 1] };
}

/**
 * The objective written plainly and independently: mean log-loss via the textbook
 * −[y·log σ(z) + (1−y)·log(1−σ(z))], gradient (σ(z) − y)·x averaged, plus ½λ‖w‖² (λ = 1/(C·n))
 * and the FedProx term. Only for moderate |z| (no overflow care).
 */
function plainObjective(ds: Dataset, c: number, params: ArrayLike<number>, proximal?: Proximal) {
  const { rows, cols, features, labels } = ds;
  const grad = new Array<number>(cols + 1).fill(0);
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    let z = params[cols]!;
    for (let j = 0; j < cols; j++) z += params[j]! * features[i * cols + j]!;
    const p = 1 / (1 + Math.exp(-z));
    loss -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
    for (let j = 0; j < cols; j++) grad[j]! += (p - labels[i]!) * features[i * cols + j]!;
    grad[cols]! += p - labels[i]!;
  }
  const lambda = 1 / (c * rows);
  let f = loss / rows;
  for (let j = 0; j <= cols; j++) grad[j]! /= rows;
  for (let j = 0; j < cols; j++) {
    f += 0.5 * lambda * params[j]! ** 2;
    grad[j]! += lambda * params[j]!;
  }
  if (proximal !== undefined) {
    for (let j = 0; j <= cols; j++) {
      const d = params[j]! - proximal.center[j]!;
      f += 0.5 * proximal.mu * d * d;
      grad[j]! += proximal.mu * d;
    }
  }
  return { f, grad };
}

/**
 * The loss/gradient loop exactly as it was before the blocked kernel (one row at a time, fused),
 * kept here to pin down that small-data results did not change by a single bit.
 */
function originalEvaluate(ds: Dataset, c: number, params: Float64Array, grad: Float64Array): number {
  const { features: x, labels: y, rows, cols } = ds;
  const lambda = 1 / (c * rows);
  grad.fill(0);
  const bias = params[cols]!;
  let loss = 0;
  let gBias = 0;
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    let z = bias;
    for (let j = 0; j < cols; j++) z += params[j]! * x[off + j]!;
    const e = Math.exp(-Math.abs(z));
    const label = y[i]!;
    const margin = label === 1 ? (z < 0 ? -z : 0) : z > 0 ? z : 0;
    loss += margin + Math.log1p(e);
    const r = (z >= 0 ? 1 / (1 + e) : e / (1 + e)) - label;
    for (let j = 0; j < cols; j++) grad[j]! += r * x[off + j]!;
    gBias += r;
  }
  const inv = 1 / rows;
  let wSq = 0;
  for (let j = 0; j < cols; j++) {
    const w = params[j]!;
    wSq += w * w;
    grad[j] = grad[j]! * inv + lambda * w;
  }
  grad[cols] = gBias * inv;
  return loss * inv + 0.5 * lambda * wSq;
}

function randomParams(n: number, rand: () => number, size = 1): Float64Array {
  return Float64Array.from({ length: n }, () => size * (2 * rand() - 1));
}

const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBits = (a: LogisticResult, b: LogisticResult) =>
  bits(a.weights).equals(bits(b.weights)) && bits(a.bias).equals(bits(b.bias)) && a.iterations === b.iterations;

function expectClose(actual: number, expected: number, rel: number, what: string): void {
  expect(Math.abs(actual - expected), what).to.be.at.most(rel * Math.max(1, Math.abs(expected)));
}

// Just over the threshold, so the partitioned (and threaded) path is what runs.
const LARGE_ROWS = 41_000;
const LARGE_COLS = 50;

describe("ml/logistic fast path", () => {
  let large: Dataset;
  before(function () {
    this.timeout(30_000);
    large = synthetic(LARGE_ROWS, LARGE_COLS, 17);
  });

  it("large test data really is over the partitioning threshold, small data is not", () => {
    expect(LARGE_ROWS * LARGE_COLS).to.be.greaterThan(PARTITION_MIN_ENTRIES);
    expect(partitionCount(LARGE_ROWS, LARGE_COLS)).to.equal(PARTITIONS);
    expect(partitionCount(1000, 50)).to.equal(1);
    expect(new LogisticObjective(large.features, large.labels, large.rows, large.cols, 1).parallelism.partitions).to.equal(PARTITIONS);
  });

  it("small data (1 partition): bit-identical to the original one-row-at-a-time loop", () => {
    const rand = mulberry32(1);
    for (const [rows, cols] of [
      [1, 1],
      [2, 3],
      [7, 3],
      [KERNEL_BLOCK_ROWS, 4],
      [KERNEL_BLOCK_ROWS + 1, 5],
      [2 * KERNEL_BLOCK_ROWS + 3, 2],
      [3001, 13],
    ] as const) {
      const ds = synthetic(rows, cols, rows * 31 + cols);
      const objective = new LogisticObjective(ds.features, ds.labels, rows, cols, 0.7);
      expect(objective.parallelism.partitions).to.equal(1);
      for (let trial = 0; trial < 4; trial++) {
        const params = randomParams(cols + 1, rand, 3);
        const g1 = new Float64Array(cols + 1);
        const g2 = new Float64Array(cols + 1);
        const f1 = objective.evaluate(params, g1);
        const f2 = originalEvaluate(ds, 0.7, params, g2);
        expect(Object.is(f1, f2), `${rows}×${cols} loss`).to.equal(true);
        expect(bits(g1).equals(bits(g2)), `${rows}×${cols} gradient`).to.equal(true);
      }
    }
  });

  it("accumulateRows over adjacent ranges covers exactly those rows (odd sizes, block edges)", () => {
    const ds = synthetic(2 * KERNEL_BLOCK_ROWS + 7, 3, 5);
    const params = randomParams(4, mulberry32(2));
    const z = new Float64Array(KERNEL_BLOCK_ROWS);
    const acc = new Float64Array(3);
    const whole = new Float64Array(5);
    accumulateRows(ds.features, ds.labels, 3, 0, ds.rows, params, whole, 0, z, acc);
    const parts = new Float64Array(5 * 3);
    const cuts = [0, 1, KERNEL_BLOCK_ROWS + 2, ds.rows];
    for (let k = 0; k < 3; k++) accumulateRows(ds.features, ds.labels, 3, cuts[k]!, cuts[k + 1]!, params, parts, 5 * k, z, acc);
    for (let t = 0; t < 5; t++) expectClose(parts[t]! + parts[5 + t]! + parts[10 + t]!, whole[t]!, 1e-12, `sum ${t}`);
    // An empty range contributes nothing.
    const empty = new Float64Array(5).fill(NaN);
    accumulateRows(ds.features, ds.labels, 3, 4, 4, params, empty, 0, z, acc);
    expect(Array.from(empty)).to.deep.equal([0, 0, 0, 0, 0]);
  });

  describe("matches the plain objective and gradient", () => {
    const center = Float64Array.from({ length: LARGE_COLS + 1 }, (_, j) => Math.sin(j));
    for (const proximal of [undefined, { mu: 0.3, center }]) {
      const tag = proximal === undefined ? "" : " with FedProx";
      it(`small data, 1 partition${tag}`, () => {
        const ds = synthetic(2000, LARGE_COLS, 3);
        const objective = new LogisticObjective(ds.features, ds.labels, ds.rows, ds.cols, 2, proximal);
        const rand = mulberry32(4);
        for (let trial = 0; trial < 3; trial++) {
          const params = randomParams(ds.cols + 1, rand, 0.5);
          const grad = new Float64Array(ds.cols + 1);
          const f = objective.evaluate(params, grad);
          const plain = plainObjective(ds, 2, params, proximal);
          expectClose(f, plain.f, 1e-12, "loss");
          for (let j = 0; j <= ds.cols; j++) expectClose(grad[j]!, plain.grad[j]!, 1e-12, `∂θ${j}`);
        }
      });

      it(`small data, odd forced partitionings${tag}`, () => {
        const ds = synthetic(1001, 7, 8);
        const cProx = proximal === undefined ? undefined : { mu: 0.3, center: center.subarray(0, 8) };
        const rand = mulberry32(6);
        for (const partitions of [2, 3, 8, 1001, 5000]) {
          const objective = new LogisticObjective(ds.features, ds.labels, ds.rows, ds.cols, 1, cProx, { partitions });
          expect(objective.parallelism.partitions).to.equal(Math.min(partitions, ds.rows));
          const params = randomParams(8, rand);
          const grad = new Float64Array(8);
          const f = objective.evaluate(params, grad);
          const plain = plainObjective(ds, 1, params, cProx);
          expectClose(f, plain.f, 1e-12, `loss, ${partitions} partitions`);
          for (let j = 0; j < 8; j++) expectClose(grad[j]!, plain.grad[j]!, 1e-12, `∂θ${j}, ${partitions} partitions`);
        }
      });

      it(`large data, ${PARTITIONS} partitions, 1 and 2 threads${tag}`, function () {
        this.timeout(60_000);
        const rand = mulberry32(9);
        const single = new LogisticObjective(large.features, large.labels, large.rows, large.cols, 1, proximal, { partitions: 1 });
        for (const threads of [1, 2]) {
          const objective = new LogisticObjective(large.features, large.labels, large.rows, large.cols, 1, proximal, { threads });
          try {
            for (let trial = 0; trial < 2; trial++) {
              const params = randomParams(large.cols + 1, rand, 0.3);
              const grad = new Float64Array(large.cols + 1);
              const f = objective.evaluate(params, grad);
              const plain = plainObjective(large, 1, params, proximal);
              expectClose(f, plain.f, 1e-10, "loss vs plain");
              for (let j = 0; j <= large.cols; j++) expectClose(grad[j]!, plain.grad[j]!, 1e-10, `∂θ${j} vs plain`);
              // Partitioned vs one single pass: only the rounding of the sums differs.
              const g1 = new Float64Array(large.cols + 1);
              const f1 = single.evaluate(params, g1);
              expectClose(f, f1, 1e-9, "loss vs 1 partition");
              for (let j = 0; j <= large.cols; j++) expectClose(grad[j]!, g1[j]!, 1e-9, `∂θ${j} vs 1 partition`);
            }
          } finally {
            objective.close();
          }
        }
      });
    }
  });

  for (const inShared of [true, false]) {
    const where = inShared ? "data in shared memory" : "data copied for the workers";
    it(`worker threads run and give bit-identical sums, also after close() (${where})`, function () {
      this.timeout(60_000);
      const x = inShared ? sharedCopy(large.features) : large.features;
      const y = inShared ? sharedCopy(large.labels) : large.labels;
      const alone = new LogisticObjective(x, y, large.rows, large.cols, 1);
      const threaded = new LogisticObjective(x, y, large.rows, large.cols, 1, undefined, { threads: 2 });
      try {
        expect(threaded.parallelism.threaded).to.equal(true);
        expect(alone.parallelism.threaded).to.equal(false);
        const rand = mulberry32(10);
        const n = large.cols + 1;
        const g1 = new Float64Array(n);
        const g2 = new Float64Array(n);
        // Workers boot asynchronously (tens of ms); keep evaluating until one has taken part.
        const deadline = Date.now() + 20_000;
        let checked = 0;
        while (checked < 5 || (threaded.parallelism.workerPartitions === 0 && Date.now() < deadline)) {
          const params = randomParams(n, rand, 0.5);
          const f1 = alone.evaluate(params, g1);
          const f2 = threaded.evaluate(params, g2);
          expect(Object.is(f1, f2), "loss").to.equal(true);
          expect(bits(g1).equals(bits(g2)), "gradient").to.equal(true);
          checked++;
        }
        expect(threaded.parallelism.workerPartitions, "partitions computed by a worker").to.be.greaterThan(0);
        threaded.close();
        expect(threaded.parallelism.threaded).to.equal(false);
        const params = randomParams(n, rand, 0.5);
        expect(Object.is(threaded.evaluate(params, g2), alone.evaluate(params, g1))).to.equal(true);
        expect(bits(g1).equals(bits(g2))).to.equal(true);
      } finally {
        threaded.close();
      }
    });
  }

  it("training on large data is bit-identical across runs and thread counts", function () {
    this.timeout(120_000);
    const runs = [
      trainLogisticRegression(large, {}),
      trainLogisticRegression(large, {}),
      trainLogisticRegression(large, { threads: 1 }),
      trainLogisticRegression(large, { threads: 2 }),
      trainLogisticRegression(large, { threads: 3 }),
    ];
    expect(runs[0]!.converged).to.equal(true);
    for (let k = 1; k < runs.length; k++) expect(sameBits(runs[0]!, runs[k]!), `run ${k}`).to.equal(true);
  });

  it("training on large data reaches the plain objective's optimum (gradient ≤ tol) with and without FedProx", function () {
    this.timeout(120_000);
    const center = Float64Array.from({ length: LARGE_COLS + 1 }, (_, j) => 0.1 * Math.cos(j));
    for (const proximal of [undefined, { mu: 0.05, center }]) {
      const fit = trainLogisticRegression(large, { standardize: false, proximal, threads: 2 });
      expect(fit.converged).to.equal(true);
      const again = trainLogisticRegression(large, { standardize: false, proximal, threads: 1 });
      expect(sameBits(fit, again)).to.equal(true);
      const { grad } = plainObjective(large, 1, [...fit.weights, ...fit.bias], proximal);
      expect(Math.max(...grad.map(Math.abs))).to.be.at.most(1e-4 * 1.001);
    }
  });

  it("rejects a bad thread count", async () => {
    const ds = synthetic(10, 2, 1);
    await expectFlaiError(() => trainLogisticRegression(ds, { threads: 0 }), '"threads"', "≥ 1");
    await expectFlaiError(() => trainLogisticRegression(ds, { threads: 1.5 }), '"threads"', "1.5");
  });
});
