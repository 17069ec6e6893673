// End-to-end rows for a client's local round (issue 14): the API call trainClientUpdate (what
// runClient's `train` step runs after reading the global model), from a parsed global model and a
// parsed dataset, 200 rows × 1e5 features (bench/_synthetic.ts, as bench/round.ts), on a round-2
// global model of a default task (drift correction on: the client also takes ∇F_k at the global
// model; the model carries the enclave's correction; the task's standardization). One binary row
// and one multinomial row (3 classes). Run alone with `npx tsx bench/e2e/train.ts`.
//
// Floor, measured in this run: P × one pass of a plain fused loss + gradient loop in one function
// (one row at a time: its dot product, then its residual, then the gradient axpy, over the raw
// data, no standardization, on one thread), divided by the threads the training uses (perfect
// scaling; 2 here), plus one plain prediction pass (one dot product per row) for the client's
// metrics. P is the number of passes over the rows the call makes (the L-BFGS evaluations, the
// drift gradient's included, counted in an untimed call): the floor is the same algorithm done by
// the simplest code, so the ratio shows the implementation's overhead, not L-BFGS's iteration count.
import { createHash } from "node:crypto";
import os from "node:os";

import { globalModelBytes, parseGlobalModel } from "../../src/federated/global-model.js";
import { runRoundsInProcess, type InProcessTask } from "../../src/federated/in-process.js";
import { trainClientUpdate } from "../../src/federated/local-training.js";
import type { Dataset } from "../../src/ml/dataset.js";
import { computeStandardization } from "../../src/ml/logistic.js";
import { defaultThreads, RowSums } from "../../src/ml/logistic-parallel.js";

import { syntheticData } from "../_synthetic.js";

import type { Row } from "./row.js";

const FEATURES = Number(process.env.FEATURES ?? 100_000);
const ROWS = 200;
const CALLS = Number(process.env.CALLS ?? 5);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Class labels 0..K−1 from the synthetic binary data's features (K = 2: the data as generated). */
function withClasses(ds: Dataset, classes: number): Dataset {
  if (classes === 2) return ds;
  const labels = new Uint8Array(ds.rows);
  for (let i = 0; i < ds.rows; i++) labels[i] = i < classes ? i : (ds.labels[i]! + (ds.features[i * ds.cols + 1]! > 0 ? 1 : 0)) % classes;
  return { ...ds, labels, classes: Array.from({ length: classes }, (_, k) => k) };
}

/** One plain fused loss + gradient pass (K scores per row; K = 1: the sigmoid). */
function plainPass(ds: Dataset, outputs: number, w: Float64Array, grad: Float64Array): number {
  const { rows, cols, features: x, labels: y } = ds;
  const z = new Float64Array(outputs);
  let loss = 0;
  grad.fill(0);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let k = 0; k < outputs; k++) {
      let s = w[outputs * cols + k]!;
      for (let j = 0; j < cols; j++) s += w[k * cols + j]! * x[o + j]!;
      z[k] = s;
    }
    if (outputs === 1) {
      const p = 1 / (1 + Math.exp(-z[0]!));
      loss -= Math.log(y[i] === 1 ? p : 1 - p);
      z[0] = p - y[i]!;
    } else {
      let sum = 0;
      for (let k = 0; k < outputs; k++) sum += z[k] = Math.exp(z[k]!);
      loss -= Math.log(z[y[i]!]! / sum);
      for (let k = 0; k < outputs; k++) z[k] = z[k]! / sum - (k === y[i] ? 1 : 0);
    }
    for (let k = 0; k < outputs; k++) {
      const r = z[k]!;
      for (let j = 0; j < cols; j++) grad[k * cols + j]! += r * x[o + j]!;
      grad[outputs * cols + k]! += r;
    }
  }
  return loss;
}

/** One plain prediction pass: the K scores of every row. */
function plainPredict(ds: Dataset, outputs: number, w: Float64Array): number {
  const { rows, cols, features: x } = ds;
  let any = 0;
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < outputs; k++) {
      let s = w[outputs * cols + k]!;
      for (let j = 0; j < cols; j++) s += w[k * cols + j]! * x[i * cols + j]!;
      any += s;
    }
  }
  return any;
}

/** Passes over the rows `fn` makes (RowSums.sums calls that were not answered from its last sums). */
function countPasses(fn: () => void): number {
  const proto = RowSums.prototype as unknown as { sums(this: RowSums, p: Float64Array): Float64Array };
  const original = proto.sums;
  let passes = 0;
  proto.sums = function (this: RowSums, p: Float64Array) {
    const before = this.passes;
    const out = original.call(this, p);
    passes += this.passes - before;
    return out;
  };
  try {
    fn();
  } finally {
    proto.sums = original;
  }
  return passes;
}

async function caseRow(classes: number): Promise<Row> {
  const generate = syntheticData(FEATURES, classes);
  const draw = (rows: number) => withClasses(generate(rows), classes);
  const task: InProcessTask = {
    features: FEATURES,
    standardization: computeStandardization(draw(ROWS)),
    ...(classes > 2 ? { classes: Array.from({ length: classes }, (_, k) => k) } : {}),
  };
  // A round-2 global model of a default task: two clients' round 1 gives it the enclave's correction.
  const { model } = runRoundsInProcess(task, [draw(ROWS), draw(ROWS)], draw(20), 1);
  const bytes = globalModelBytes(model);
  const global = parseGlobalModel(bytes, "global model");
  const hash = "0x" + createHash("sha256").update(bytes).digest("hex");
  const data = draw(ROWS);
  const outputs = classes === 2 ? 1 : classes;

  const passes = countPasses(() => trainClientUpdate(global, hash, data, "client", { expectedClients: 10 }));
  const w = new Float64Array(outputs * (FEATURES + 1)).fill(1e-3);
  const grad = new Float64Array(w.length);
  const measured: number[] = [];
  const pass: number[] = [];
  const predict: number[] = [];
  let sink = 0;
  for (let i = 0; i < CALLS; i++) {
    // Ours and the floor's parts interleaved, so that load from other processes hits both alike.
    let t = performance.now();
    sink += trainClientUpdate(global, hash, data, "client", { expectedClients: 10 }).numExamples;
    measured.push(performance.now() - t);
    t = performance.now();
    sink += plainPass(data, outputs, w, grad);
    pass.push(performance.now() - t);
    t = performance.now();
    sink += plainPredict(data, outputs, w);
    predict.push(performance.now() - t);
  }
  if (Number.isNaN(sink)) console.log("(unreachable)", sink);
  const threads = defaultThreads();
  const floor = (passes * median(pass)) / threads + median(predict);
  const shape = `${ROWS} × ${FEATURES.toExponential(0).replace("+", "")}${classes > 2 ? `, ${classes} classes` : ""}`;
  return {
    row: `client train (trainClientUpdate), ${shape}, one round`,
    measuredMs: median(measured),
    floorMs: floor,
    floorWhat: `${passes} plain fused loss+gradient passes (${median(pass).toFixed(0)} ms each on one thread) / ${threads} threads + one plain prediction pass (${median(predict).toFixed(0)} ms)`,
    note: `median of ${CALLS}, load average ${os.loadavg()[0]!.toFixed(2)}`,
  };
}

export async function measure(): Promise<Row[]> {
  return [await caseRow(2), await caseRow(3)];
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measure()) console.log(JSON.stringify(row));
  process.exit(0);
}
