import { expect } from "chai";

import { initialModel, runRoundsInProcess } from "../../src/federated/in-process.js";
import { trainClientUpdate } from "../../src/federated/local-training.js";
import type { Dataset } from "../../src/ml/dataset.js";
import {
  computeStandardization,
  LogisticObjective,
  objectiveGradient,
  predictProba,
  predictProbaCentered,
  trainingRows,
  trainLogisticRegression,
  type LogisticResult,
  type Standardization,
} from "../../src/ml/logistic.js";
import { accumulateRows, KERNEL_BLOCK_ROWS } from "../../src/ml/logistic-kernel.js";
import { PARTITION_MIN_ENTRIES, RowSums } from "../../src/ml/logistic-parallel.js";
import { accumulateSoftmaxRows } from "../../src/ml/softmax-kernel.js";
import { SoftmaxObjective } from "../../src/ml/softmax-objective.js";
import { gaussian, mulberry32 } from "../../src/util/prng.js";

import { expectFlaiError } from "../helpers/assert.js";

/** Features with per-column offsets and spreads (what standardization is for), labels from a noisy linear rule. */
function data(rows: number, cols: number, seed: number, classes = 2): Dataset {
  const rand = mulberry32(seed);
  const normal = gaussian(rand);
  const offset = Array.from({ length: cols }, (_, j) => 10 * Math.sin(j + seed));
  const spread = Array.from({ length: cols }, (_, j) => 0.1 + 5 * rand() + (j % 3));
  const features = new Float64Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = 0;
    for (let j = 0; j < cols; j++) {
      const u = normal();
      features[i * cols + j] = offset[j]! + spread[j]! * u;
      z += u * Math.cos(j);
    }
    labels[i] = i < classes ? i : Math.abs(Math.floor(z + 0.5 * normal())) % classes;
  }
  return { rows, cols, features, labels, classes: Array.from({ length: classes }, (_, k) => k) };
}

/** The standardized copy the objectives no longer make: (x − m)/s, row-major. */
function standardizedCopy(ds: Dataset, st: Standardization): Dataset {
  const features = Float64Array.from(ds.features, (v, t) => (v - st.mean[t % ds.cols]!) / st.scale[t % ds.cols]!);
  return { ...ds, features };
}

/** A plain one-row-at-a-time binary loss + gradient loop over rows [start, end) (the kernel's sums). */
function plainBinarySums(
  ds: Dataset,
  params: ArrayLike<number>,
  start: number,
  end: number,
  center: ArrayLike<number> | null,
): Float64Array {
  const { cols, features: x, labels: y } = ds;
  const out = new Float64Array(cols + 2);
  for (let i = start; i < end; i++) {
    const xi = (j: number) => x[i * cols + j]! - (center === null ? 0 : center[j]!);
    let z = params[cols]!;
    for (let j = 0; j < cols; j++) z += params[j]! * xi(j);
    const e = Math.exp(-Math.abs(z));
    const margin = y[i] === 1 ? (z < 0 ? -z : 0) : z > 0 ? z : 0;
    out[0]! += margin + Math.log1p(e);
    const r = (z >= 0 ? 1 / (1 + e) : e / (1 + e)) - y[i]!;
    for (let j = 0; j < cols; j++) out[1 + j]! += r * xi(j);
    out[1 + cols]! += r;
  }
  return out;
}

const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBits = (a: LogisticResult, b: LogisticResult) => bits(a.weights).equals(bits(b.weights)) && bits(a.bias).equals(bits(b.bias));

function expectRelClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  let scale = 0;
  for (let t = 0; t < expected.length; t++) scale = Math.max(scale, Math.abs(expected[t]!));
  for (let t = 0; t < expected.length; t++) {
    expect(Math.abs(actual[t]! - expected[t]!), `${what} [${t}]: ${actual[t]} vs ${expected[t]}`).to.be.at.most(
      rel * Math.max(scale, 1e-300),
    );
  }
}

