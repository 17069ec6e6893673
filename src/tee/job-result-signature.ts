import { Signature, SigningKey } from "ethers/crypto";
import { TypedDataEncoder } from "ethers/hash";
import { recoverAddress } from "ethers/transaction";

/**
 * What an enclave signs to complete a job: the job as recorded on-chain (id, submitter, deadline, data
 * root, model root), the result (its plaintext hash and the 0G root of the bytes stored for readers: the
 * ciphertext of a private job, so a host cannot point readers at other bytes) and who is paid. The contract rebuilds this from the job's own record,
 * so a result computed on other inputs, or for an unrelated job that shares the id (after a node
 * restart, on another contract), never verifies; the payee is inside, so a copied tx pays nobody new.
 */
export interface JobResultBinding {
  chainId: bigint;
  contract: string;
  jobId: bigint;
  submitter: string;
  deadline: bigint;
  dataRoot: string;
  modelRoot: string;
  resultHash: string;
  /** 0G root of the stored model (ciphertext when private, plaintext when public). */
  resultRoot: string;
  payee: string;
}

export const JOB_RESULT_TYPES = {
  JobResult: [
    { name: "jobId", type: "uint256" },
    { name: "submitter", type: "address" },
    { name: "deadline", type: "uint64" },
    { name: "dataRoot", type: "bytes32" },
    { name: "modelRoot", type: "bytes32" },
    { name: "resultHash", type: "bytes32" },
    { name: "resultRoot", type: "bytes32" },
    { name: "payee", type: "address" },
  ],
};

export function jobsDomain(chainId: bigint, contract: string) {
  return { name: "FLAIComputeJobs", version: "1", chainId, verifyingContract: contract };
}

export function jobResultDigest(b: JobResultBinding): string {
  return TypedDataEncoder.hash(jobsDomain(b.chainId, b.contract), JOB_RESULT_TYPES, {
    jobId: b.jobId,
    submitter: b.submitter,
    deadline: b.deadline,
    dataRoot: b.dataRoot,
    modelRoot: b.modelRoot,
    resultHash: b.resultHash,
    resultRoot: b.resultRoot,
    payee: b.payee,
  });
}

export function signJobResult(privateKey: string, b: JobResultBinding): string {
  return new SigningKey(privateKey).sign(jobResultDigest(b)).serialized;
}

export function recoverJobResultSigner(b: JobResultBinding, signature: string): string {
  return recoverAddress(jobResultDigest(b), signature);
}

/** EIP-2098 form the contract takes: 64 bytes of calldata instead of a 96+ byte dynamic `bytes`. */
export function compactSignature(signature: string): { r: string; vs: string } {
  const sig = Signature.from(signature);
  return { r: sig.r, vs: sig.yParityAndS };
}

/** The 65-byte signature back from the contract's EIP-2098 (r, vs) calldata or event fields. */
export function fromCompact(r: string, vs: string): string {
  return Signature.from({ r, yParityAndS: vs }).serialized;
}
