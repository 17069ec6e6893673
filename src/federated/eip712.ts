import { SigningKey } from "ethers/crypto";
import { TypedDataEncoder } from "ethers/hash";

/**
 * What the enclave signs to finalize a round; mirrors FLAIFederated.RoundResult. The first three
 * fields bind the result to its inputs: the model it started from and the update set it was handed
 * (see accumulator.ts), so the contract refuses a result computed over anything else.
 */
export interface RoundResult {
  previousGlobalHash: string;
  updatesAccumulator: string;
  updateCount: number;
  globalRoot: string;
  globalHash: string;
  commitment: string;
  acceptedWeight: bigint;
  acceptedCount: number;
  rejectedCount: number;
  reportRoot: string;
  metrics: string;
}

export interface RoundBinding {
  chainId: bigint;
  contract: string;
  taskId: bigint;
  round: number;
}

const ROUND_RESULT_TYPES = {
  RoundResult: [
    { name: "taskId", type: "uint256" },
    { name: "round", type: "uint16" },
    { name: "previousGlobalHash", type: "bytes32" },
    { name: "updatesAccumulator", type: "bytes32" },
    { name: "updateCount", type: "uint32" },
    { name: "globalRoot", type: "bytes32" },
    { name: "globalHash", type: "bytes32" },
    { name: "commitment", type: "bytes32" },
    { name: "acceptedWeight", type: "uint64" },
    { name: "acceptedCount", type: "uint32" },
    { name: "rejectedCount", type: "uint32" },
    { name: "reportRoot", type: "bytes32" },
    { name: "metrics", type: "bytes32" },
  ],
};

const ROUND_CLOSE_TYPES = {
  RoundClose: [
    { name: "taskId", type: "uint256" },
    { name: "round", type: "uint16" },
  ],
};

function domain(b: RoundBinding) {
  return { name: "FLAIFederated", version: "1", chainId: b.chainId, verifyingContract: b.contract };
}

export function roundResultDigest(b: RoundBinding, r: RoundResult): string {
  return TypedDataEncoder.hash(domain(b), ROUND_RESULT_TYPES, { taskId: b.taskId, round: b.round, ...r });
}

export function signRoundResult(privateKey: string, b: RoundBinding, r: RoundResult): string {
  return new SigningKey(privateKey).sign(roundResultDigest(b, r)).serialized;
}

/** The enclave's consent to freeze a round's update set (FLAIFederated.closeRound). */
export function roundCloseDigest(b: RoundBinding): string {
  return TypedDataEncoder.hash(domain(b), ROUND_CLOSE_TYPES, { taskId: b.taskId, round: b.round });
}

export function signRoundClose(privateKey: string, b: RoundBinding): string {
  return new SigningKey(privateKey).sign(roundCloseDigest(b)).serialized;
}
