import { flaiError } from "../errors.js";

/**
 * Privacy accounting for the enclave's Gaussian mechanism, by Rényi DP (Mironov 2017).
 *
 * One round adds N(0, (z·Δ)²) noise to an aggregate whose L2 sensitivity is Δ (z = noise_multiplier),
 * which is (α, α/(2z²))-RDP for every order α > 1. Rounds compose by adding their RDP at each α.
 * The (ε, δ) reported is the smallest, over a fixed grid of orders, of the conversion of Balle et
 * al. 2020 (Thm 21; also Canonne–Kamath–Steinke 2020), the one Opacus and TF Privacy use:
 *   ε(α) = RDP(α) + ln((α − 1)/α) − (ln δ + ln α)/(α − 1).
 * It is never smaller than the exact (tight) ε of the composed Gaussian mechanism, and it is what
 * test/reference/dp.py checks, against an independent computation and against that exact bound.
 */

/**
 * The orders α tried: Opacus's default grid (1.1…10.9 by 0.1, 11…63) widened at both ends, below
 * for very large ε (many rounds, little noise) and above for small ε (much noise), where the
 * optimal order is α* ≈ 1 + √(ln(1/δ)/ρ) with ρ = rounds/(2z²).
 */
export const RDP_ORDERS: readonly number[] = Object.freeze([
  ...range(101, 109, 1).map((x) => x / 100),
  ...range(11, 109, 1).map((x) => x / 10),
  ...range(11, 256, 1),
  ...range(5, 16, 1).map((x) => x * 64),
]);

export interface PrivacySpent {
  epsilon: number;
  delta: number;
  /** The order α at which ε was smallest. */
  order: number;
}

/** RDP of one round of the Gaussian mechanism with noise std = noiseMultiplier × sensitivity, at order α. */
export function gaussianRdp(noiseMultiplier: number, order: number): number {
  return order / (2 * noiseMultiplier * noiseMultiplier);
}

/** ε at δ from an RDP curve (RDP at each of RDP_ORDERS, already composed over rounds). */
export function epsilonFromRdp(rdp: (order: number) => number, delta: number): PrivacySpent {
  checkDelta(delta);
  let best: PrivacySpent = { epsilon: Infinity, delta, order: NaN };
  for (const order of RDP_ORDERS) {
    const epsilon = rdp(order) + Math.log((order - 1) / order) - (Math.log(delta) + Math.log(order)) / (order - 1);
    if (epsilon < best.epsilon) best = { epsilon, delta, order };
  }
  // The conversion can dip below 0 for a negligible RDP; no mechanism has ε < 0.
  return { ...best, epsilon: Math.max(0, best.epsilon) };
}

/** (ε, δ) of `rounds` rounds of the Gaussian mechanism at one noise multiplier (RDP composed by adding). */
export function gaussianPrivacy(noiseMultiplier: number, delta: number, rounds = 1): PrivacySpent {
  if (!(Number.isFinite(noiseMultiplier) && noiseMultiplier > 0)) {
    throw flaiError(`DP accounting: noiseMultiplier must be a finite number > 0, got ${noiseMultiplier}.`);
  }
  if (!(Number.isInteger(rounds) && rounds >= 1)) {
    throw flaiError(`DP accounting: rounds must be a whole number ≥ 1, got ${rounds}.`);
  }
  return epsilonFromRdp((order) => rounds * gaussianRdp(noiseMultiplier, order), delta);
}

/**
 * L2 sensitivity of Σ_k p_k·clip(Δ_k) (p the normalized weights used, each clipped update of norm
 * ≤ clippingNorm) to one client: replacing its update moves the sum by ≤ 2·p_k·clippingNorm, and adding or
 * removing it (the others' weights renormalized) by ≤ p_k·C + p_k/(1 − p_k)·(1 − p_k)·C, the same.
 * So it is 2·clippingNorm·max_k p_k; for a uniform mean over n updates, 2·clippingNorm/n.
 */
export function weightedMeanSensitivity(shares: readonly number[], clippingNorm: number): number {
  let max = 0;
  for (const p of shares) max = Math.max(max, p);
  return 2 * clippingNorm * max;
}

function checkDelta(delta: number): void {
  if (!(delta > 0 && delta < 1)) throw flaiError(`DP accounting: delta must be in (0, 1), got ${delta}; 1e-5 is usual.`);
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let x = from; x <= to; x += step) out.push(x);
  return out;
}
