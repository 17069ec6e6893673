import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

import { flaiError } from "../errors.js";
import { gaussian, keyedUniform, mulberry32 } from "../util/prng.js";

import { gaussianPrivacy, weightedMeanSensitivity } from "./dp-accountant.js";

export const STRATEGIES = ["fedavg", "fedprox", "median", "trimmed-mean"] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export interface StrategyConfig {
  /** "fedprox" aggregates like "fedavg"; it differs only in the clients' local objective. */
  name: StrategyName;
  /**
   * trimmed-mean only: fraction in (0, 0.5) dropped from each end per coordinate (default 0.1);
   * at least one value per end is always dropped (see trimCount). 0 is refused: it trims nothing.
   */
  trimFraction?: number;
  /** Scale every update to L2 norm ≤ clippingNorm before aggregating. */
  clippingNorm?: number;
  /**
   * Central DP: Gaussian noise std = noiseMultiplier × the mean's sensitivity, 2·clippingNorm/n for the
   * uniform mean of n clipped updates (dp-accountant.ts).
   */
  noiseMultiplier?: number;
  /** The δ of the reported (ε, δ); default 1e-5. */
  dpDelta?: number;
}

export interface WeightedDelta {
  delta: Float64Array;
  /** The update's aggregation weight (its num_examples capped, weights.ts); only fedavg/fedprox without DP use it. */
  weight: number;
}

export interface DpReport {
  noiseMultiplier: number;
  clippingNorm: number;
  /** L2 sensitivity of the noised mean to one client: 2·clippingNorm·(largest share), 2·clippingNorm/n here. */
  sensitivity: number;
  /** Std of the Gaussian noise added to every coordinate: noiseMultiplier × sensitivity. */
  noiseStd: number;
  /** For this one round (RDP accountant); compose rounds with gaussianPrivacy(…, rounds). */
  epsilon: number;
  delta: number;
  accountant: "rdp";
}

export const DEFAULT_TRIM_FRACTION = 0.1;
/**
 * The fewest updates median and trimmed-mean accept: below 3 a median is a mean and a trimmed mean
 * has nothing left once one value per end is dropped, so neither would bound an outlier.
 */
export const MIN_ROBUST_UPDATES = 3;
export const DEFAULT_DP_DELTA = 1e-5;
const INSERTION_SORT_MAX = 32;

/**
 * Combines client deltas into the round's global delta. The inputs are never modified. With
 * noiseMultiplier, `seed` drives the noise: it must be secret (drawn inside the enclave), since
 * anyone who knows it can subtract the noise; knowing it lets an auditor with the inputs replay a
 * round exactly. Give a 32-byte key (AES-CTR noise) wherever the noise protects anyone; a number
 * (mulberry32, 2^32 seeds: guessable from the output) is for simulations and tests.
 *
 * fedavg/fedprox are bit-identical to the plain loop (Σ_k weight_k·Δ_k in update order, then / Σ weight),
 * computed block by block; when every delta is in a SharedArrayBuffer (see shareDelta) and the
 * round is large, worker threads share the blocks and the returned delta is shared memory too.
 */
