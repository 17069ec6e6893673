/**
 * Issue 13's drift study: which change to the clients' local problem closes FedAvg's gap to
 * centralized training on landcover (4 classes, Dirichlet 0.3 split, 10 rounds, 3 local L-BFGS
 * iterations, C_k = C·N/n_k as local-training.ts sets it, N as the protocol carries it). A
 * standalone re-implementation of the round (no strategies, no DP) so every variant is one line:
 *   "oracle c":  linear term ⟨c − ∇F_k(x), θ⟩ with c = ∇F(x) exact (objective weights n_k/N);
 *   "stale c+g_k": c and ∇F_k both from the previous round's model;
 *   "stale c":   c from the previous round's gradients (capped weights), ∇F_k(x) fresh — what
 *                src/federated/drift-correction.ts implements; "mu" is the proximal term's strength.
 *
 *   CLIENTS=10,8 SEEDS=1,2,3,4,5 npx tsx bench/fl-drift-study.ts
 */
import { readFileSync } from "node:fs";
import { parseDataset, type Dataset } from "../src/ml/dataset.js";
import { computeStandardization, trainLogisticRegression } from "../src/ml/logistic.js";
import { SoftmaxObjective } from "../src/ml/softmax-objective.js";
import { Lbfgs, type Objective } from "../src/ml/lbfgs.js";
import { splitParameters } from "../src/ml/parameters.js";
import { evaluate } from "../src/federated/evaluate.js";
import { partitionDataset } from "../src/federated/partition.js";
import { capWeights } from "../src/federated/weights.js";

const all = parseDataset(readFileSync("fixtures/landcover.csv"), "lc", { label: "label" });
const test0 = parseDataset(readFileSync("fixtures/landcover-test.csv"), "lct", { label: "label", classes: all.classes });
const st = computeStandardization(all);
const K = all.classes.length,
  D = all.cols,
  dim = K * (D + 1);
const C = 1;

function stdX(ds: Dataset): Float64Array {
  const x = new Float64Array(ds.features.length);
  for (let i = 0; i < ds.rows; i++) for (let j = 0; j < D; j++) x[i * D + j] = (ds.features[i * D + j]! - st.mean[j]!) / st.scale[j]!;
  return x;
}
class Linear implements Objective {
  constructor(
    private inner: Objective,
    private lin: Float64Array | null,
  ) {}
  evaluate(p: Float64Array, g: Float64Array): number {
    let f = this.inner.evaluate(p, g);
    if (this.lin)
      for (let t = 0; t < p.length; t++) {
        g[t]! += this.lin[t]!;
        f += this.lin[t]! * p[t]!;
      }
    return f;
  }
}
class Prox implements Objective {
  constructor(
    private inner: Objective,
    private c: Float64Array,
    private mu: number,
  ) {}
  evaluate(p: Float64Array, g: Float64Array): number {
    let f = this.inner.evaluate(p, g);
    for (let t = 0; t < p.length; t++) {
      const d = p[t]! - this.c[t]!;
      g[t]! += this.mu * d;
      f += 0.5 * this.mu * d * d;
    }
    return f;
  }
}
function acc(p: Float64Array) {
  const { weights, bias } = splitParameters(p, D, K);
  return evaluate({ weights, bias, standardization: st }, test0);
}
type Method = {
  name: string;
  iters: number | ((r: number) => number);
  corr?: "none" | "oracle" | "staleC" | "staleBoth";
  serverLr?: number;
  momentum?: number;
  share?: number;
  mu?: number;
  cw?: "capped" | "objective";
};

