import { Contract, getAddress, type EventLog } from "ethers";

import type { RoundResult } from "../federated/eip712.js";
import type { Deployment } from "../chain/deployment.js";
import {
  readRoundStruct,
  readTaskStruct,
  roundFinalized,
  updateRecorded,
  type RoundResultStruct,
  type RoundStruct,
} from "../chain/federated-reads.js";

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
  numExamples: number;
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
  for (const log of await eventsOf(federated, federated.getEvent("RoundFinalized")(taskId))) {
    const { round, enclave, result } = roundFinalized(log);
    finalized.set(Number(round), { log, enclave: getAddress(enclave), result: roundResultOf(result) });
  }
  return finalized;
}

function roundResultOf(r: RoundResultStruct): RoundResult {
  return {
    previousGlobalHash: r.previousGlobalHash.toLowerCase(),
    updatesAccumulator: r.updatesAccumulator.toLowerCase(),
    updateCount: Number(r.updateCount),
    globalRoot: r.globalRoot.toLowerCase(),
    globalHash: r.globalHash.toLowerCase(),
    commitment: r.commitment.toLowerCase(),
    acceptedWeight: r.acceptedWeight,
    acceptedCount: Number(r.acceptedCount),
    rejectedCount: Number(r.rejectedCount),
    reportRoot: r.reportRoot.toLowerCase(),
    metrics: r.metrics.toLowerCase(),
  };
}

/** The round's UpdateRecorded events, in record order. */
export async function readRecorded(chain: RoundChain, round: number): Promise<Recorded[]> {
  const { federated, taskId } = chain;
  const logs = (await eventsOf(federated, federated.getEvent("UpdateRecorded")(taskId, round))).sort(
    (a, b) => a.blockNumber - b.blockNumber || a.index - b.index,
  );
  return logs.map((log): Recorded => {
    const e = updateRecorded(log);
    return {
      client: getAddress(e.client),
      updateRoot: e.updateRoot.toLowerCase(),
      updateHash: e.updateHash.toLowerCase(),
      numExamples: Number(e.numExamples),
    };
  });
}

/** The round's state in the contract, to hold the event against. */
export type RoundState = Pick<RoundStruct, "updateCount" | "acceptedCount" | "acceptedWeight" | "finalized" | "commitment">;

export async function readRoundState(chain: RoundChain, round: number): Promise<RoundState> {
  return readRoundStruct(chain.federated, chain.taskId, round);
}

/** The global model `round` started from: the task's initial model, or the previous round's result. */
export function startingModel(chain: RoundChain, round: number): ModelRef | undefined {
  if (round === 1) return chain.initial;
  const prev = chain.finalized.get(round - 1);
  return prev === undefined ? undefined : { root: prev.result.globalRoot, hash: prev.result.globalHash };
}

export async function readTask(federated: Contract, id: bigint, networkName: string, address: string): Promise<TaskState> {
  const raw = await readTaskStruct(federated, id, { networkName, address });
  return {
    status: Number(raw.status),
    rounds: Number(raw.rounds),
    measurement: raw.measurement.toLowerCase(),
    enclave: getAddress(raw.enclave),
    globalRoot: raw.globalRoot.toLowerCase(),
    globalHash: raw.globalHash.toLowerCase(),
  };
}