export function aggregate(
  updates: readonly WeightedDelta[],
  config: StrategyConfig,
  seed: number | Uint8Array,
): { delta: Float64Array; dp: DpReport | null } {
  checkConfig(config);
  const dim = checkUpdates(updates, config);
  const n = updates.length;
  const scales = clipScales(updates, config.clippingNorm);
  let out: Float64Array;
  let dp: DpReport | null = null;

  if (config.noiseMultiplier !== undefined) {
    // The uniform mean: every share is 1/n, the smallest the largest share can be, so the
    // sensitivity (and the noise) is the least any weighting gives. One client's clipped update
    // moves it by up to 2C/n (replaced, or added/removed with the others renormalized).
    const clippingNorm = config.clippingNorm!;
    const coeffs = new Float64Array(n);
    for (let k = 0; k < n; k++) coeffs[k] = scales[k]! / n;
    out = weightedSum(updates, coeffs, 1); // x / 1 is x exactly: the plain sum of scale/n · Δ
    const sensitivity = weightedMeanSensitivity(new Array<number>(n).fill(1 / n), clippingNorm);
    const noiseStd = config.noiseMultiplier * sensitivity;
    const normal = gaussian(typeof seed === "number" ? mulberry32(seed) : keyedUniform(seed));
    for (let i = 0; i < dim; i++) out[i]! += noiseStd * normal();
    const { epsilon, delta } = gaussianPrivacy(config.noiseMultiplier, config.dpDelta ?? DEFAULT_DP_DELTA);
    dp = { noiseMultiplier: config.noiseMultiplier, clippingNorm, sensitivity, noiseStd, epsilon, delta, accountant: "rdp" };
  } else if (config.name === "fedavg" || config.name === "fedprox") {
    let total = 0;
    for (const u of updates) total += u.weight;
    const coeffs = new Float64Array(n);
    for (let k = 0; k < n; k++) coeffs[k] = updates[k]!.weight * scales[k]!;
    out = weightedSum(updates, coeffs, total);
  } else {
    out = new Float64Array(dim);
    const trim = config.name === "median" ? -1 : trimCount(n, config.trimFraction);
    coordinateWise(updates, scales, trim, out);
  }

  for (let i = 0; i < dim; i++) {
    const v = out[i]!;
    if (v - v !== 0) {
      throw flaiError(
        `The ${config.name} aggregate overflowed to ${v} at index ${i}: some update is astronomically large. ` +
          `Set "clippingNorm", or use the "median" or "trimmed-mean" strategy.`,
      );
    }
  }
  return { delta: out, dp };
}

/**
 * Values dropped from each end per coordinate by trimmed-mean over n updates: max(1, ⌊trim·n⌋).
 * A robust strategy that trims nothing is a plain mean (one huge update moves it arbitrarily), so
 * it always trims at least one per end; with n ≥ 3 and trim < 0.5 at least one value remains.
 */
export function trimCount(n: number, trimFraction: number = DEFAULT_TRIM_FRACTION): number {
  return Math.max(1, Math.floor(trimFraction * n));
}

/** Per-update factors min(1, C/‖Δ‖); all 1 without clipping, so no update is ever copied. */
function clipScales(updates: readonly WeightedDelta[], clippingNorm: number | undefined): Float64Array {
  const scales = new Float64Array(updates.length).fill(1);
  if (clippingNorm === undefined) return scales;
  for (let k = 0; k < updates.length; k++) {
    const norm = l2Norm(updates[k]!.delta);
    if (norm > clippingNorm) scales[k] = clippingNorm / norm;
  }
  return scales;
}

/** ‖v‖₂ that stays finite when the sum of squares would overflow (rescales by max |v_i|). */
export function l2Norm(v: Float64Array): number {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i]! * v[i]!;
  if (Number.isFinite(sq) && sq > 1e-280) return Math.sqrt(sq);
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]!));
  if (max === 0 || !Number.isFinite(max)) return max;
  sq = 0;
  for (let i = 0; i < v.length; i++) {
    const s = v[i]! / max;
    sq += s * s;
  }
  return max * Math.sqrt(sq);
}

// ---------------------------------------------------------------------------------------------
// The weighted sum behind fedavg/fedprox (and the DP mean): out[j] = (Σ_k coeffs[k]·Δ_k[j]) / divisor.
//
// It is memory-bound: every update is read once. The plain loop (one axpy per update) also reads
// and writes all of `out` once per update, which for 100 updates of 1e6 values triples the memory
// traffic. Here the coordinates go in blocks whose slice of `out` stays in L1/L2 while every update
// streams through it, four updates per pass, and the division is done while the block is hot. For
// each coordinate the additions are the plain loop's, in the same order (0 + c₀Δ₀[j] + c₁Δ₁[j] + …,
// then / divisor), so the result is bit-identical to it whatever the blocking or the thread count.
// ---------------------------------------------------------------------------------------------

