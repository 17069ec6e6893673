import { AbiCoder } from "ethers/abi";
import { keccak256 } from "ethers/crypto";

/** One recorded update as FLAIFederated chains it (UpdateRecorded's fields). */
export interface AccumulatedUpdate {
  client: string;
  updateRoot: string;
  updateHash: string;
  /** The recorded num_examples (the client's training example count). */
  numExamples: number | bigint;
}

const abi = AbiCoder.defaultAbiCoder();

/** The accumulator a round starts from: keccak256(abi.encode(taskId, round)). */
export function accumulatorSeed(taskId: bigint, round: number): string {
  return keccak256(abi.encode(["uint256", "uint16"], [taskId, round]));
}

/** One step: keccak256(abi.encode(acc, client, updateRoot, updateHash, uint64 numExamples)). */
export function accumulate(acc: string, u: AccumulatedUpdate): string {
  return keccak256(
    abi.encode(["bytes32", "address", "bytes32", "bytes32", "uint64"], [acc, u.client, u.updateRoot, u.updateHash, BigInt(u.numExamples)]),
  );
}

/**
 * The accumulator over a round's updates in record order, as the contract keeps it: any other set,
 * order, or count gives another value (the contract refuses a result signed over it).
 */
export function updatesAccumulator(taskId: bigint, round: number, updates: readonly AccumulatedUpdate[]): string {
  return updates.reduce(accumulate, accumulatorSeed(taskId, round));
}
