import { flaiError } from "../errors.js";
import { gaussian, mulberry32 } from "../util/prng.js";

export const STRATEGIES = ["fedavg", "fedprox", "median", "trimmed-mean"] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export interface StrategyConfig {
  /** "fedprox" aggregates like "fedavg"; it differs only in the clients' local objective. */
  name: StrategyName;
  /** trimmed-mean only: fraction in [0, 0.5) dropped from each end per coordinate (default 0.1). */
  trimFraction?: number;
  /** Scale every update to L2 norm ≤ clipNorm before aggregating. */
  clipNorm?: number;
  /** Central DP: Gaussian noise std = noiseMultiplier·clipNorm/n on the mean of clipped updates. */
  noiseMultiplier?: number;
  /** The δ of the reported (ε, δ); default 1e-5. */
  dpDelta?: number;
}

export interface WeightedDelta {
  delta: Float64Array;
  /** The client's sample count; only fedavg/fedprox without DP use it. */
  weight: number;
}

export interface DpReport {
  noiseMultiplier: number;
  clipNorm: number;
  /** For this one round; compose rounds with gaussianEpsilon(…, rounds). */
  epsilon: number;
  delta: number;
}

export const DEFAULT_TRIM_FRACTION = 0.1;
export const DEFAULT_DP_DELTA = 1e-5;
const INSERTION_SORT_MAX = 32;

/**
 * Combines client deltas into the round's global delta. The inputs are never modified. With
 * noiseMultiplier, `seed` drives the noise: it must be secret (drawn inside the enclave), since
 * anyone who knows it can subtract the noise; knowing it lets an auditor with the inputs replay a
 * round exactly.
 */
export function aggregate(
  updates: readonly WeightedDelta[],
  config: StrategyConfig,
  seed: number,
): { delta: Float64Array; dp: DpReport | null } {
  checkConfig(config);
  const dim = checkUpdates(updates, config);
  const n = updates.length;
  const scales = clipScales(updates, config.clipNorm);
  const out = new Float64Array(dim);
  let dp: DpReport | null = null;

  if (config.noiseMultiplier !== undefined) {
    // A uniform mean with a fixed denominator: one client's clipped update moves it by at most C/n
    // (add/remove-one-client adjacency). A sample-weighted mean has no such bound.
    const clipNorm = config.clipNorm!;
    for (let k = 0; k < n; k++) axpy(scales[k]! / n, updates[k]!.delta, out);
    const std = (config.noiseMultiplier * clipNorm) / n;
    const normal = gaussian(mulberry32(seed));
    for (let i = 0; i < dim; i++) out[i]! += std * normal();
    const delta = config.dpDelta ?? DEFAULT_DP_DELTA;
    dp = { noiseMultiplier: config.noiseMultiplier, clipNorm, epsilon: gaussianEpsilon(config.noiseMultiplier, delta), delta };
  } else if (config.name === "fedavg" || config.name === "fedprox") {
    let total = 0;
    for (const u of updates) total += u.weight;
    for (let k = 0; k < n; k++) axpy(updates[k]!.weight * scales[k]!, updates[k]!.delta, out);
    for (let i = 0; i < dim; i++) out[i] = out[i]! / total;
  } else {
    const trim = config.name === "median" ? -1 : Math.floor((config.trimFraction ?? DEFAULT_TRIM_FRACTION) * n);
    coordinateWise(updates, scales, trim, out);
  }

  for (let i = 0; i < dim; i++) {
    const v = out[i]!;
    if (v - v !== 0) {
      throw flaiError(
        `The ${config.name} aggregate overflowed to ${v} at index ${i}: some update is astronomically large. ` +
          `Set "clipNorm", or use the "median" or "trimmed-mean" strategy.`,
      );
    }
  }
  return { delta: out, dp };
}