/** Coordinates per block: 128 KiB of `out`, which stays in L2 while the updates stream past. */
const FEDAVG_BLOCK = 16384;
/** n·dim from which the sum is shared with worker threads (when the deltas are in SharedArrayBuffers). */
export const FEDAVG_PARALLEL_MIN = 1 << 22;
/** A worker that holds a claimed block this long without finishing it is taken for dead. */
const STALL_MS = 60_000;

function weightedSum(updates: readonly WeightedDelta[], coeffs: Float64Array, divisor: number): Float64Array {
  const n = updates.length;
  const dim = updates[0]!.delta.length;
  const deltas = updates.map((u) => u.delta);
  if (n * dim >= FEDAVG_PARALLEL_MIN && dim >= 2 * FEDAVG_BLOCK && deltas.every(isShared)) {
    const workers = aggregationPool();
    if (workers.length > 0) return parallelWeightedSum(workers, deltas, coeffs, divisor);
  }
  const out = new Float64Array(dim);
  weightedSumRange(deltas, coeffs, divisor, out, 0, dim, FEDAVG_BLOCK);
  lastRun = { path: "blocked", blocks: Math.ceil(dim / FEDAVG_BLOCK), blocksByWorkers: 0 };
  return out;
}

/**
 * out[lo, hi) from scratch (never reads what `out` held before). Self-contained on purpose: its
 * source text is also the worker threads' code, so it may use nothing from this module. That, and
 * the unrolled loops (the hot path of every mean: bench/fedavg), is why it is one long function.
 */
// eslint-disable-next-line max-lines-per-function -- self-contained (the workers run its source text) and unrolled: see above
function weightedSumRange(
  deltas: readonly Float64Array[],
  coeffs: Float64Array,
  divisor: number,
  out: Float64Array,
  lo: number,
  hi: number,
  block: number,
): void {
  const n = deltas.length;
  // Updates go four at a time (one load and store of out[j] per four multiply-adds); the leftover
  // n mod 4 go first, in the pass that starts every coordinate from 0.
  const first = n <= 4 ? n : n % 4 === 0 ? 4 : n % 4;
  for (let b = lo; b < hi; b += block) {
    const e = Math.min(hi, b + block);
    const a0 = coeffs[0]!;
    const x0 = deltas[0]!;
    if (first === 1) {
      for (let j = b; j < e; j++) {
        let v = 0;
        v += a0 * x0[j]!;
        out[j] = v;
      }
    } else if (first === 2) {
      const a1 = coeffs[1]!;
      const x1 = deltas[1]!;
      for (let j = b; j < e; j++) {
        let v = 0;
        v += a0 * x0[j]!;
        v += a1 * x1[j]!;
        out[j] = v;
      }
    } else if (first === 3) {
      const a1 = coeffs[1]!;
      const a2 = coeffs[2]!;
      const x1 = deltas[1]!;
      const x2 = deltas[2]!;
      for (let j = b; j < e; j++) {
        let v = 0;
        v += a0 * x0[j]!;
        v += a1 * x1[j]!;
        v += a2 * x2[j]!;
        out[j] = v;
      }
    } else {
      const a1 = coeffs[1]!;
      const a2 = coeffs[2]!;
      const a3 = coeffs[3]!;
      const x1 = deltas[1]!;
      const x2 = deltas[2]!;
      const x3 = deltas[3]!;
      for (let j = b; j < e; j++) {
        let v = 0;
        v += a0 * x0[j]!;
        v += a1 * x1[j]!;
        v += a2 * x2[j]!;
        v += a3 * x3[j]!;
        out[j] = v;
      }
    }
    for (let k = first; k < n; k += 4) {
      const a0 = coeffs[k]!;
      const a1 = coeffs[k + 1]!;
      const a2 = coeffs[k + 2]!;
      const a3 = coeffs[k + 3]!;
      const x0 = deltas[k]!;
      const x1 = deltas[k + 1]!;
      const x2 = deltas[k + 2]!;
      const x3 = deltas[k + 3]!;
      if (k + 4 < n) {
        for (let j = b; j < e; j++) {
          let v = out[j]!;
          v += a0 * x0[j]!;
          v += a1 * x1[j]!;
          v += a2 * x2[j]!;
          v += a3 * x3[j]!;
          out[j] = v;
        }
      } else {
        for (let j = b; j < e; j++) {
          let v = out[j]!;
          v += a0 * x0[j]!;
          v += a1 * x1[j]!;
          v += a2 * x2[j]!;
          v += a3 * x3[j]!;
          out[j] = v / divisor;
        }
      }
    }
    if (n === first) {
      for (let j = b; j < e; j++) out[j] = out[j]! / divisor;
    }
  }
}

