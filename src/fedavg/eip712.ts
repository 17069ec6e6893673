import { SigningKey, TypedDataEncoder } from "ethers";

/** What the enclave signs to finalize a round; mirrors FLAIFederated.RoundResult. */
export interface RoundResult {
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

const TYPES = {
  RoundResult: [
    { name: "taskId", type: "uint256" },
    { name: "round", type: "uint16" },
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

export function roundResultDigest(b: RoundBinding, r: RoundResult): string {
  const domain = { name: "FLAIFederated", version: "1", chainId: b.chainId, verifyingContract: b.contract };
  return TypedDataEncoder.hash(domain, TYPES, { taskId: b.taskId, round: b.round, ...r });
}

export function signRoundResult(privateKey: string, b: RoundBinding, r: RoundResult): string {
  return new SigningKey(privateKey).sign(roundResultDigest(b, r)).serialized;
}
