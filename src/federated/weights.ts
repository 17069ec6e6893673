import { flaiError } from "../errors.js";

import type { RewardRule } from "./round-rules.js";

const UINT64_MAX = (1n << 64n) - 1n;

/*
 * Two quantities, two names. `numExamples` (Flower's num_examples) is what a client declares and
 * records: its training example count, uncapped. A *weight* is what the enclave makes of it:
 * num_examples capped at maxClientShare (capWeights; the aggregation weight of a weighted mean, and
 * the reward weight under the "num-examples" rule), or 1 each under equal weighting (the "equal"
 * reward rule, rewardWeights). The reward leaf's `weight`, its `cumulativeWeightBefore` and a round's
 * `acceptedWeight` (their sum over the accepted updates) are weights, never num_examples.
 */

export interface CappedWeights {
  /** Per update, in input order: min(numExamples, cap), whole numbers ≥ 1. */
  weights: number[];
  /** The cap applied, or null when no update weighed more than maxShare of the round. */
  cap: number | null;
  /** True when fewer than 1/maxShare updates made the cap unreachable and every weight is equal. */
  equalized: boolean;
}

/**
 * Caps self-reported num_examples so that no update weighs more than `maxShare` of the total:
 * w'_k = min(w_k, c) with c the largest whole number such that c ≤ maxShare·Σ_k min(w_k, c)
 * ("water-filling"). Capping can only lower a share, so a claim of 2^53 − 1 examples weighs at most
 * maxShare. When maxShare < 1/n no cap can reach it; every update then weighs the same, 1/n.
 */
export function capWeights(numExamples: readonly number[], maxShare: number): CappedWeights {
  const n = numExamples.length;
  if (n === 0) return { weights: [], cap: null, equalized: false };
  numExamples.forEach((w, k) => {
    if (!(Number.isSafeInteger(w) && w >= 1))
      throw flaiError(`capWeights: numExamples[${k}] is ${w}; it must be a whole number in [1, 2^53 − 1].`);
  });
  const sorted = [...numExamples].sort((a, b) => a - b);
  const total = sorted.reduce((s, w) => s + w, 0); // ≤ 2^32·2^53: approximate above 2^53, never infinite
  if (sorted[n - 1]! <= maxShare * total) return { weights: [...numExamples], cap: null, equalized: false };

  // The m largest are capped at c, the rest (sum `rest`) are not: c = s·(rest + m·c) ⇒ c = s·rest/(1 − s·m).
  // The first m where c lands between the largest uncapped and the smallest capped weight is the answer.
  // `rest` is summed from the small end (exact below 2^53), never as total minus huge claims.
  const prefix = [0];
  for (const w of sorted) prefix.push(prefix.at(-1)! + w);
  for (let m = 1; m < n && maxShare * m < 1; m++) {
    const rest = prefix[n - m]!;
    let c = Math.floor((maxShare * rest) / (1 - maxShare * m));
    while (c > 1 && c > maxShare * (rest + m * c)) c--; // rounding must never lift a share above the cap
    if (c >= sorted[n - m - 1]! && c <= sorted[n - m]!) {
      return { weights: numExamples.map((w) => Math.min(w, c)), cap: c, equalized: false };
    }
  }
  const equal = sorted[0]!;
  return { weights: numExamples.map(() => equal), cap: equal, equalized: true };
}

/**
 * The weights the commitment carries (the contract pays leaf k pool·w_k/Σw): 1 each under "equal";
 * the capped num_examples under "num-examples", halved together (never below 1) until the total fits
 * the contract's uint64.
 */
export function rewardWeights(capped: readonly number[], rule: RewardRule): bigint[] {
  if (rule === "equal") return capped.map(() => 1n);
  let weights = capped.map((w) => BigInt(w));
  for (let shift = 1n; sum(weights) > UINT64_MAX; shift++) {
    weights = capped.map((w) => {
      const v = BigInt(w) >> shift;
      return v === 0n ? 1n : v;
    });
  }
  return weights;
}

function sum(values: readonly bigint[]): bigint {
  return values.reduce((a, b) => a + b, 0n);
}
