/**
 * Why the enclave left one client's update out of a round. Decisions (and tests) go by the code;
 * the reason text is for people. Every recorded update is either accepted or rejected with one.
 */
export const REJECTION_CODES = [
  /** Storage could not return the ciphertext recorded on-chain. */
  "unavailable",
  /** The ciphertext does not hash to the hash recorded on-chain. */
  "hash-mismatch",
  /** The envelope does not open: tampered, sealed to another key, replayed, or claimed by another client. */
  "envelope",
  /** The plaintext is not a valid update (bad header, non-finite values, …). */
  "malformed",
  /** The delta (or the gradient) does not fit the task's model. */
  "wrong-dimension",
  /** The task uses drift correction, but the update carries no gradient (flai-update/v1). */
  "missing-gradient",
  /** Trained from another global model than this round's. */
  "out-of-round",
  /** The num_examples inside the envelope differs from the one recorded on-chain. */
  "num-examples-mismatch",
  /** The declared num_examples is not a whole number in [1, 2^53 − 1]. */
  "num-examples-out-of-bounds",
  /** The delta's L2 norm exceeds the task's maxUpdateNorm. */
  "norm-exceeds-bound",
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

/** Thrown by one check of one update; the aggregator records it and goes on with the others. */
export class UpdateRejected extends Error {
  readonly code: RejectionCode;
  constructor(code: RejectionCode, reason: string) {
    super(reason);
    this.code = code;
  }
}

/** Runs one check; whatever it throws becomes a rejection with `code` (its message is the reason). */
export function checkAs<T>(code: RejectionCode, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof UpdateRejected) throw error;
    throw new UpdateRejected(code, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Why a whole round is not published (the enclave returns no result): codes that appear in the
 * error message, so an operator can tell a round that needs more updates from one that was
 * already aggregated over another update set.
 */
export const ROUND_REFUSALS = [
  /** Fewer accepted updates than the task's minAccepted, and no DP noise to protect them. */
  "too-few-accepted",
  /** The strategy's guarantee needs more updates (median and trimmed-mean: 3). */
  "too-few-for-strategy",
  /** This enclave already produced the round's result from a different update set. */
  "update-set-changed",
  /** Every recorded update was rejected. */
  "nothing-accepted",
] as const;
export type RoundRefusal = (typeof ROUND_REFUSALS)[number];

/** The message prefix that names a round refusal's code, e.g. "[too-few-accepted] ". */
export const refusalTag = (code: RoundRefusal) => `[${code}] `;
