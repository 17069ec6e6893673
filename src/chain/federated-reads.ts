/**
 * FLAIFederated read by field name: one typed reader per struct (getTask, getRound, getUpdate) and
 * one decoder per event. Field names and types are the contract's (contracts/FLAIFederated.sol).
 */
import type { Contract, EventLog, Result } from "ethers";

import { byName, unknownIdError } from "./events.js";
import { decodeRevert } from "./revert.js";

/** FLAIFederated.Task. */
export interface TaskStruct {
  creator: string;
  rounds: bigint;
  quorum: bigint;
  maxClients: bigint;
  currentRound: bigint;
  roundDuration: bigint;
  status: bigint;
  measurement: string;
  enclave: string;
  globalRoot: string;
  globalHash: string;
  rewardPool: bigint;
  paidOut: bigint;
}

/** FLAIFederated.Round (getRound's `info`). */
export interface RoundStruct {
  deadline: bigint;
  finalizeBy: bigint;
  updateCount: bigint;
  maxClients: bigint;
  closed: boolean;
  updatesAccumulator: string;
  acceptedCount: bigint;
  acceptedWeight: bigint;
  finalized: boolean;
  commitment: string;
  pool: bigint;
}

/** FLAIFederated.RoundResult: what the enclave signs and RoundFinalized publishes. */
export interface RoundResultStruct {
  previousGlobalHash: string;
  updatesAccumulator: string;
  updateCount: bigint;
  globalRoot: string;
  globalHash: string;
  commitment: string;
  acceptedWeight: bigint;
  acceptedCount: bigint;
  rejectedCount: bigint;
  reportRoot: string;
  metrics: string;
}

/** getUpdate: a client's record in a round (numExamples 0: none). */
export interface UpdateStruct {
  numExamples: bigint;
  claimed: boolean;
}

/** Where a read happens, for the "does not exist" message. */
export interface ReadPlace {
  networkName: string;
  address: string;
}

/**
 * The task, or "Federated task N does not exist" when the contract says so (UnknownTask) or the id is
 * past taskCount (a node that returns no revert data).
 */
export async function readTaskStruct(federated: Contract, id: bigint, place: ReadPlace): Promise<TaskStruct> {
  try {
    return byName<TaskStruct>(await federated.getFunction("getTask")(id));
  } catch (error) {
    const count = await countIfUnknown(federated, id, error, "UnknownTask", "taskCount");
    if (count !== undefined) throw unknownIdError("Federated task", id, place.networkName, `FLAIFederated ${place.address}`, count);
    throw error;
  }
}

export async function readRoundStruct(federated: Contract, taskId: bigint, round: number): Promise<RoundStruct> {
  return byName<RoundStruct>(await federated.getFunction("getRound")(taskId, round));
}

export async function readUpdateStruct(federated: Contract, taskId: bigint, round: number, client: string): Promise<UpdateStruct> {
  return byName<UpdateStruct>(await federated.getFunction("getUpdate")(taskId, round, client));
}

/**
 * The contract's count when `error` means "no such id" (the named revert, or an id outside 1..count),
 * else undefined (then the caller throws the error itself).
 */
export async function countIfUnknown(
  contract: Contract,
  id: bigint,
  error: unknown,
  revertName: string,
  countMethod: string,
): Promise<bigint | undefined> {
  const named = decodeRevert(error, contract.interface)?.name === revertName;
  let count: bigint;
  try {
    count = (await contract.getFunction(countMethod)()) as bigint;
  } catch (countError) {
    if (named) throw countError;
    return undefined;
  }
  return named || id === 0n || id > count ? count : undefined;
}

export interface TaskCreatedEvent {
  taskId: bigint;
  creator: string;
  enclave: string;
  initialModelRoot: string;
  initialModelHash: string;
  rounds: bigint;
  quorum: bigint;
  maxClients: bigint;
  roundDuration: bigint;
  measurement: string;
  rewardPool: bigint;
}

export interface UpdateRecordedEvent {
  taskId: bigint;
  round: bigint;
  client: string;
  updateRoot: string;
  updateHash: string;
  numExamples: bigint;
}

export interface RoundFinalizedEvent {
  taskId: bigint;
  round: bigint;
  enclave: string;
  result: RoundResultStruct;
}

export interface RewardClaimedEvent {
  taskId: bigint;
  round: bigint;
  client: string;
  amount: bigint;
}

export interface TaskCancelledEvent {
  taskId: bigint;
  round: bigint;
  refund: bigint;
}

/** The creator admitted readers of a private task: keyringRoot is the 0G root of a flai-keyring/v1 file. */
export interface KeyringPublishedEvent {
  taskId: bigint;
  keyringRoot: string;
}

/** finalizeRound's calldata: the result the enclave signed and its EIP-2098 signature. */
export interface FinalizeRoundCall {
  taskId: bigint;
  round: bigint;
  result: RoundResultStruct;
  r: string;
  vs: string;
}

export const finalizeRoundCall = (args: Result): FinalizeRoundCall => byName(args);
export const taskCreated = (log: EventLog): TaskCreatedEvent => byName(log.args);
export const updateRecorded = (log: EventLog): UpdateRecordedEvent => byName(log.args);
export const roundFinalized = (log: EventLog): RoundFinalizedEvent => byName(log.args);
export const rewardClaimed = (log: EventLog): RewardClaimedEvent => byName(log.args);
export const taskCancelled = (log: EventLog): TaskCancelledEvent => byName(log.args);
export const keyringPublished = (log: EventLog): KeyringPublishedEvent => byName(log.args);
