import { HardhatError } from "@nomicfoundation/hardhat-errors";

import { flaiError, isFlaiError } from "../errors.js";
import { isTransient } from "../storage/retry.js";
import type { FollowEventSink } from "./follow-events.js";

/** ethers' codes for a request that never got a real answer (the RPC or the network failed). */
const TRANSIENT_ETHERS_CODES = new Set(["NETWORK_ERROR", "TIMEOUT", "SERVER_ERROR"]);
const TRANSIENT_HARDHAT = [HardhatError.ERRORS.CORE.NETWORK.CONNECTION_REFUSED, HardhatError.ERRORS.CORE.NETWORK.NETWORK_TIMEOUT];

/**
 * Whether a follower may try again: somewhere in the error's cause chain is a network fault (a
 * refused or reset connection, a timeout, a 502/503/504, storage back-pressure). A contract revert,
 * a refused input or a rejected round is never transient: trying again would fail the same way.
 */
export function isTransientFault(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === "object" && current !== null && !seen.has(current)) {
    seen.add(current);
    const link = current as { code?: unknown; message?: unknown; revert?: unknown; cause?: unknown; error?: unknown };
    // A revert is the contract's answer, not a fault on the way.
    if (link.code === "CALL_EXCEPTION" || link.revert !== undefined) return false;
    if (typeof link.code === "string" && TRANSIENT_ETHERS_CODES.has(link.code)) return true;
    if (TRANSIENT_HARDHAT.some((d) => HardhatError.isHardhatError(current, d))) return true;
    // Our own errors are decisions; only what they wrap can be a network fault. Elsewhere the storage
    // layer's test of "the network hiccuped" (Node error codes, HTTP 50x, back-pressure) applies, to
    // the message without hex (addresses and data must not pass for a status code).
    if (!isFlaiError(current) && isTransient({ code: link.code, message: String(link.message ?? "").replace(/0x[0-9a-f]*/gi, "") }))
      return true;
    current = link.cause ?? link.error;
  }
  return false;
}

export interface RetryPolicy {
  /** Attempts after the first; bounded, so a fault that lasts ends the follower with its error. */
  retries: number;
  /** Wait before the first retry; doubles each time, at most 30 s. */
  baseMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 6, baseMs: 1000 };

/**
 * Runs `work`, retrying transient faults with exponential backoff; each retry is announced through
 * `onRetry` (named, with the error), never silent. A non-transient error is thrown at once; the last
 * transient one after `retries` retries is thrown wrapped in an error that says how often it was tried.
 */
export async function withBackoff<T>(
  action: () => string,
  work: () => Promise<T>,
  policy: RetryPolicy,
  onRetry: (retry: { action: string; attempt: number; attempts: number; inSeconds: number; error: string }) => void,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isTransientFault(error)) throw error;
      const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
      if (attempt > policy.retries) {
        throw flaiError(
          `Gave up ${action()} after ${attempt} attempts: every one failed with a network fault, the last: ${message}. ` +
            `Check that the network's RPC and the storage indexer are reachable, then start the follower again (it resumes from the chain).`,
          error,
        );
      }
      const waitMs = Math.min(30_000, policy.baseMs * 2 ** (attempt - 1));
      onRetry({ action: action(), attempt, attempts: policy.retries + 1, inSeconds: waitMs / 1000, error: message });
      await sleep(waitMs, signal);
    }
  }
}

/** What a follower's poll loop needs: one look at the chain, and where to say what it retries. */
export interface FollowLoop<R> {
  taskId: bigint;
  /** The step under way, named in a retry and in the final give-up error. */
  step: () => string;
  /** One look at the chain; true once the follower is done. */
  look: () => Promise<boolean>;
  emit: FollowEventSink;
  result: () => R;
  opts: { retry?: RetryPolicy; signal?: AbortSignal };
}

/**
 * Looks every `pollMs` until `look` says done or `signal` aborts; a look that fails with a network
 * fault is retried with backoff (announced as "retry" events), any other failure ends the follower.
 */
export async function followUntilDone<R>(loop: FollowLoop<R>, pollMs: number): Promise<R> {
  const { taskId, emit, opts } = loop;
  while (opts.signal?.aborted !== true) {
    const done = await withBackoff(
      loop.step,
      loop.look,
      opts.retry ?? DEFAULT_RETRY,
      (r) => emit({ event: "retry", taskId, ...r }),
      opts.signal,
    );
    if (done) return loop.result();
    await sleep(pollMs, opts.signal);
  }
  return loop.result();
}

/** Waits `ms`, or less when `signal` aborts (the follower then stops at its next check). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Checks a follower's poll interval (seconds, > 0) given through the API. */
export function checkPollSeconds(value: number, what = "pollSeconds"): number {
  if (!Number.isFinite(value) || value <= 0 || value > 3600) {
    throw flaiError(`${what} must be a number of seconds > 0 and ≤ 3600, got ${value}.`);
  }
  return value;
}
