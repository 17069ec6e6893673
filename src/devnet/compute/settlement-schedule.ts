import { flaiError } from "../../errors.js";

/**
 * When the local provider collects its fees. Real 0G providers settle in batches on their own
 * schedule (a settlement processor that runs on an interval and when an account's unpaid fees
 * grow), so right after a request nothing may be settled yet; the devnet can behave the same way.
 *
 * - `batch`: settle when `every` requests are unpaid, or `intervalMs` after the first unpaid one
 *   (whichever comes first; either may be left out), and on settle()/close().
 * - `manual`: only on settle()/close(), e.g. for a test that looks at the unpaid state.
 * - `immediate`: right after every answered request (settlement still lands a moment after the answer).
 */
export type SettlementSchedule = { mode: "batch"; every?: number; intervalMs?: number } | { mode: "manual" } | { mode: "immediate" };

/** The default: like a real provider, a batch of 10 requests or one minute, whichever is first. */
export const DEFAULT_SETTLEMENT: SettlementSchedule = { mode: "batch", every: 10, intervalMs: 60_000 };

/**
 * Turns "a request was answered" into "settle now" according to a schedule. `settle` is the
 * provider's settlement run; its failure is kept for the provider to report, never thrown at the
 * request that happened to trigger it.
 */
export class SettlementTrigger {
  #pending = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly schedule: SettlementSchedule,
    private readonly settle: () => Promise<unknown>,
    private readonly onError: (error: Error | undefined) => void,
  ) {
    validateSchedule(schedule);
  }

  /** One more answered, unpaid request. */
  answered(): void {
    if (this.#stopped) return;
    this.#pending++;
    const s = this.schedule;
    if (s.mode === "immediate" || (s.mode === "batch" && s.every !== undefined && this.#pending >= s.every)) {
      this.fire();
      return;
    }
    if (s.mode === "batch" && s.intervalMs !== undefined && this.#timer === undefined) {
      // unref: a provider waiting for its next batch must not keep the process alive.
      this.#timer = setTimeout(() => this.fire(), s.intervalMs).unref();
    }
  }

  /** A settlement ran (scheduled or asked for): the batch starts over. */
  reset(): void {
    this.#pending = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  stop(): void {
    this.#stopped = true;
    this.reset();
  }

  private fire(): void {
    this.reset();
    this.settle().then(
      () => this.onError(undefined),
      (error: Error) => this.onError(error),
    );
  }
}

function validateSchedule(s: SettlementSchedule): void {
  if (s.mode !== "batch") return;
  const positive = (v: number | undefined) => v === undefined || (Number.isInteger(v) && v > 0);
  if (!positive(s.every) || !positive(s.intervalMs)) {
    throw flaiError(
      `A batched settlement schedule needs whole positive numbers: every (requests) and intervalMs (milliseconds); got every=${s.every}, intervalMs=${s.intervalMs}.`,
    );
  }
  if (s.every === undefined && s.intervalMs === undefined) {
    throw flaiError(`A batched settlement schedule needs every (requests) or intervalMs (milliseconds), or use { mode: "manual" }.`);
  }
}
