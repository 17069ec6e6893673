import type { JsonBias, JsonWeights } from "../ml/parameters.js";

import { gaussianPrivacy } from "./dp-accountant.js";
import { aggregateGradients } from "./drift-correction.js";
import { addDelta, roundRules, type DpMetrics, type GlobalModel } from "./global-model.js";
import { aggregate } from "./strategies.js";
import { capWeights, type CappedWeights } from "./weights.js";

/** One accepted update as the round's math sees it. */
export interface AcceptedDelta {
  /** parameterVector layout: [W..., b...], outputs·(features + 1) values. */
  delta: Float64Array;
  /** The client's declared num_examples (capped here before any use). */
  numExamples: number;
  /** ∇F_k at the round's model (drift-corrected tasks only; checked for dimension and finiteness before). */
  gradient?: Float64Array;
}

export interface CombinedRound {
  weights: JsonWeights;
  bias: JsonBias;
  /** The capped num_examples (maxClientShare), in update order. */
  capping: CappedWeights;
  /** The N the next round's clients scale their penalty with (federationTotal). */
  numExamples: number;
  dp: DpMetrics | null;
  /** Drift-corrected tasks: the mean of the clipped gradients with the capped weights, for the next model. */
  correction: Float64Array | null;
}

/**
 * The math of one round, shared by the enclave (aggregator.ts) and in-process runs: caps the
 * declared num_examples, combines the deltas with the task's strategy, applies the result to the
 * current model and accounts the round's DP (ε of this round and of rounds 1..round composed).
 * With drift correction, also the next round's correction from the updates' gradients.
 */
export function combineRound(
  current: GlobalModel,
  updates: readonly AcceptedDelta[],
  round: number,
  seed: number | Uint8Array,
): CombinedRound {
  const rules = roundRules(current);
  const strategy = current.federated.strategy;
  const capping = capWeights(
    updates.map((u) => u.numExamples),
    rules.maxClientShare,
  );
  const { delta, dp } = aggregate(
    updates.map((u, k) => ({ delta: u.delta, weight: capping.weights[k]! })),
    strategy,
    seed,
  );
  const { weights, bias } = addDelta(current, delta);
  const numExamples = federationTotal(
    updates.map((u) => u.numExamples),
    capping,
  );
  const dpMetrics: DpMetrics | null = dp && { ...dp, epsilonTotal: gaussianPrivacy(dp.noiseMultiplier, dp.delta, round).epsilon };
  return { weights, bias, capping, numExamples, dp: dpMetrics, correction: roundCorrection(current, updates, capping.weights) };
}

/** The task's drift correction for the next round, or null when the task has none. */
function roundCorrection(current: GlobalModel, updates: readonly AcceptedDelta[], weights: readonly number[]): Float64Array | null {
  const drift = current.federated.local.driftCorrection;
  if (drift === undefined) return null;
  const gradients = updates.map((u, k) => {
    // The enclave rejects such an update ("missing-gradient") before it gets here.
    if (u.gradient === undefined) throw new Error(`combineRound: update ${k} of a drift-corrected task has no gradient`);
    return u.gradient;
  });
  return aggregateGradients(gradients, weights, drift.maxGradientNorm);
}

/**
 * N for the next round: Σ of the capped num_examples, the weights a weighted mean uses, so the
 * clients' penalties add up to the centralized one over those weights. When too few updates made
 * the cap unreachable (every weight equalized to the smallest claim), n × the median claim instead:
 * as robust to one inflated claim as the cap (n ≥ 3), and not the smallest client's size n times.
 * Self-reported counts can sum past 2^53; the model must stay parseable (a safe integer).
 */
export function federationTotal(claims: readonly number[], capping: CappedWeights): number {
  let total: number;
  if (capping.equalized) {
    const sorted = [...claims].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 === 1 ? sorted[mid]! : Math.floor(sorted[mid - 1]! / 2 + sorted[mid]! / 2);
    total = claims.length * median;
  } else {
    total = capping.weights.reduce((s, w) => s + w, 0);
  }
  return Math.min(Number.MAX_SAFE_INTEGER, total);
}