function isShared(a: Float64Array): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

/**
 * A copy of `delta` in a SharedArrayBuffer (or `delta` itself if it already is in one). aggregate()
 * shares a large fedavg sum with worker threads only when every delta is shared memory, since
 * copying 800 MB of updates costs more than the sum itself: allocate them shared where they are
 * produced (e.g. when decoding an update) and pay one copy of ~1 MB per update there instead.
 */
export function shareDelta(delta: Float64Array): Float64Array {
  if (isShared(delta)) return delta;
  const shared = new Float64Array(new SharedArrayBuffer(delta.byteLength));
  shared.set(delta);
  return shared;
}

/** How the last fedavg-style sum ran: its path and how many blocks worker threads computed. */
export interface WeightedSumRun {
  path: "blocked" | "parallel";
  blocks: number;
  blocksByWorkers: number;
}
let lastRun: WeightedSumRun | null = null;
export function lastWeightedSumRun(): WeightedSumRun | null {
  return lastRun;
}

// Each worker claims blocks from a shared counter until none are left; so does the calling thread,
// which never waits for a worker to start (a cold pool just leaves all the blocks to it) and only
// waits at the end for blocks already claimed. Which thread computes a block changes no bit.
// ctl: [0] next block to claim, [1] blocks done, [2] blocks done by workers.
const WORKER_SOURCE = `"use strict";
const __name = (f) => f; // in case the transpiler that produced weightedSumRange added name helpers
const { parentPort } = require("node:worker_threads");
const weightedSumRange = ${weightedSumRange.toString()};
parentPort.on("message", ({ deltas, coeffs, divisor, out, ctl, blocks, block }) => {
  const dim = out.length;
  for (;;) {
    const c = Atomics.add(ctl, 0, 1);
    if (c >= blocks) break;
    weightedSumRange(deltas, coeffs, divisor, out, c * block, Math.min(dim, (c + 1) * block), block);
    Atomics.add(ctl, 2, 1);
    Atomics.add(ctl, 1, 1);
    Atomics.notify(ctl, 1);
  }
});
`;

let pool: Worker[] | null = null;

/** The process's aggregation workers (one per core beyond the caller's), started on first use. */
function aggregationPool(): Worker[] {
  if (pool !== null) return pool;
  const count = Math.min(7, availableParallelism() - 1);
  const workers: Worker[] = [];
  for (let i = 0; i < count; i++) {
    // Plain JavaScript, so no loader (tsx) is needed or inherited; unref'd, so they never keep the
    // process alive. A worker that fails drops out of the pool; the caller's thread covers its share.
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    } catch {
      break; // no threads to be had: the calling thread does it all
    }
    worker.unref();
    const drop = () => {
      if (pool !== null) pool = pool.filter((w) => w !== worker);
    };
    worker.once("error", drop);
    worker.once("exit", drop);
    workers.push(worker);
  }
  pool = workers;
  return pool;
}

/**
 * Starts the aggregation workers ahead of a large round (each costs a few ms of thread start-up),
 * and resolves with how many are online. aggregate() works without it: until they are up, the
 * calling thread computes every block itself.
 */
