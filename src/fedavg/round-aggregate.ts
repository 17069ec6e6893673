import { gaussianPrivacy } from "./dp-accountant.js";
import type { DpMetrics, GlobalModel } from "./global-model.js";
import { roundRules } from "./global-model.js";
import { aggregate } from "./strategies.js";
import { capWeights, type CappedWeights } from "./weights.js";

/** One accepted update as the round's math sees it. */
export interface AcceptedDelta {
  /** parameterVector layout: weights then bias. */
  delta: Float64Array;
  /** The client's declared num_examples (capped here before any use). */
  numExamples: number;
}

export interface CombinedRound {
  weights: number[];
  bias: number;
  /** The capped num_examples (maxClientShare), in update order. */
  capping: CappedWeights;
  /** Σ capped num_examples: the N the next round's clients scale their penalty with. */
  numExamples: number;
  dp: DpMetrics | null;
}

/**
 * The math of one round, shared by the enclave (aggregator.ts) and in-process runs: caps the
 * declared num_examples, combines the deltas with the task's strategy, applies the result to the
 * current model and accounts the round's DP (ε of this round and of rounds 1..round composed).
 */
export function combineRound(current: GlobalModel, updates: readonly AcceptedDelta[], round: number, seed: number | Uint8Array): CombinedRound {
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
  const weights = current.weights.map((w, j) => w + delta[j]!);
  const bias = current.bias + delta[current.features]!;
  // Self-reported counts can sum past 2^53; the model must stay parseable (a safe integer).
  const numExamples = Math.min(Number.MAX_SAFE_INTEGER, capping.weights.reduce((s, w) => s + w, 0));
  const dpMetrics: DpMetrics | null = dp && { ...dp, epsilonTotal: gaussianPrivacy(dp.noiseMultiplier, dp.delta, round).epsilon };
  return { weights, bias, capping, numExamples, dp: dpMetrics };
}
