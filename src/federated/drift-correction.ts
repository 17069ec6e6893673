import { flaiError } from "../errors.js";

import { l2Norm, type StrategyConfig } from "./strategies.js";

/**
 * Drift correction (SCAFFOLD-style control variates), the default for fedavg and fedprox without
 * DP noise. See README "Closing FedAvg's client drift" for the measurements.
 *
 * Round r: client k reports g_k = ∇F_k(x_r), its local objective's gradient at the round's global
 * model, with its delta. The enclave's weighted mean of the round's (clipped) gradients, c_r, is
 * published in the new global model x_{r+1} (its "correction"), and in round r + 1 each client
 * minimizes F_k(θ) + ⟨c_r − ∇F_k(x_{r+1}), θ⟩ plus the proximal term (mu/2)‖θ − x_{r+1}‖². At a
 * fixed point (x_{r+1} = x_r) the corrected local problems are stationary where the federation's
 * objective Σ w_k F_k is: averaging partial local solves is no longer biased toward each client's
 * own optimum. The proximal term is required: F_k alone is unbounded below along the bias of a
 * class the client lacks, and a linear term there diverges.
 *
 * Not with DP noise (the mean gradient would be published un-noised, leaking what the noise
 * protects) nor with median / trimmed-mean (a mean of gradients is not robust to outliers).
 */
export interface DriftCorrection {
  /** Proximal strength mu (sample-averaged objective). 0.2 measured best with 3 local iterations. */
  mu: number;
  /** Each reported gradient is scaled down to at most this L2 norm before averaging (untrusted input). */
  maxGradientNorm: number;
}

export const DEFAULT_DRIFT_CORRECTION: DriftCorrection = { mu: 0.2, maxGradientNorm: 10 };

/** The largest maxGradientNorm: as maxUpdateNorm, so no weighted sum of clipped gradients can overflow. */
const MAX_GRADIENT_NORM_LIMIT = 1e100;

/** Whether a task with this strategy may carry a drift correction (see DriftCorrection). */
export function driftCorrectionAllowed(strategy: StrategyConfig): boolean {
  return (strategy.name === "fedavg" || strategy.name === "fedprox") && strategy.noiseMultiplier === undefined;
}

/**
 * The task's drift correction from what its creator asked: undefined = the default (on where
 * allowed), false = off, true = on with the defaults, an object = on with those values. Asking for
 * it where it is not allowed is an error, not a silent off.
 */
export function resolveDriftCorrection(
  given: boolean | DriftCorrection | undefined,
  strategy: StrategyConfig,
): DriftCorrection | undefined {
  if (given === false) return undefined;
  if (given === undefined) return driftCorrectionAllowed(strategy) ? { ...DEFAULT_DRIFT_CORRECTION } : undefined;
  if (!driftCorrectionAllowed(strategy)) {
    throw flaiError(
      `Drift correction cannot be used with ${strategy.name}${strategy.noiseMultiplier !== undefined ? " and DP noise" : ""}: ` +
        (strategy.noiseMultiplier !== undefined
          ? "the clients' mean gradient would be published without noise, leaking what the noise protects. "
          : "a mean of the clients' gradients is not robust to outliers. ") +
        `Remove local.driftCorrection (it is only on by default for fedavg and fedprox without noise).`,
    );
  }
  const drift = given === true ? { ...DEFAULT_DRIFT_CORRECTION } : { mu: given.mu, maxGradientNorm: given.maxGradientNorm };
  checkDriftCorrection(drift);
  return drift;
}

/** Throws a clear error naming the field that cannot be used. */
export function checkDriftCorrection(d: DriftCorrection): void {
  if (typeof d !== "object" || d === null)
    throw flaiError(`"driftCorrection" must be an object { mu, maxGradientNorm }, got ${JSON.stringify(d)}.`);
  if (!(typeof d.mu === "number" && Number.isFinite(d.mu) && d.mu > 0)) {
    throw flaiError(
      `"driftCorrection.mu" must be a finite number > 0 (the proximal term keeps the corrected objective bounded), got ${String(d.mu)}; 0.2 is the default.`,
    );
  }
  if (!(typeof d.maxGradientNorm === "number" && d.maxGradientNorm > 0 && d.maxGradientNorm <= MAX_GRADIENT_NORM_LIMIT)) {
    throw flaiError(
      `"driftCorrection.maxGradientNorm" must be a number in (0, 1e100] (each gradient's L2 clip), got ${String(d.maxGradientNorm)}; 10 is the default.`,
    );
  }
}

/** The client's linear term c − ∇F_k(x). */
export function correctionTerm(correction: ArrayLike<number>, gradient: Float64Array): Float64Array {
  const out = new Float64Array(gradient.length);
  for (let t = 0; t < out.length; t++) out[t] = correction[t]! - gradient[t]!;
  return out;
}

/**
 * The enclave's side: Σ w_k·clip(g_k) / Σ w_k with the round's capped num_examples as weights (the
 * same weights as the deltas) and every gradient scaled to L2 norm ≤ maxNorm, so one client moves
 * the correction by at most its capped share × maxNorm. Same inputs, same order: same bits.
 */
export function aggregateGradients(gradients: readonly Float64Array[], weights: readonly number[], maxNorm: number): Float64Array {
  const total = weights.reduce((s, w) => s + w, 0);
  const out = new Float64Array(gradients[0]?.length ?? 0);
  gradients.forEach((g, k) => {
    const norm = l2Norm(g); // never overflows, even for gradients near 1e308
    const scale = (weights[k]! / total) * (norm > maxNorm ? maxNorm / norm : 1);
    for (let t = 0; t < out.length; t++) out[t]! += scale * g[t]!;
  });
  return out;
}