export async function warmAggregationWorkers(): Promise<number> {
  const workers = aggregationPool();
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          // Claiming from an empty job means the worker runs and its message handler is installed.
          const ctl = new Int32Array(new SharedArrayBuffer(12));
          let gone = false;
          const onGone = () => (gone = true);
          w.once("error", onGone).once("exit", onGone);
          w.postMessage({ deltas: [], coeffs: new Float64Array(0), divisor: 1, out: new Float64Array(0), ctl, blocks: 0, block: 1 });
          const poll = () => {
            if (Atomics.load(ctl, 0) > 0 || gone) {
              w.off("error", onGone).off("exit", onGone);
              resolve();
            } else setTimeout(poll, 1);
          };
          poll();
        }),
    ),
  );
  return (pool ?? []).length;
}

function parallelWeightedSum(workers: Worker[], deltas: Float64Array[], coeffs: Float64Array, divisor: number): Float64Array {
  const dim = deltas[0]!.length;
  const out = new Float64Array(new SharedArrayBuffer(dim * 8));
  const ctl = new Int32Array(new SharedArrayBuffer(12));
  const blocks = Math.ceil(dim / FEDAVG_BLOCK);
  const job = { deltas, coeffs, divisor, out, ctl, blocks, block: FEDAVG_BLOCK };
  for (const w of workers) w.postMessage(job);
  for (;;) {
    const c = Atomics.add(ctl, 0, 1);
    if (c >= blocks) break;
    weightedSumRange(deltas, coeffs, divisor, out, c * FEDAVG_BLOCK, Math.min(dim, (c + 1) * FEDAVG_BLOCK), FEDAVG_BLOCK);
    Atomics.add(ctl, 1, 1);
  }
  let done = Atomics.load(ctl, 1);
  let since = performance.now();
  while (done < blocks) {
    Atomics.wait(ctl, 1, done, 1000);
    const now = Atomics.load(ctl, 1);
    if (now !== done) {
      done = now;
      since = performance.now();
    } else if (performance.now() - since > STALL_MS) {
      // A worker died holding a block. Start a fresh pool next time; this sum cannot be completed.
      const stuck = pool ?? [];
      pool = null;
      for (const w of stuck) void w.terminate();
      throw flaiError(
        `An aggregation worker thread stopped responding (${blocks - done} of ${blocks} blocks unfinished). Retry the aggregation.`,
      );
    }
  }
  lastRun = { path: "parallel", blocks, blocksByWorkers: Atomics.load(ctl, 2) };
  return out;
}

/** Median (trim = -1) or mean of the middle n − 2·trim values, coordinate by coordinate. */
function coordinateWise(updates: readonly WeightedDelta[], scales: Float64Array, trim: number, out: Float64Array): void {
  const n = updates.length;
  const deltas = updates.map((u) => u.delta);
  const column = new Float64Array(n);
  const half = n >> 1;
  for (let i = 0; i < out.length; i++) {
    for (let k = 0; k < n; k++) column[k] = scales[k]! * deltas[k]![i]!;
    if (n <= INSERTION_SORT_MAX) insertionSort(column);
    else column.sort();
    if (trim < 0) {
      // Halve before adding: the midpoint of two finite values stays finite even near ±1.8e308.
      out[i] = n % 2 === 1 ? column[half]! : 0.5 * column[half - 1]! + 0.5 * column[half]!;
    } else {
      let sum = 0;
      for (let k = trim; k < n - trim; k++) sum += column[k]!;
      out[i] = sum / (n - 2 * trim);
    }
  }
}

