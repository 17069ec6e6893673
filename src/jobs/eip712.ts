import { Signature, SigningKey, TypedDataEncoder, recoverAddress } from "ethers";

/** What an enclave signs to complete a job: the payee is inside, so a copied tx pays nobody new. */
export interface JobResultBinding {
  chainId: bigint;
  contract: string;
  jobId: bigint;
  resultHash: string;
  payee: string;
}

export const JOB_RESULT_TYPES = {
  JobResult: [
    { name: "jobId", type: "uint256" },
    { name: "resultHash", type: "bytes32" },
    { name: "payee", type: "address" },
  ],
};

export function jobsDomain(chainId: bigint, contract: string) {
  return { name: "FLAIComputeJobs", version: "1", chainId, verifyingContract: contract };
}

export function jobResultDigest(b: JobResultBinding): string {
  return TypedDataEncoder.hash(jobsDomain(b.chainId, b.contract), JOB_RESULT_TYPES, {
    jobId: b.jobId,
    resultHash: b.resultHash,
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