describe("ml/logistic: standardization without a standardized copy", () => {
  describe("the kernels", () => {
    it("uncentered, the cache-sized blocks (two rows at a time for wide rows) keep every bit of the plain loop", () => {
      const rand = mulberry32(3);
      // cols ≥ 16384 gives blocks of 2 rows; 6000 gives 5; 40 gives KERNEL_BLOCK_ROWS.
      for (const [rows, cols] of [
        [7, 20_000],
        [12, 6000],
        [KERNEL_BLOCK_ROWS + 3, 40],
      ] as const) {
        const ds = data(rows, cols, rows + cols);
        const params = Float64Array.from({ length: cols + 1 }, () => (2 * rand() - 1) / Math.sqrt(cols));
        for (const [start, end] of [
          [0, rows],
          [1, rows],
          [2, 5],
        ] as const) {
          const out = new Float64Array(cols + 2);
          accumulateRows(
            ds.features,
            ds.labels,
            cols,
            start,
            end,
            params,
            out,
            0,
            new Float64Array(KERNEL_BLOCK_ROWS),
            new Float64Array(cols),
          );
          expect(bits(out).equals(bits(plainBinarySums(ds, params, start, end, null))), `${rows}×${cols}, rows ${start}..${end}`).to.equal(
            true,
          );
        }
      }
    });

    it("centered, the binary kernel's sums are the plain loop's over (x − center) to 1e-12 (in fact bit for bit)", () => {
      const rand = mulberry32(4);
      for (const [rows, cols] of [
        [9, 20_000],
        [300, 13],
        [1, 3],
      ] as const) {
        const ds = data(rows, cols, 7 * rows + cols);
        const center = Float64Array.from({ length: cols }, () => 20 * rand() - 10);
        const params = Float64Array.from({ length: cols + 1 }, () => (2 * rand() - 1) / Math.sqrt(cols));
        const out = new Float64Array(cols + 2);
        accumulateRows(
          ds.features,
          ds.labels,
          cols,
          0,
          rows,
          params,
          out,
          0,
          new Float64Array(KERNEL_BLOCK_ROWS),
          new Float64Array(cols),
          center,
        );
        const want = plainBinarySums(ds, params, 0, rows, center);
        expectRelClose(out, want, 1e-12, `${rows}×${cols}`);
        expect(bits(out).equals(bits(want))).to.equal(true);
      }
    });

    it("centered, the softmax kernel's sums are a plain loop's over (x − center) to 1e-12", () => {
      const cols = 11;
      const K = 3;
      const ds = data(301, cols, 5, K);
      const rand = mulberry32(6);
      const center = Float64Array.from({ length: cols }, () => 20 * rand() - 10);
      const params = Float64Array.from({ length: K * (cols + 1) }, () => 0.3 * (2 * rand() - 1));
      const want = new Float64Array(1 + K * (cols + 1));
      for (let i = 0; i < ds.rows; i++) {
        const xi = (j: number) => ds.features[i * cols + j]! - center[j]!;
        const z = Array.from({ length: K }, (_, k) => {
          let v = params[K * cols + k]!;
          for (let j = 0; j < cols; j++) v += params[k * cols + j]! * xi(j);
          return v;
        });
        const max = Math.max(...z);
        const e = z.map((v) => Math.exp(v - max));
        const sum = e.reduce((a, b) => a + b, 0);
        want[0]! += Math.log(sum) + max - z[ds.labels[i]!]!;
        for (let k = 0; k < K; k++) {
          const r = e[k]! / sum - (k === ds.labels[i] ? 1 : 0);
          for (let j = 0; j < cols; j++) want[1 + k * cols + j]! += r * xi(j);
          want[1 + K * cols + k]! += r;
        }
      }
      const out = new Float64Array(want.length);
      accumulateSoftmaxRows(ds.features, ds.labels, cols, K, 0, ds.rows, params, out, 0, new Float64Array(2 * K), center);
      expectRelClose(out, want, 1e-12, "softmax sums");
    });
  });

  describe("the objectives", () => {
    for (const classes of [2, 4]) {
      it(`${classes} classes: F and ∇F with a standardization are those of the standardized copy, to 1e-12 relative`, () => {
        const ds = data(400, 9, 11 + classes, classes);
        const st = computeStandardization(ds);
        const copy = standardizedCopy(ds, st);
        const outputs = classes === 2 ? 1 : classes;
        const dim = outputs * (ds.cols + 1);
        const make = (d: Dataset, standardization: Standardization | null) =>
          outputs === 1
            ? new LogisticObjective(d.features, d.labels, d.rows, d.cols, 0.7, undefined, { standardization })
            : new SoftmaxObjective(d.features, d.labels, d.rows, d.cols, outputs, 0.7, undefined, { standardization });
        const ours = make(ds, st);
        const reference = make(copy, null);
        const rand = mulberry32(12);
        for (let trial = 0; trial < 3; trial++) {
          const params = Float64Array.from({ length: dim }, () => 2 * rand() - 1);
          const g1 = new Float64Array(dim);
          const g2 = new Float64Array(dim);
          const f1 = ours.evaluate(params, g1);
          const f2 = reference.evaluate(params, g2);
          expectRelClose([f1], [f2], 1e-12, "F");
          expectRelClose(g1, g2, 1e-12, "∇F");
        }
      });
    }

    it("training with a standardization ends where training on the standardized copy does (same iterations, 1e-9)", () => {
      const ds = data(500, 12, 21);
      const st = computeStandardization(ds);
      const ours = trainLogisticRegression(ds, { standardization: st });
      const reference = trainLogisticRegression(standardizedCopy(ds, st), { standardize: false });
      expect(ours.iterations).to.equal(reference.iterations);
      expectRelClose(ours.weights, reference.weights, 1e-9, "weights");
      expectRelClose(ours.bias, reference.bias, 1e-9, "bias");
      expect(ours.standardization).to.deep.equal(st);
    });
  });

  describe("trainingRows shared by several calls", () => {
    it("objectiveGradient then training on one trainingRows: the same bits as separate calls, one pass fewer", () => {
      const ds = data(300, 8, 31);
      const st = computeStandardization(ds);
      const start = Float64Array.from({ length: 8 }, (_, j) => 0.1 * Math.sin(j));
      const base = { c: 2, standardization: st, initialWeights: start, initialBias: [0.05] };
      const center = [...start, 0.05];
      const train = { ...base, maxIterations: 3, proximal: { mu: 0.2, center } };
      const separateGradient = objectiveGradient(ds, base);
      const separateFit = trainLogisticRegression(ds, { ...train, linear: separateGradient.map((g) => -g) });

      let passes: number;
      const rows = trainingRows(ds, base);
      try {
        const before = rows.rowSums.passes;
        const gradient = objectiveGradient(ds, { ...base, rows });
        const fit = trainLogisticRegression(ds, { ...train, rows, linear: gradient.map((g) => -g) });
        passes = rows.rowSums.passes - before;
        expect(bits(gradient).equals(bits(separateGradient))).to.equal(true);
        expect(sameBits(fit, separateFit)).to.equal(true);
      } finally {
        rows.close();
      }
      let evaluations = 0;
      const original = RowSums.prototype.sums;
      RowSums.prototype.sums = function (this: RowSums, p: Float64Array) {
        evaluations++;
        return original.call(this, p);
      };
      try {
        objectiveGradient(ds, base);
        trainLogisticRegression(ds, { ...train, linear: separateGradient.map((g) => -g) });
      } finally {
        RowSums.prototype.sums = original;
      }
      expect(passes).to.equal(evaluations - 1);
    });

    it("RowSums answers the same params from its last sums, and recomputes for any other params (−0 included)", () => {
      const ds = data(50, 4, 41);
      const sums = new RowSums(ds.features, ds.labels, ds.rows, ds.cols, 1, 1);
      const p = Float64Array.from([0.1, -0.2, 0.3, 0, 0.5]);
      const first = Float64Array.from(sums.sums(p));
      expect(sums.passes).to.equal(1);
      expect(bits(Float64Array.from(sums.sums(Float64Array.from(p)))).equals(bits(first))).to.equal(true);
      expect(sums.passes).to.equal(1);
      const negZero = Float64Array.from(p);
      negZero[3] = -0;
      sums.sums(negZero);
      expect(sums.passes).to.equal(2);
      const moved = Float64Array.from(p);
      moved[0] = 0.11;
      const other = Float64Array.from(sums.sums(moved));
      expect(sums.passes).to.equal(3);
      expect(bits(other).equals(bits(first))).to.equal(false);
    });

    it("refuses rows prepared for other data or another standardization (no stale reads)", async () => {
      const ds = data(60, 5, 51);
      const st = computeStandardization(ds);
      const rows = trainingRows(ds, { standardization: st });
      try {
        const other = data(60, 5, 52);
        await expectFlaiError(() => trainLogisticRegression(other, { standardization: st, rows }), "options.rows", "other data");
        // Same rows and shape, features replaced: other data.
        await expectFlaiError(
          () => trainLogisticRegression({ ...ds, features: Float64Array.from(ds.features) }, { standardization: st, rows }),
          "options.rows",
        );
        const shifted = { mean: st.mean.map((m, j) => (j === 2 ? m + 1e-9 : m)), scale: st.scale };
        await expectFlaiError(() => objectiveGradient(ds, { standardization: shifted, rows }), "another standardization");
        await expectFlaiError(() => trainLogisticRegression(ds, { standardize: false, rows }), "options.rows");
        // The matching call works.
        expect(trainLogisticRegression(ds, { standardization: st, rows, maxIterations: 2 }).iterations).to.equal(2);
      } finally {
        rows.close();
      }
    });

    it("trainClientUpdate keeps nothing between calls: data changed in place trains as fresh data does", () => {
      const cols = 6;
      const clients = [data(80, cols, 61), data(80, cols, 62)];
      const st = computeStandardization(clients[0]!);
      const { model } = runRoundsInProcess({ features: cols, standardization: st }, clients, data(30, cols, 63), 1);
      const mine = data(80, cols, 64);
      const first = trainClientUpdate(model, "0x01", mine, "client");
      for (let t = 0; t < mine.features.length; t += 7) mine.features[t]! += 0.5; // the same Dataset object, new values
      const again = trainClientUpdate(model, "0x01", mine, "client");
      const fresh = trainClientUpdate(model, "0x01", { ...mine, features: Float64Array.from(mine.features) }, "client");
      expect(bits(again.delta).equals(bits(fresh.delta))).to.equal(true);
      expect(bits(again.gradient!).equals(bits(fresh.gradient!))).to.equal(true);
      expect(bits(again.delta).equals(bits(first.delta))).to.equal(false);
      expect(initialModel({ features: cols, standardization: st }).round).to.equal(0);
    });

    it("large data on worker threads: the reused workers' buffer never carries one dataset into the next", function () {
      this.timeout(120_000);
      const cols = 50;
      const rowsN = Math.ceil(PARTITION_MIN_ENTRIES / cols) + 1000;
      const sets = [data(rowsN, cols, 71), data(rowsN, cols, 72)];
      const st = computeStandardization(sets[0]!);
      const params = Float64Array.from({ length: cols + 1 }, (_, j) => 0.05 * Math.cos(j));
      /** ∇F on `ds` at `params`; on 2 threads, from a pass a worker took part in (it read the workers' copy). */
      const gradient = (ds: Dataset, threads: number): Float64Array => {
        const objective = new LogisticObjective(ds.features, ds.labels, ds.rows, ds.cols, 1, undefined, { threads, standardization: st });
        const grad = new Float64Array(cols + 1);
        const nudged = Float64Array.from(params, (v, j) => (j === cols ? v + 0.01 : v));
        try {
          const deadline = Date.now() + 20_000;
          for (;;) {
            const before = objective.parallelism.workerPartitions;
            objective.evaluate(params, grad);
            if (threads === 1 || objective.parallelism.workerPartitions > before) return grad;
            expect(Date.now(), "a worker took part in a pass").to.be.below(deadline);
            // Elsewhere first, so that the next pass at params is computed again, not taken from the last sums.
            objective.evaluate(nudged, new Float64Array(cols + 1));
          }
        } finally {
          objective.close();
        }
      };
      const alone = sets.map((ds) => gradient(ds, 1));
      // a, b, a again on 2 threads: each RowSums leases the buffer the previous one returned.
      for (const k of [0, 1, 0, 1]) expect(bits(gradient(sets[k]!, 2)).equals(bits(alone[k]!)), `data set ${k}`).to.equal(true);
      expect(bits(alone[0]!).equals(bits(alone[1]!))).to.equal(false);
    });
  });

  it("predictProbaCentered equals predictProba up to rounding (1e-12), and is predictProba without a standardization", () => {
    const ds = data(200, 30, 81);
    const st = computeStandardization(ds);
    const rand = mulberry32(82);
    const model = { weights: Float64Array.from({ length: 30 }, () => 2 * rand() - 1), bias: 0.3, standardization: st };
    expectRelClose(
      predictProbaCentered(model, ds.features, ds.rows, ds.cols),
      predictProba(model, ds.features, ds.rows, ds.cols),
      1e-12,
      "P(y = 1)",
    );
    const plain = { ...model, standardization: null };
    expect(
      bits(predictProbaCentered(plain, ds.features, ds.rows, ds.cols)).equals(bits(predictProba(plain, ds.features, ds.rows, ds.cols))),
    ).to.equal(true);
  });
});