function run(shares: Dataset[], m: Method, rounds: number) {
  const N = shares.reduce((s, d) => s + d.rows, 0);
  const capped = capWeights(
    shares.map((d) => d.rows),
    m.share ?? 0.25,
  ).weights;
  const xs = shares.map(stdX);
  // As the protocol does: round 1 N = n_k × clients (no expectedNumExamples), later Σ capped num_examples.
  const objsFor = (r: number) =>
    shares.map((d, k) => {
      const Nr = r === 1 ? d.rows * shares.length : capped.reduce((a, b) => a + b, 0);
      return new SoftmaxObjective(xs[k]!, d.labels, d.rows, D, K, (C * Math.max(d.rows, Nr)) / d.rows);
    });
  let objs = objsFor(1);
  const tot = capped.reduce((a, b) => a + b, 0);
  const w = capped.map((c) => c / tot);
  const grad = (k: number, x: Float64Array) => {
    const g = new Float64Array(dim);
    objs[k]!.evaluate(x, g);
    return g;
  };
  let x = new Float64Array(dim),
    xPrev: Float64Array | null = null,
    cPrev: Float64Array | null = null;
  const vel = new Float64Array(dim);
  const out: { accuracy: number; logLoss: number }[] = [];
  for (let r = 1; r <= rounds; r++) {
    objs = objsFor(r);
    const gk = shares.map((_, k) => grad(k, x));
    const gkPrev = xPrev ? shares.map((_, k) => grad(k, xPrev!)) : null;
    const cNow = new Float64Array(dim);
    const cwts = m.cw === "objective" ? shares.map((d) => d.rows / N) : w;
    gk.forEach((g, k) => g.forEach((v, t) => (cNow[t]! += cwts[k]! * v)));
    const delta = new Float64Array(dim);
    const it = typeof m.iters === "function" ? m.iters(r) : m.iters;
    shares.forEach((_, k) => {
      let lin: Float64Array | null = null;
      const corr = m.corr ?? "none";
      if (corr === "oracle") lin = cNow.map((v, t) => v - gk[k]![t]!);
      else if (corr === "staleC" && cPrev) lin = cPrev.map((v, t) => v - gk[k]![t]!);
      else if (corr === "staleBoth" && cPrev && gkPrev) lin = cPrev.map((v, t) => v - gkPrev[k]![t]!);
      const p = Float64Array.from(x);
      const base = m.mu ? new Prox(objs[k]!, x, m.mu) : objs[k]!;
      new Lbfgs(new Linear(base, lin), dim).minimize(p, it, 1e-4);
      for (let t = 0; t < dim; t++) delta[t]! += w[k]! * (p[t]! - x[t]!);
    });
    const lr = m.serverLr ?? 1,
      mom = m.momentum ?? 0;
    for (let t = 0; t < dim; t++) {
      vel[t] = mom * vel[t]! + delta[t]!;
    }
    xPrev = x;
    cPrev = cNow;
    x = x.map((v, t) => v + lr * vel[t]!);
    out.push(acc(x));
  }
  return out;
}
const methods: Method[] = [
  { name: "fedavg", iters: 3 },
  { name: "fedavg, no share cap", iters: 3, share: 1 },
  { name: "fedprox mu 0.1", iters: 3, mu: 0.1 },
  { name: "fedavgM 0.5", iters: 3, momentum: 0.5 },
  { name: "oracle c, no prox", iters: 3, corr: "oracle", cw: "objective" },
  { name: "oracle c, mu 0.1", iters: 3, corr: "oracle", mu: 0.1, cw: "objective" },
  { name: "stale c+g_k, mu 0.1", iters: 3, corr: "staleBoth", mu: 0.1, cw: "capped" },
  { name: "stale c, mu 0.1", iters: 3, corr: "staleC", mu: 0.1, cw: "capped" },
  { name: "stale c, mu 0.2", iters: 3, corr: "staleC", mu: 0.2, cw: "capped" },
];
function main(): void {
  const clientsList = (process.env.CLIENTS ?? "10,8").split(",").map(Number);
  const seeds = (process.env.SEEDS ?? "1,2,3,4,5").split(",").map(Number);
  const central = acc(
    (() => {
      const f = trainLogisticRegression(all, { c: 1, maxIterations: 500, standardization: st });
      const p = new Float64Array(dim);
      p.set(f.weights);
      p.set(f.bias, K * D);
      return p;
    })(),
  );
  console.log("central", (100 * central.accuracy).toFixed(2), central.logLoss.toFixed(4));
  for (const nc of clientsList)
    for (const seed of seeds) {
      const shares = partitionDataset(all, nc, { scheme: "dirichlet", alpha: 0.3, seed, allowOneClass: true });
      for (const m of methods.filter((m) => !process.env.ONLY || process.env.ONLY.split(",").includes(m.name))) {
        const o = run(shares, m, 10);
        const last = o[9]!;
        console.log(
          `${nc}\t${seed}\t${m.name.padEnd(16)}\tr5 ${(100 * o[4]!.accuracy).toFixed(2)}\tr10 ${(100 * last.accuracy).toFixed(2)}\tgap ${(100 * (central.accuracy - last.accuracy)).toFixed(2)}\tll ${last.logLoss.toFixed(4)}`,
        );
      }
    }
}

if (process.argv[1] === import.meta.filename) main();