/**
 * ε of the Gaussian mechanism (noise std = noiseMultiplier × sensitivity) run `rounds` times, via
 * Rényi DP: RDP(α) = rounds·α/(2σ²), ε = min over α > 1 of RDP(α) + ln(1/δ)/(α − 1). The minimum is
 * at α = 1 + √(ln(1/δ)/ρ) with ρ = rounds/(2σ²), giving ε = ρ + 2√(ρ·ln(1/δ)).
 */
export function gaussianEpsilon(noiseMultiplier: number, delta: number, rounds = 1): number {
  if (!(Number.isFinite(noiseMultiplier) && noiseMultiplier > 0)) {
    throw flaiError(`gaussianEpsilon: noiseMultiplier must be a finite number > 0, got ${noiseMultiplier}.`);
  }
  if (!(delta > 0 && delta < 1)) throw flaiError(`gaussianEpsilon: delta must be in (0, 1), got ${delta}.`);
  if (!(Number.isInteger(rounds) && rounds >= 1)) {
    throw flaiError(`gaussianEpsilon: rounds must be an integer ≥ 1, got ${rounds}.`);
  }
  const rho = rounds / (2 * noiseMultiplier * noiseMultiplier);
  return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
}

/** Per-update factors min(1, C/‖Δ‖); all 1 without clipping, so no update is ever copied. */
function clipScales(updates: readonly WeightedDelta[], clipNorm: number | undefined): Float64Array {
  const scales = new Float64Array(updates.length).fill(1);
  if (clipNorm === undefined) return scales;
  for (let k = 0; k < updates.length; k++) {
    const norm = l2Norm(updates[k]!.delta);
    if (norm > clipNorm) scales[k] = clipNorm / norm;
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

function axpy(a: number, x: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i]! += a * x[i]!;
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
      out[i] = n % 2 === 1 ? column[half]! : 0.5 * (column[half - 1]! + column[half]!);
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
  const { name, trimFraction, clipNorm, noiseMultiplier, dpDelta } = config;
  if (!STRATEGIES.includes(name)) {
    throw flaiError(`Unknown aggregation strategy ${JSON.stringify(name)}. Use one of ${STRATEGIES.map((s) => `"${s}"`).join(", ")}.`);
  }
  if (trimFraction !== undefined) {
    if (name !== "trimmed-mean") {
      throw flaiError(`"trimFraction" only applies to the "trimmed-mean" strategy, but the strategy is "${name}". Remove it or switch strategy.`);
    }
    if (!(trimFraction >= 0 && trimFraction < 0.5)) {
      throw flaiError(`"trimFraction" must be in [0, 0.5) (the share trimmed from each end), got ${trimFraction}.`);
    }
  }
  if (clipNorm !== undefined && !(Number.isFinite(clipNorm) && clipNorm > 0)) {
    throw flaiError(`"clipNorm" must be a finite number > 0 (the max L2 norm of an update), got ${clipNorm}.`);
  }
  if (noiseMultiplier !== undefined) {
    if (!(Number.isFinite(noiseMultiplier) && noiseMultiplier > 0)) {
      throw flaiError(`"noiseMultiplier" must be a finite number > 0, got ${noiseMultiplier}. Omit it to disable DP noise.`);
    }
    if (clipNorm === undefined) {
      throw flaiError(`"noiseMultiplier" needs "clipNorm": the noise is scaled to the clipped updates' norm bound. Set "clipNorm" too.`);
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
  const dim = updates[0]!.delta.length;
  const weighted = (config.name === "fedavg" || config.name === "fedprox") && config.noiseMultiplier === undefined;
  for (let k = 0; k < updates.length; k++) {
    const { delta, weight } = updates[k]!;
    if (delta.length !== dim) {
      throw flaiError(`Update ${k} has ${delta.length} values but update 0 has ${dim}; all updates must be for the same model.`);
    }
    if (weighted && !(Number.isFinite(weight) && weight > 0)) {
      throw flaiError(`Update ${k} has weight ${weight}; ${config.name} weights updates by sample count, which must be > 0.`);
    }
  }
  return dim;
}
