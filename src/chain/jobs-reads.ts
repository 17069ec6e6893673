/**
 * FLAIComputeJobs read by field name: the Job struct and the events, typed once. Field names and
 * types are the contract's (contracts/FLAIComputeJobs.sol).
 */
import type { Contract, EventLog, Result } from "ethers";

import { byName, unknownIdError } from "./events.js";
import { countIfUnknown, type ReadPlace } from "./federated-reads.js";

/** FLAIComputeJobs.Job. */
export interface JobStruct {
  submitter: string;
  deadline: bigint;
  reward: bigint;
  dataRoot: string;
  modelRoot: string;
  resultHash: string;
  resultRoot: string;
  status: bigint;
}

/** The job, or "Job N does not exist" when the contract says so (UnknownJob) or the id is past jobCount. */
export async function readJobStruct(jobs: Contract, id: bigint, place: ReadPlace): Promise<JobStruct> {
  try {
    return byName<JobStruct>(await jobs.getFunction("getJob")(id));
  } catch (error) {
    const count = await countIfUnknown(jobs, id, error, "UnknownJob", "jobCount");
    if (count !== undefined) throw unknownIdError("Job", id, place.networkName, `FLAIComputeJobs ${place.address}`, count);
    throw error;
  }
}

export interface JobSubmittedEvent {
  jobId: bigint;
  submitter: string;
  dataRoot: string;
  modelRoot: string;
  reward: bigint;
  deadline: bigint;
}

export interface JobCompletedEvent {
  jobId: bigint;
  payee: string;
  enclave: string;
  resultHash: string;
  resultRoot: string;
  reward: bigint;
}

/** completeJob's calldata: what the enclave signed and its EIP-2098 signature. */
export interface CompleteJobCall {
  jobId: bigint;
  resultHash: string;
  resultRoot: string;
  payee: string;
  r: string;
  vs: string;
}

export const completeJobCall = (args: Result): CompleteJobCall => byName(args);

/** enclaveRegistration's outputs: a signer's registration as stored (expired or not). */
export interface RegistrationStruct {
  measurement: string;
  encryptionKey: string;
  issuedAt: bigint;
  expiry: bigint;
}

export async function readRegistrationStruct(
  jobs: Contract,
  signer: string,
  overrides: { blockTag?: number } = {},
): Promise<RegistrationStruct> {
  return byName<RegistrationStruct>(await jobs.getFunction("enclaveRegistration")(signer, overrides));
}

/** EnclaveRegistered: the whole report and the authority's EIP-2098 signature over it. */
export interface EnclaveRegisteredEvent extends RegistrationStruct {
  signer: string;
  r: string;
  vs: string;
}

export const enclaveRegistered = (log: EventLog): EnclaveRegisteredEvent => byName(log.args);
export const jobSubmitted = (log: EventLog): JobSubmittedEvent => byName(log.args);
export const jobCompleted = (log: EventLog): JobCompletedEvent => byName(log.args);
