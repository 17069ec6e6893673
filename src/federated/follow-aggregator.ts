import { flaiError } from "../errors.js";
import type { FlaiConnection } from "../chain/connection.js";
import { parseId } from "../chain/ids.js";

import type { FlaiFederated } from "./client.js";
import type { FollowEventSink } from "./follow-events.js";
import { checkPollSeconds, followUntilDone, type RetryPolicy } from "./follow-loop.js";
import type { FederatedTaskView, RoundView } from "./types.js";

export interface FollowAggregatorOptions {
  taskId: bigint | number | string;
  connection?: FlaiConnection;
  /** Seconds between looks at the chain (default 5). */
  pollSeconds?: number;
  /** Seconds to wait for more clients once the quorum is recorded (default 60). */
  closeAfterSeconds?: number;
  onEvent?: FollowEventSink;
  /** Stops the follower at its next wait (it returns with status "stopped"). */
  signal?: AbortSignal;
  retry?: RetryPolicy;
}

export interface FollowAggregatorResult {
  taskId: bigint;
  status: "finished" | "cancelled" | "stopped";
  /** Rounds this run finalized. */
  finalized: number[];
}

export const DEFAULT_CLOSE_AFTER_SECONDS = 60;

/** What the enclave host does with the current round now (see closeAction). */
export type CloseAction = "wait" | "close" | "aggregate" | "failed";

export interface CloseState {
  quorum: number;
  updateCount: number;
  /** The round's update set is frozen on-chain: maxClients reached, closed, or past its deadline. */
  closed: boolean;
  deadline: number;
  /** Chain time now, seconds. */
  now: number;
  /**
   * Seconds since the quorum-th update: the larger of chain time since its block and this host's
   * clock since it first saw it (a dev chain's block times can run ahead of the clock and stand still
   * between blocks). Undefined below the quorum.
   */
  sinceQuorum: number | undefined;
  closeAfter: number;
  /** How long before the deadline the host closes at the latest, so its close lands in time. */
  margin: number;
}

/**
 * The close rule, as the host applies it:
 * - a frozen round (its maxClients-th update closed it, or its deadline passed) is aggregated if it
 *   holds the quorum, and has failed otherwise (only the creator's cancel moves the task on);
 * - an open round below the quorum waits (for clients, or for its deadline);
 * - an open round at the quorum is closed by the enclave once `closeAfter` seconds have passed since
 *   the quorum-th update, and `margin` seconds before its deadline at the latest.
 */
export function closeAction(s: CloseState): CloseAction {
  if (s.closed) return s.updateCount >= s.quorum ? "aggregate" : "failed";
  if (s.updateCount < s.quorum || s.sinceQuorum === undefined) return "wait";
  if (s.now >= s.deadline - s.margin || s.sinceQuorum >= s.closeAfter) return "close";
  return "wait";
}

interface Follow {
  federated: FlaiFederated;
  opts: FollowAggregatorOptions & { connection: FlaiConnection };
  taskId: bigint;
  closeAfter: number;
  margin: number;
  emit: FollowEventSink;
  step: string;
  opened: Set<number>;
  /** Updates already reported, per round. */
  seen: Map<number, number>;
  /** Per round: the quorum-th update's block time, and this host's clock when it first saw it. */
  quorumAt: Map<number, { block: number; seen: number }>;
  failed: Set<number>;
  /** Rounds whose close was reported. */
  closed: Set<number>;
  result: FollowAggregatorResult;
}

/**
 * A long-running enclave host: each look at the chain reports new updates, and closes, aggregates
 * and finalizes the current round when the close rule says so. Its state is the chain's: a restart
 * (even mid-aggregation: aggregate is resumable and finalizes once) goes on from there.
 */
export async function followAggregator(
  federated: FlaiFederated,
  opts: FollowAggregatorOptions & { connection: FlaiConnection },
): Promise<FollowAggregatorResult> {
  const poll = checkPollSeconds(opts.pollSeconds ?? 5);
  const closeAfter = opts.closeAfterSeconds ?? DEFAULT_CLOSE_AFTER_SECONDS;
  if (!Number.isFinite(closeAfter) || closeAfter < 0) {
    throw flaiError(`closeAfterSeconds must be a number of seconds ≥ 0, got ${closeAfter}.`);
  }
  const taskId = parseId(opts.taskId, "task");
  const f: Follow = {
    federated,
    opts,
    taskId,
    closeAfter,
    // Two polls and a few seconds: the close must be mined before the deadline, not merely sent.
    margin: 2 * poll + 5,
    emit: opts.onEvent ?? (() => {}),
    step: `reading task ${taskId}`,
    opened: new Set(),
    seen: new Map(),
    quorumAt: new Map(),
    failed: new Set(),
    closed: new Set(),
    result: { taskId, status: "stopped", finalized: [] },
  };
  return followUntilDone({ taskId, step: () => f.step, look: () => look(f), emit: f.emit, result: () => f.result, opts }, poll * 1000);
}

