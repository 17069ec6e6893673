import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import { getAddress } from "ethers";

import { firstSigner, type FlaiConnection } from "../chain/connection.js";
import { parseId } from "../chain/ids.js";
import type { Dataset } from "../ml/dataset.js";
import type { StorageBackend } from "../storage/types.js";

import type { FlaiFederated } from "./client.js";
import type { FollowEventSink } from "./follow-events.js";
import { checkPollSeconds, followUntilDone, type RetryPolicy } from "./follow-loop.js";
import { PendingUpdates, type PendingKey } from "./follow-pending.js";
import { readRoundReport } from "./round-report.js";
import type { FederatedTaskView, RoundView } from "./types.js";
import { sha256Hex } from "../util/sha256.js";
import { flaiErrorCode } from "../errors.js";

import { NOT_ADMITTED } from "./task-access.js";

export interface FollowClientOptions {
  taskId: bigint | number | string;
  /** The client's local data, used every round. */
  data: string | Dataset;
  signer?: HardhatEthersSigner;
  connection?: FlaiConnection;
  /** Seconds between looks at the chain (default 5). */
  pollSeconds?: number;
  onEvent?: FollowEventSink;
  /** Stops the follower at its next wait (it returns with status "stopped"). */
  signal?: AbortSignal;
  retry?: RetryPolicy;
  /** Where sealed updates wait to be recorded (default <project>/.flai/follow). */
  stateDir?: string;
}

export interface FollowClientResult {
  taskId: bigint;
  client: string;
  status: "finished" | "cancelled" | "stopped";
  /** Rounds this run recorded an update in. */
  joined: number[];
  /** Rounds that closed before this client joined. */
  skipped: number[];
  claimed: Array<{ round: number; amount: bigint }>;
}

interface Follow {
  federated: FlaiFederated;
  storage: StorageBackend;
  opts: FollowClientOptions & { connection: FlaiConnection; stateDir: string };
  signer: HardhatEthersSigner;
  client: string;
  /** This client's reader key, registered on-chain as the follower starts. */
  readerKey: string;
  taskId: bigint;
  pending: PendingUpdates;
  emit: FollowEventSink;
  /** What the follower is doing now, for retry and error messages. */
  step: string;
  opened: Set<number>;
  /** The waiting-for-admission line is said once per run. */
  waitingSaid: boolean;
  /** Finalized rounds whose reward question is settled (claimed, rejected, or not joined). */
  settled: Set<number>;
  result: FollowClientResult;
}

/**
 * A long-running client: each look at the chain claims what finalized rounds owe it, then joins the
 * current round if it has not yet and the round is open. It keeps no state but the chain's and its
 * sealed-but-unrecorded update, so a restart picks up where the chain says it is.
 */
export async function followClient(
  federated: FlaiFederated,
  storage: StorageBackend,
  opts: FollowClientOptions & { connection: FlaiConnection; stateDir: string },
): Promise<FollowClientResult> {
  const pollMs = checkPollSeconds(opts.pollSeconds ?? 5) * 1000;
  const taskId = parseId(opts.taskId, "task");
  const signer = opts.signer ?? (await firstSigner(opts.connection));
  const client = getAddress(await signer.getAddress());
  // Registered first, admitted or not: the creator can only admit a client whose reader key is on-chain.
  const { readerKey } = await federated.registerReaderKey({ signer, connection: opts.connection });
  const f: Follow = {
    federated,
    storage,
    opts,
    signer,
    client,
    readerKey,
    taskId,
    pending: new PendingUpdates(opts.stateDir),
    emit: opts.onEvent ?? (() => {}),
    step: `reading task ${taskId}`,
    opened: new Set(),
    waitingSaid: false,
    settled: new Set(),
    result: { taskId, client, status: "stopped", joined: [], skipped: [], claimed: [] },
  };
  return followUntilDone({ taskId, step: () => f.step, look: () => look(f), emit: f.emit, result: () => f.result, opts }, pollMs);
}

/** One look at the chain; true once the task is over (finished or cancelled) and every reward is claimed. */
async function look(f: Follow): Promise<boolean> {
  f.step = `reading task ${f.taskId}`;
  const { task, rounds } = await f.federated.status(f.taskId, { connection: f.opts.connection });
  const unsettled = rounds.filter((round) => round.finalized && !f.settled.has(round.round));
  for (const round of unsettled) {
    // A node may answer the round's state before it serves the RoundFinalized log: next look.
    if (round.reportRoot !== undefined) await settleReward(f, round);
  }
  if (task.status !== "active") {
    // Every reward first: a finished task whose last result was not readable yet is looked at again.
    if (rounds.some((round) => round.finalized && !f.settled.has(round.round))) return false;
    await f.pending.removeTask({ chainId: task.chainId, contract: task.contract, taskId: task.id });
    f.result.status = task.status;
    f.emit({ event: task.status === "finished" ? "task-finished" : "task-cancelled", taskId: f.taskId });
    return true;
  }
  const current = rounds.find((r) => r.round === task.currentRound)!;
  if (!f.opened.has(current.round)) {
    f.opened.add(current.round);
    f.emit({ event: "round-opened", taskId: f.taskId, round: current.round, deadline: isoTime(current.deadline) });
  }
  await joinRound(f, task, current);
  return false;
}

