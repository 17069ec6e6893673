import { Contract, getAddress, type EventLog } from "ethers";

import { flaiError } from "../errors.js";
import type { RoundResult } from "../fedavg/eip712.js";
import type { Deployment } from "../chain/deployment.js";
import { decodeRevert } from "../chain/revert.js";

import { eventsOf } from "./common.js";

/** What RoundFinalized says (the enclave's signed RoundResult, plus who signed it). */
export interface Finalized {
  log: EventLog;
  enclave: string;
  result: RoundResult;
}

/** One UpdateRecorded event: what the chain says a client submitted. */
export interface Recorded {
  client: string;
  updateRoot: string;
  updateHash: string;
  sampleCount: number;
}

export interface TaskState {
  status: number;
  rounds: number;
  measurement: string;
  enclave: string;
  globalRoot: string;
  globalHash: string;
}

/** A global model as the chain names it: its storage root and SHA-256. */
export interface ModelRef {
  root: string;
  hash: string;
}

/** A federated task as the chain states it: the contracts to read, the task, and its finalized rounds. */
export interface RoundChain {
  deployment: Deployment;
  federated: Contract;
  registry: Contract;
  taskId: bigint;
  task: TaskState;
  /** The task's initial global model (TaskCreated). */
  initial: ModelRef;
  finalized: Map<number, Finalized>;
  lastFinalized: number;
}

/** Every RoundFinalized event of the task, by round. */
export async function readFinalized(federated: Contract, taskId: bigint): Promise<Map<number, Finalized>> {
  const finalized = new Map<number, Finalized>();
  for (const log of await eventsOf(federated, federated.filters.RoundFinalized(taskId))) {
    const a = log.args as unknown as [bigint, bigint, string, Record<keyof RoundResult, string | bigint>];
    finalized.set(Number(a[1]), { log, enclave: getAddress(a[2]), result: roundResultOf(a[3]) });
  }
  return finalized;
}

function roundResultOf(r: Record<keyof RoundResult, string | bigint>): RoundResult {
  const hex = (key: keyof RoundResult) => (r[key] as string).toLowerCase();
  return {
    previousGlobalHash: hex("previousGlobalHash"),
    updatesAccumulator: hex("updatesAccumulator"),
    updateCount: Number(r.updateCount),
    globalRoot: hex("globalRoot"),
    globalHash: hex("globalHash"),
    commitment: hex("commitment"),
    acceptedWeight: r.acceptedWeight as bigint,
    acceptedCount: Number(r.acceptedCount),
    rejectedCount: Number(r.rejectedCount),
    reportRoot: hex("reportRoot"),
    metrics: hex("metrics"),
  };
}

/** The round's UpdateRecorded events, in record order. */
export async function readRecorded(chain: RoundChain, round: number): Promise<Recorded[]> {
  const { federated, taskId } = chain;
  const logs = (await eventsOf(federated, federated.filters.UpdateRecorded(taskId, round))).sort(
    (a, b) => a.blockNumber - b.blockNumber || a.index - b.index,
  );
  return logs.map((log): Recorded => {
    const a = log.args as unknown as [bigint, bigint, string, string, string, bigint];
    return { client: getAddress(a[2]), updateRoot: a[3].toLowerCase(), updateHash: a[4].toLowerCase(), sampleCount: Number(a[5]) };
  });
}

/** The round's state in the contract, to hold the event against. */
export interface RoundState {
  updateCount: bigint;
  acceptedCount: bigint;
  acceptedWeight: bigint;
  finalized: boolean;
  commitment: string;
}

export async function readRoundState(chain: RoundChain, round: number): Promise<RoundState> {
  return (await chain.federated.getRound(chain.taskId, round)) as RoundState;
}

/** The global model `round` started from: the task's initial model, or the previous round's result. */
export function startingModel(chain: RoundChain, round: number): ModelRef | undefined {
  if (round === 1) return chain.initial;
  const prev = chain.finalized.get(round - 1);
  return prev === undefined ? undefined : { root: prev.result.globalRoot, hash: prev.result.globalHash };
}

export async function readTask(federated: Contract, id: bigint, networkName: string, address: string): Promise<TaskState> {
  let raw: { status: bigint; rounds: bigint; measurement: string; enclave: string; globalRoot: string; globalHash: string };
  try {
    raw = await federated.getTask(id);
  } catch (error) {
    if (decodeRevert(error, federated.interface)?.name === "UnknownTask") {
      const count = (await federated.taskCount()) as bigint;
      throw flaiError(
        `Federated task ${id} does not exist on network "${networkName}" (FLAIFederated ${address} has ` +
          (count === 0n ? "no tasks yet" : `tasks 1..${count}`) + `).`,
      );
    }
    throw error;
  }
  return {
    status: Number(raw.status),
    rounds: Number(raw.rounds),
    measurement: raw.measurement.toLowerCase(),
    enclave: getAddress(raw.enclave),
    globalRoot: raw.globalRoot.toLowerCase(),
    globalHash: raw.globalHash.toLowerCase(),
  };
}