/** One look at the chain; true once the task is finished or cancelled. */
async function look(f: Follow): Promise<boolean> {
  f.step = `reading task ${f.taskId}`;
  const connection = f.opts.connection;
  const task = await f.federated.task(f.taskId, { connection });
  if (task.status !== "active") {
    f.result.status = task.status;
    f.emit({ event: task.status === "finished" ? "task-finished" : "task-cancelled", taskId: f.taskId });
    return true;
  }
  const round = await f.federated.round(f.taskId, task.currentRound, { connection });
  if (!f.opened.has(round.round)) {
    f.opened.add(round.round);
    f.emit({
      event: "round-opened",
      taskId: f.taskId,
      round: round.round,
      deadline: new Date(Number(round.deadline) * 1000).toISOString(),
    });
  }
  await reportUpdates(f, task, round);
  const now = await chainNow(connection);
  const action = closeAction({
    quorum: task.quorum,
    updateCount: round.updateCount,
    closed: round.closed,
    deadline: Number(round.deadline),
    now,
    sinceQuorum: sinceQuorum(f.quorumAt.get(round.round), now),
    closeAfter: f.closeAfter,
    margin: f.margin,
  });
  if (action === "failed" && !f.failed.has(round.round)) {
    f.failed.add(round.round);
    f.emit({ event: "round-failed", taskId: f.taskId, round: round.round, reason: "no-quorum" });
  }
  if (action === "close" || action === "aggregate") await closeAndFinalize(f, task, round, action, now);
  return false;
}

/** One event per update recorded since the last look, and when the quorum was reached. */
async function reportUpdates(f: Follow, task: FederatedTaskView, round: RoundView): Promise<void> {
  const seen = f.seen.get(round.round) ?? 0;
  if (round.updateCount === seen) return;
  f.step = `reading round ${round.round}'s updates`;
  const updates = await f.federated.recordedUpdates(f.taskId, round.round, { connection: f.opts.connection });
  updates.slice(seen).forEach((u, i) =>
    f.emit({
      event: "update-recorded",
      taskId: f.taskId,
      round: round.round,
      client: u.client,
      updateRoot: u.updateRoot,
      updateCount: seen + i + 1,
      quorum: task.quorum,
    }),
  );
  f.seen.set(round.round, updates.length);
  const quorumUpdate = updates[task.quorum - 1];
  if (quorumUpdate !== undefined && !f.quorumAt.has(round.round)) {
    const block = await f.opts.connection.ethers.provider.getBlock(quorumUpdate.blockNumber);
    const seen = clockNow();
    f.quorumAt.set(round.round, { block: block?.timestamp ?? seen, seen });
  }
}

async function closeAndFinalize(
  f: Follow,
  task: FederatedTaskView,
  round: RoundView,
  action: "close" | "aggregate",
  now: number,
): Promise<void> {
  const connection = f.opts.connection;
  if (action === "close") {
    f.step = `closing round ${round.round}`;
    const closed = await f.federated.closeRound(f.taskId, { connection });
    f.closed.add(round.round);
    f.emit({ event: "round-closed", taskId: f.taskId, round: round.round, updateCount: closed.updateCount, by: "enclave" });
  } else if (!f.closed.has(round.round)) {
    f.closed.add(round.round);
    f.emit({ event: "round-closed", taskId: f.taskId, round: round.round, updateCount: round.updateCount, by: closedBy(round, now) });
  }
  f.step = `aggregating round ${round.round} in the enclave and finalizing it`;
  try {
    const r = await f.federated.aggregate({ taskId: f.taskId, round: round.round, connection });
    f.result.finalized.push(r.round);
    f.emit({
      event: "round-finalized",
      taskId: f.taskId,
      round: r.round,
      accepted: r.accepted.length,
      rejected: r.rejected.length,
      accuracy: r.metrics.accuracy,
      globalRoot: r.globalRoot,
      txHash: r.txHash,
    });
  } catch (error) {
    // Another host (or an earlier run whose receipt was lost) finalized it: the chain has moved on.
    const after = await f.federated.task(f.taskId, { connection });
    if (after.status === "active" && after.currentRound === round.round) throw error;
  }
}

/** Why a round the host did not close is frozen: full at maxClients, else past its deadline. */
function closedBy(round: RoundView, now: number): "max-clients" | "deadline" | "enclave" {
  if (round.updateCount >= round.maxClients) return "max-clients";
  return now > Number(round.deadline) ? "deadline" : "enclave";
}

/** Chain time: the latest block's timestamp, or the wall clock when no block was mined lately (a quiet dev chain). */
async function chainNow(connection: FlaiConnection): Promise<number> {
  const latest = await connection.ethers.provider.getBlock("latest");
  return Math.max(latest?.timestamp ?? 0, clockNow());
}

function clockNow(): number {
  return Date.now() / 1000;
}

function sinceQuorum(at: { block: number; seen: number } | undefined, chainNow: number): number | undefined {
  return at === undefined ? undefined : Math.max(chainNow - at.block, clockNow() - at.seen);
}
