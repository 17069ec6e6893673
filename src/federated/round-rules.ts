import { flaiError } from "../errors.js";

import { gaussianPrivacy } from "./dp-accountant.js";
import { DEFAULT_DP_DELTA, type StrategyConfig } from "./strategies.js";

export const REWARD_RULES = ["equal", "num-examples"] as const;
export type RewardRule = (typeof REWARD_RULES)[number];

/**
 * What the enclave enforces on every round of a task, besides the strategy. Fixed in the initial
 * global model (so bound on-chain by its hash) and carried unchanged into every later one.
 */
export interface RoundRules {
  /**
   * The largest share of a round's total weight one client's update may have in a weighted mean
   * (fedavg/fedprox) and in num-examples rewards. A client's num_examples is self-reported, so it is
   * capped (water-filling) rather than trusted. When fewer than 1/maxClientShare updates are accepted
   * the cap cannot hold and every update weighs the same (share 1/n, the least any rule can give).
   */
  maxClientShare: number;
  /**
   * Fewest accepted updates a published aggregate may combine. Below 3, each client can rebuild the
   * others' updates from the public model (with 2: the other's exactly). DP noise protects a round
   * of any size, so with noise the default is 1.
   */
  minAccepted: number;
  /**
   * Updates whose L2 norm exceeds this are rejected (code "norm-exceeds-bound"): no training step
   * is that large, and with every accepted update bounded no sum of them can overflow.
   */
  maxUpdateNorm: number;
  /**
   * How the round's reward pool is split among accepted updates: "equal" (default; pays nothing
   * the enclave cannot check) or "num-examples" (the capped num_examples, as claimed).
   */
  rewardRule: RewardRule;
}

export const DEFAULT_MAX_CLIENT_SHARE = 0.25;
export const DEFAULT_MIN_ACCEPTED = 3;
export const DEFAULT_MIN_ACCEPTED_WITH_DP = 1;
export const DEFAULT_MAX_UPDATE_NORM = 1e6;
/** The highest maxUpdateNorm: n ≤ 2^32 updates of norm ≤ 1e100 times weights ≤ 2^53 sum far below 1.8e308. */
export const MAX_UPDATE_NORM_LIMIT = 1e100;
/** FLAIFederated counts accepted updates in a uint32. */
const MAX_ACCEPTED = 2 ** 32 - 1;

/** The task's rules with every unset one at its default (minAccepted depends on whether DP is on). */
export function resolveRules(given: Partial<RoundRules> | undefined, strategy: StrategyConfig): RoundRules {
  const rules: RoundRules = {
    maxClientShare: given?.maxClientShare ?? DEFAULT_MAX_CLIENT_SHARE,
    minAccepted: given?.minAccepted ?? (strategy.noiseMultiplier !== undefined ? DEFAULT_MIN_ACCEPTED_WITH_DP : DEFAULT_MIN_ACCEPTED),
    maxUpdateNorm: given?.maxUpdateNorm ?? DEFAULT_MAX_UPDATE_NORM,
    rewardRule: given?.rewardRule ?? "equal",
  };
  checkRules(rules);
  return rules;
}

/** Throws a clear error naming the rule that cannot be used. */
export function checkRules(rules: RoundRules): void {
  const { maxClientShare, minAccepted, maxUpdateNorm, rewardRule } = rules;
  if (!(typeof maxClientShare === "number" && maxClientShare > 0 && maxClientShare <= 1)) {
    throw flaiError(
      `"maxClientShare" must be a number in (0, 1] (the most of a round one client may weigh), got ${String(maxClientShare)}; 0.25 is the default.`,
    );
  }
  if (!(Number.isInteger(minAccepted) && minAccepted >= 1 && minAccepted <= MAX_ACCEPTED)) {
    throw flaiError(
      `"minAccepted" must be a whole number ≥ 1 (accepted updates per published aggregate), got ${String(minAccepted)}; 3 is the default.`,
    );
  }
  if (!(typeof maxUpdateNorm === "number" && maxUpdateNorm > 0 && maxUpdateNorm <= MAX_UPDATE_NORM_LIMIT)) {
    throw flaiError(
      `"maxUpdateNorm" must be a number in (0, 1e100] (the largest L2 norm of an accepted update), got ${String(maxUpdateNorm)}; 1e6 is the default.`,
    );
  }
  if (!REWARD_RULES.includes(rewardRule)) {
    throw flaiError(`"rewardRule" must be one of ${REWARD_RULES.map((r) => `"${r}"`).join(", ")}, got ${JSON.stringify(rewardRule)}.`);
  }
}

/** What keeps one published round's inputs private, as the round report and fl-status state it. */
export interface RoundProtection {
  /** Accepted updates combined, and the task's minimum. */
  accepted: number;
  minAccepted: number;
  /** Central DP when noise was added: ε of the round, and of rounds 1..it composed (when known). */
  dp: { epsilon: number; epsilonTotal?: number; delta: number } | null;
}

/**
 * A finalized round's protection from what the chain records (accepted count, ε) and the task's
 * rules. Given the round number, the composed ε over rounds 1..round is added (every round of a
 * task adds noise with the same multiplier, so the RDP accountant composes them exactly).
 */
export function protectionOf(
  acceptedCount: number,
  epsilon: number,
  rules: RoundRules,
  strategy: StrategyConfig,
  round?: number,
): RoundProtection {
  const delta = strategy.dpDelta ?? DEFAULT_DP_DELTA;
  const z = strategy.noiseMultiplier;
  const epsilonTotal = round !== undefined && z !== undefined ? gaussianPrivacy(z, delta, round).epsilon : undefined;
  const dp = epsilon > 0 ? { epsilon, ...(epsilonTotal !== undefined ? { epsilonTotal } : {}), delta } : null;
  return { accepted: acceptedCount, minAccepted: rules.minAccepted, dp };
}

export function describeProtection(p: RoundProtection): string {
  const parts: string[] = [];
  if (p.accepted >= DEFAULT_MIN_ACCEPTED) parts.push(`${p.accepted} accepted updates ≥ minimum ${p.minAccepted}`);
  if (p.dp !== null) {
    const total =
      p.dp.epsilonTotal !== undefined && p.dp.epsilonTotal !== p.dp.epsilon
        ? ` this round, ${round3(p.dp.epsilonTotal)} over the task's rounds so far`
        : "";
    parts.push(`DP ε ${round3(p.dp.epsilon)}${total}, δ ${p.dp.delta}`);
  }
  if (parts.length === 0) {
    return `none: only ${p.accepted} accepted update${p.accepted === 1 ? "" : "s"} and no DP noise (the task set minimum ${p.minAccepted}), so each client can rebuild the others' updates`;
  }
  return parts.join(" and ");
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