/** Records this client's update in the current round, unless it already did or the round closed first. */
async function joinRound(f: Follow, task: FederatedTaskView, round: RoundView): Promise<void> {
  const key = pendingKey(f, task, round.round);
  if (await hasJoined(f, round.round)) {
    await f.pending.remove(key);
    return;
  }
  if (round.closed) {
    await skip(f, key);
    return;
  }
  try {
    await submit(f, key);
  } catch (error) {
    // The round may have closed (or advanced) while this client trained or uploaded: then the
    // update is simply late, which the chain says. Anything else is the follower's fault to report.
    if (await hasJoined(f, round.round)) {
      // The record landed though its receipt did not come back (a restart then finds it recorded).
      await f.pending.remove(key);
      return;
    }
    if (!(await f.federated.round(f.taskId, round.round, { connection: f.opts.connection })).closed) throw error;
    await skip(f, key);
  }
}

async function submit(f: Follow, key: PendingKey): Promise<void> {
  let kept = await f.pending.load(key);
  const reusedUpload = kept !== undefined;
  if (kept === undefined) {
    f.step = `training and sealing round ${key.round}'s update`;
    const sealed = await f.federated
      .prepareUpdate({ taskId: f.taskId, data: f.opts.data, signer: f.signer, connection: f.opts.connection, round: key.round })
      .catch((error: unknown) => notAdmitted(f, error));
    if (sealed === undefined) return; // not admitted yet: looked at again next time
    kept = { ciphertext: sealed.ciphertext, numExamples: sealed.numExamples, updateHash: sha256Hex(sealed.ciphertext) };
    // Written before the upload: a restart after a paid upload finds these bytes and reuses them.
    await f.pending.save(key, kept);
  }
  f.step = `uploading and recording round ${key.round}'s update`;
  const recorded = await f.federated.submitCiphertext({
    taskId: f.taskId,
    signer: f.signer,
    connection: f.opts.connection,
    round: key.round,
    ciphertext: kept.ciphertext,
    numExamples: kept.numExamples,
  });
  await f.pending.remove(key);
  f.result.joined.push(key.round);
  f.emit({
    event: "update-recorded",
    taskId: f.taskId,
    round: key.round,
    client: f.client,
    updateRoot: recorded.updateRoot,
    reusedUpload,
    txHash: recorded.txHash,
  });
}

/**
 * A private task whose creator has not admitted this client: not an error for a follower, which waits
 * (saying so once) and tries again each look; any other error is rethrown.
 */
function notAdmitted(f: Follow, error: unknown): undefined {
  if (flaiErrorCode(error) !== NOT_ADMITTED) throw error;
  if (!f.waitingSaid) {
    f.waitingSaid = true;
    f.emit({ event: "waiting-for-admission", taskId: f.taskId, client: f.client, readerKey: f.readerKey });
  }
  return undefined;
}

async function skip(f: Follow, key: PendingKey): Promise<void> {
  await f.pending.remove(key);
  if (f.result.skipped.includes(key.round)) return;
  f.result.skipped.push(key.round);
  f.emit({ event: "round-skipped", taskId: f.taskId, round: key.round, reason: "closed-before-joined" });
}

async function hasJoined(f: Follow, round: number): Promise<boolean> {
  return (await f.federated.update(f.taskId, round, f.client, { connection: f.opts.connection })).numExamples > 0;
}

/**
 * A finalized round: claims this client's reward if the enclave accepted its update (the round
 * report, checked against the on-chain commitment by claim), or reports the rejection's code.
 */
async function settleReward(f: Follow, round: RoundView): Promise<void> {
  f.step = `claiming round ${round.round}'s reward`;
  const mine = await f.federated.update(f.taskId, round.round, f.client, { connection: f.opts.connection });
  if (mine.numExamples === 0 || mine.claimed) {
    f.settled.add(round.round);
    return;
  }
  const report = readRoundReport(await f.storage.read(round.reportRoot!));
  const same = (a: { client: string }) => getAddress(a.client) === f.client;
  if (!report.accepted.some(same)) {
    const rejected = report.rejected.find(same);
    f.emit({
      event: "update-rejected",
      taskId: f.taskId,
      round: round.round,
      client: f.client,
      code: rejected?.code ?? "unknown",
      reason: rejected?.reason ?? "not in the round report",
    });
    f.settled.add(round.round);
    return;
  }
  let claimed;
  try {
    claimed = await f.federated.claim({ taskId: f.taskId, round: round.round, signer: f.signer, connection: f.opts.connection });
  } catch (error) {
    // Claimed by an earlier run whose receipt never came back: settled, by the chain's word.
    if (!(await f.federated.update(f.taskId, round.round, f.client, { connection: f.opts.connection })).claimed) throw error;
    f.settled.add(round.round);
    return;
  }
  f.settled.add(round.round);
  f.result.claimed.push({ round: round.round, amount: claimed.amount });
  f.emit({
    event: "reward-claimed",
    taskId: f.taskId,
    round: round.round,
    client: f.client,
    amount: claimed.amount,
    txHash: claimed.txHash,
  });
}

function pendingKey(f: Follow, task: FederatedTaskView, round: number): PendingKey {
  return { chainId: task.chainId, contract: task.contract, taskId: task.id, round, client: f.client };
}

function isoTime(unix: bigint): string {
  return new Date(Number(unix) * 1000).toISOString();
}
