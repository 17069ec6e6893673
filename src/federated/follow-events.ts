import { format0G } from "../chain/amount.js";
import { shortHex } from "../ui.js";

/**
 * What a follower reports, one event per line: the text line for people, or (--json) the object
 * itself as one JSON line. Every event names its task; `event` is the kind.
 */
export type FollowEvent =
  | { event: "round-opened"; taskId: bigint; round: number; deadline: string }
  | {
      event: "update-recorded";
      taskId: bigint;
      round: number;
      client: string;
      updateRoot: string;
      /** Client follower: true when a restart reused the sealed bytes it had already uploaded (paid once). */
      reusedUpload?: boolean;
      txHash?: string;
      /** Aggregator follower: updates recorded so far and the quorum. */
      updateCount?: number;
      quorum?: number;
    }
  | { event: "round-skipped"; taskId: bigint; round: number; reason: "closed-before-joined" }
  /** Client follower, once: a private task's creator has not admitted this client yet (it keeps looking). */
  | { event: "waiting-for-admission"; taskId: bigint; client: string; readerKey: string }
  | { event: "round-closed"; taskId: bigint; round: number; updateCount: number; by: "enclave" | "max-clients" | "deadline" }
  | {
      event: "round-finalized";
      taskId: bigint;
      round: number;
      accepted: number;
      rejected: number;
      accuracy: number;
      globalRoot: string;
      txHash?: string;
    }
  | { event: "round-failed"; taskId: bigint; round: number; reason: "no-quorum" }
  | { event: "update-rejected"; taskId: bigint; round: number; client: string; code: string; reason: string }
  | { event: "reward-claimed"; taskId: bigint; round: number; client: string; amount: bigint; txHash: string }
  | { event: "retry"; taskId: bigint; action: string; attempt: number; attempts: number; inSeconds: number; error: string }
  | { event: "task-finished" | "task-cancelled"; taskId: bigint };

export type FollowEventSink = (event: FollowEvent) => void;

/** The event's line for people. */
export function describeFollowEvent(e: FollowEvent): string {
  const where = `round ${"round" in e ? e.round : "?"} of task ${e.taskId}`;
  switch (e.event) {
    case "round-opened":
      return `Round ${e.round} of task ${e.taskId} opened (accepts updates until ${e.deadline})`;
    case "update-recorded":
      return e.updateCount === undefined
        ? `Update recorded for ${where} by ${e.client}: ${shortHex(e.updateRoot)}${e.reusedUpload === true ? " (upload reused after a restart)" : ""}`
        : `Update ${e.updateCount} (quorum ${e.quorum}) recorded for ${where} by ${e.client}`;
    case "round-skipped":
      return `Skipped ${where}: it closed before this client joined; waiting for the next round`;
    case "waiting-for-admission":
      return (
        `Task ${e.taskId} is private and ${e.client} is not admitted to its models yet (reader key ${shortHex(e.readerKey)} registered); ` +
        `waiting for the creator to run: npx hardhat flai:fl-admit --task ${e.taskId} --clients ${e.client}`
      );
    case "round-closed":
      return `Round ${e.round} of task ${e.taskId} closed with ${e.updateCount} updates (${CLOSED_BY[e.by]})`;
    case "round-finalized":
      return (
        `Round ${e.round} of task ${e.taskId} finalized: ${e.accepted} accepted, ${e.rejected} rejected, ` +
        `accuracy ${e.accuracy.toFixed(4)}, global model ${shortHex(e.globalRoot)}`
      );
    case "round-failed":
      return `Round ${e.round} of task ${e.taskId} failed: its deadline passed without the quorum; waiting for the creator to cancel the task`;
    case "update-rejected":
      return `The enclave rejected ${e.client}'s update in ${where} [${e.code}]: ${e.reason}`;
    case "reward-claimed":
      return `${e.client} claimed ${format0G(e.amount)} for ${where}`;
    case "retry":
      return `Retrying ${e.action} in ${e.inSeconds} s (attempt ${e.attempt + 1} of ${e.attempts}) after a transient fault: ${e.error}`;
    case "task-finished":
      return `Task ${e.taskId} finished: every round is finalized`;
    case "task-cancelled":
      return `Task ${e.taskId} was cancelled by its creator`;
  }
}

const CLOSED_BY = {
  enclave: "closed by the task's enclave",
  "max-clients": "the task's maximum of clients per round",
  deadline: "its deadline passed",
} as const;

/** The event as a JSON-able object: bigints become decimal strings. */
export function followEventJson(e: FollowEvent): Record<string, unknown> {
  return JSON.parse(JSON.stringify(e, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as Record<string, unknown>;
}