// Federated rounds have few clients; for a handful of values this beats TypedArray#sort's call cost.
function insertionSort(a: Float64Array): void {
  for (let i = 1; i < a.length; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/** Throws a clear error for a strategy configuration that cannot run. */
export function checkConfig(config: StrategyConfig): void {
  const { name, trimFraction, clippingNorm, noiseMultiplier, dpDelta } = config;
  if (!STRATEGIES.includes(name)) {
    throw flaiError(`Unknown aggregation strategy ${JSON.stringify(name)}. Use one of ${STRATEGIES.map((s) => `"${s}"`).join(", ")}.`);
  }
  if (trimFraction !== undefined) {
    if (name !== "trimmed-mean") {
      throw flaiError(
        `"trimFraction" only applies to the "trimmed-mean" strategy, but the strategy is "${name}". Remove it or switch strategy.`,
      );
    }
    if (!(trimFraction > 0 && trimFraction < 0.5)) {
      throw flaiError(
        `"trimFraction" must be in (0, 0.5) (the share trimmed from each end), got ${trimFraction}: ` +
          (trimFraction === 0
            ? `0 trims nothing, which is a plain mean ("fedavg"). `
            : trimFraction >= 0.5
              ? `0.5 or more trims every value. `
              : "") +
          `It should exceed the share of clients you expect to be Byzantine; ${DEFAULT_TRIM_FRACTION} is the default.`,
      );
    }
  }
  if (clippingNorm !== undefined && !(Number.isFinite(clippingNorm) && clippingNorm > 0)) {
    throw flaiError(`"clippingNorm" must be a finite number > 0 (the max L2 norm of an update), got ${clippingNorm}.`);
  }
  if (noiseMultiplier !== undefined) {
    if (!(Number.isFinite(noiseMultiplier) && noiseMultiplier > 0)) {
      throw flaiError(`"noiseMultiplier" must be a finite number > 0, got ${noiseMultiplier}. Omit it to disable DP noise.`);
    }
    if (clippingNorm === undefined) {
      throw flaiError(
        `"noiseMultiplier" needs "clippingNorm": the noise is scaled to the clipped updates' norm bound. Set "clippingNorm" too.`,
      );
    }
    if (name === "median" || name === "trimmed-mean") {
      throw flaiError(
        `DP noise ("noiseMultiplier") works only with "fedavg" or "fedprox": it is calibrated to a mean's ` +
          `sensitivity C/n, and one client can move a ${name} further. Switch strategy or drop the noise.`,
      );
    }
  }
  if (dpDelta !== undefined) {
    if (noiseMultiplier === undefined) throw flaiError(`"dpDelta" only applies with "noiseMultiplier" (DP noise). Remove it or add noise.`);
    if (!(dpDelta > 0 && dpDelta < 1)) throw flaiError(`"dpDelta" must be in (0, 1), got ${dpDelta}; 1e-5 is usual.`);
  }
}

function checkUpdates(updates: readonly WeightedDelta[], config: StrategyConfig): number {
  if (updates.length === 0) throw flaiError(`There are no client updates to aggregate with ${config.name}.`);
  if ((config.name === "median" || config.name === "trimmed-mean") && updates.length < MIN_ROBUST_UPDATES) {
    throw flaiError(
      `${config.name} needs at least ${MIN_ROBUST_UPDATES} updates to bound an outlier, but the round has ${updates.length}: ` +
        `${config.name === "median" ? "the median of 2 is their mean" : "trimming one per end leaves nothing"}. ` +
        `Wait for more clients (raise the task's quorum to ${MIN_ROBUST_UPDATES}), or use "fedavg" with "clippingNorm".`,
    );
  }
  const dim = updates[0]!.delta.length;
  const weighted = (config.name === "fedavg" || config.name === "fedprox") && config.noiseMultiplier === undefined;
  for (let k = 0; k < updates.length; k++) {
    const { delta, weight } = updates[k]!;
    if (delta.length !== dim) {
      throw flaiError(`Update ${k} has ${delta.length} values but update 0 has ${dim}; all updates must be for the same model.`);
    }
    if (weighted && !(Number.isFinite(weight) && weight > 0)) {
      throw flaiError(`Update ${k} has weight ${weight}; ${config.name} weights updates by their capped num_examples, which must be > 0.`);
    }
  }
  return dim;
}
