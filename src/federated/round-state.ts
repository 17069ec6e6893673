import type { RoundView } from "./types.js";

/**
 * Where a round stands, by the contract's own rules (FLAIFederated: getRound's `closed`,
 * `_requireFailed`): a code for decisions, worded only when shown.
 * - open: accepting updates;
 * - awaiting-result: closed with the quorum, the enclave may still finalize (until finalizeBy);
 * - failed-no-quorum: the deadline passed with fewer than the quorum (the creator may cancel);
 * - failed-not-finalized: met the quorum but nobody finalized it by finalizeBy (the creator may cancel);
 * - finalized; not-started (a later round).
 */
export type RoundPhase = "not-started" | "open" | "awaiting-result" | "failed-no-quorum" | "failed-not-finalized" | "finalized";

type RoundFacts = Pick<RoundView, "deadline" | "finalizeBy" | "updateCount" | "closed" | "finalized">;

/**
 * `now` is the time the next transaction will see: a quiet chain's latest block can be far behind
 * the clock (a view then still calls a past-deadline round open), so callers pass
 * max(latest block timestamp, wall clock) — see `effectiveNow`.
 */
export function roundPhase(round: RoundFacts, quorum: number, now: bigint): RoundPhase {
  if (round.finalized) return "finalized";
  if (round.deadline === 0n) return "not-started";
  const pastDeadline = now > round.deadline;
  if (!round.closed && !pastDeadline) return "open";
  if (!pastDeadline) return "awaiting-result"; // closed early: by the enclave at the quorum, or full at maxClients
  if (round.updateCount < quorum) return "failed-no-quorum";
  return now > round.finalizeBy ? "failed-not-finalized" : "awaiting-result";
}

/** A failed round is the only one that lets the creator cancel the task. */
export function isFailed(phase: RoundPhase): boolean {
  return phase === "failed-no-quorum" || phase === "failed-not-finalized";
}

/** The time the next block will carry at the earliest: the chain's latest block, or the clock if later. */
export function effectiveNow(latestBlockTimestamp: bigint | number, wallClockMs: number = Date.now()): bigint {
  const clock = BigInt(Math.floor(wallClockMs / 1000));
  const chain = BigInt(latestBlockTimestamp);
  return chain > clock ? chain : clock;
}
