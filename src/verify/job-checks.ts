import { Contract, getAddress, ZeroHash, type EventLog } from "ethers";

import type { Deployment } from "../chain/deployment.js";
import { fromCompact, recoverJobResultSigner } from "../tee/job-result-signature.js";
import { readRegistration, registrationEvent } from "../tee/registry.js";
import { completeJobCall, jobCompleted, readJobStruct } from "../chain/jobs-reads.js";
import { modelBytes, parseModelSpec, parseTrainingData, resultHash, trainFromSpec } from "../ml/model.js";

import { directCall, eq, message, verdictItem, viewAt, type VerifyItem } from "./common.js";

const STATUS: Record<number, string | undefined> = { 1: "open", 2: "completed", 3: "cancelled" };

/** A compute job as the chain states it. */
export interface JobState {
  id: bigint;
  submitter: string;
  deadline: bigint;
  dataRoot: string;
  modelRoot: string;
  resultHash: string | undefined;
  resultRoot: string | undefined;
  status: string;
}

/** What JobCompleted says: who signed which result, paying whom. */
export interface JobCompletion {
  event: EventLog;
  payee: string;
  enclave: string;
  resultHash: string;
  resultRoot: string;
}

export function checkCompleted(deployment: Deployment, job: JobState): VerifyItem {
  return job.status === "completed"
    ? verdictItem(
        "job completed",
        "match",
        `job ${job.id} on FLAIComputeJobs ${deployment.address} (chain ${deployment.chainId}) is completed with result hash ${job.resultHash}`,
      )
    : verdictItem("job completed", "cannot check", `job ${job.id} is ${job.status}: there is no on-chain result to verify`);
}

/** Re-execution outside the enclave: the same parse/train/serialize/hash the enclave program runs. */
export function reExecuteJob(job: JobState, data: Uint8Array | undefined, model: Uint8Array | undefined): VerifyItem {
  const completed = job.status === "completed";
  if (data === undefined || model === undefined) {
    return verdictItem("re-execution", "cannot check", "the job's inputs are not both available from storage (see above)");
  }
  try {
    // The spec first: its schema (label column, ignored columns, imputation) decides how the data reads.
    const spec = parseModelSpec(model, `model ${job.modelRoot}`);
    const dataset = parseTrainingData(data, spec, `dataset ${job.dataRoot}`);
    const trained = trainFromSpec(spec, dataset, { datasetRoot: job.dataRoot, modelRoot: job.modelRoot });
    const hash = resultHash(modelBytes(trained));
    if (!completed) {
      return verdictItem(
        "re-execution",
        "cannot check",
        `trained here to result hash ${hash}, but the job has no on-chain result to compare with`,
      );
    }
    return eq(hash, job.resultHash)
      ? verdictItem("re-execution", "match", `training re-executed here gives ${hash}, the on-chain result hash`)
      : verdictItem("re-execution", "mismatch", `training re-executed here gives ${hash}, but the chain holds ${job.resultHash}`);
  } catch (error) {
    return verdictItem(
      "re-execution",
      completed ? "mismatch" : "cannot check",
      `the inputs do not train with this code (${message(error)})` + (completed ? ", yet the job was completed with a result" : ""),
    );
  }
}

/** The JobCompleted event's result hash and root against the job record. */
export function checkJobEvent(job: JobState, done: JobCompletion): VerifyItem {
  const differs: string[] = [];
  if (!eq(done.resultHash, job.resultHash)) differs.push(`result hash ${job.resultHash}`);
  if (!eq(done.resultRoot, job.resultRoot)) differs.push(`result root ${job.resultRoot}`);
  return verdictItem(
    "JobCompleted event",
    differs.length === 0 ? "match" : "mismatch",
    `tx ${done.event.transactionHash} (block ${done.event.blockNumber}): result hash ${done.resultHash}, result root ${done.resultRoot}, ` +
      `payee ${done.payee}, enclave ${done.enclave}` +
      (differs.length === 0 ? "" : `; the job record holds ${differs.join(", ")}`),
  );
}

/** The JobCompleted event, decoded by its fields. */
export function jobCompletion(event: EventLog): JobCompletion {
  const { payee, enclave, resultHash, resultRoot } = jobCompleted(event);
  return { event, payee: getAddress(payee), enclave: getAddress(enclave), resultHash, resultRoot };
}

/** The enclave's signature: not in the event, but in the completeJob calldata (EIP-2098 r, vs). */
export async function checkJobSignature(jobs: Contract, deployment: Deployment, job: JobState, done: JobCompletion): Promise<VerifyItem> {
  const call = await directCall(jobs, deployment.address, done.event, "completeJob");
  if ("why" in call) return verdictItem("enclave signature", "cannot check", call.why);
  const { jobId: callJobId, resultHash: callHash, resultRoot: callRoot, payee: callPayee, r, vs } = completeJobCall(call.args);
  const { payee, enclave } = done;
  const differs: string[] = [];
  if (callJobId !== job.id) differs.push(`job id ${callJobId}`);
  if (!eq(callHash, done.resultHash)) differs.push(`result hash ${callHash}`);
  if (!eq(callRoot, done.resultRoot)) differs.push(`result root ${callRoot}`);
  if (!eq(callPayee, payee)) differs.push(`payee ${callPayee}`);
  let recovered: string | undefined;
  let why = "";
  try {
    const fields = { submitter: job.submitter, deadline: job.deadline, dataRoot: job.dataRoot, modelRoot: job.modelRoot };
    const record = {
      chainId: deployment.chainId,
      contract: deployment.address,
      jobId: job.id,
      ...fields,
      resultHash: done.resultHash,
      resultRoot: done.resultRoot,
      payee,
    };
    recovered = getAddress(recoverJobResultSigner(record, fromCompact(r, vs)));
  } catch (error) {
    why = message(error);
  }
  if (differs.length > 0)
    return verdictItem("enclave signature", "mismatch", `the completeJob calldata differs from the event: ${differs.join(", ")}`);
  if (recovered === undefined)
    return verdictItem("enclave signature", "mismatch", `the signature in the completeJob calldata is malformed: ${why}`);
  return verdictItem(
    "enclave signature",
    recovered === enclave ? "match" : "mismatch",
    `EIP-712 JobResult(jobId ${job.id}, submitter ${job.submitter}, deadline ${job.deadline}, data root, model root, resultHash, resultRoot, ` +
      `payee ${payee}) rebuilt from the job record and the event: it binds the result to this job's inputs; the calldata signature recovers ${recovered}` +
      (recovered === enclave ? ", the event's enclave" : `, not the event's enclave ${enclave}`),
  );
}

/**
 * The enclave's registration as it stood when the job completed: registered, unexpired at that block's
 * time, for a measurement accepted then, and made with a report (from the EnclaveRegistered event) that
 * the attestation authority pinned by the contract signed.
 */
export async function checkJobRegistration(
  jobs: Contract,
  enclave: string,
  blockNumber: number,
  provider: { getBlock(n: number): Promise<{ timestamp: number } | null> },
): Promise<VerifyItem[]> {
  const at = await viewAt(async (o) => {
    const stored = await readRegistration(jobs, enclave, o);
    const accepted =
      stored.measurement !== ZeroHash && ((await jobs.getFunction("isMeasurementAccepted")(stored.measurement, o)) as boolean);
    return { stored, accepted };
  }, blockNumber);
  const { stored, accepted } = at.value;
  const nowAccepted = (await jobs.getFunction("isAcceptedEnclave")(enclave)) as boolean;
  const later = nowAccepted ? "" : "; it has since been removed, expired or had its measurement revoked";
  if (stored.measurement === ZeroHash) {
    return [verdictItem("enclave registration", "mismatch", `${enclave} was not a registered enclave at ${at.at}`)];
  }
  const blockTime = (await provider.getBlock(blockNumber))?.timestamp ?? 0;
  const unexpired = stored.expiry > blockTime;
  const registration = verdictItem(
    "enclave registration",
    accepted && unexpired ? "match" : "mismatch",
    `${enclave} was registered for measurement ${stored.measurement} (${accepted ? "accepted" : "NOT accepted"}), valid until ` +
      `${new Date(stored.expiry * 1000).toISOString()} (${unexpired ? "unexpired" : "EXPIRED"} when the job completed) at ${at.at}${later}`,
  );
  return [registration, await checkAttestation(jobs, enclave, stored, blockNumber)];
}

/** The registration's report was signed by the attestation authority the contract pins. */
async function checkAttestation(
  jobs: Contract,
  enclave: string,
  stored: Awaited<ReturnType<typeof readRegistration>>,
  blockNumber: number,
): Promise<VerifyItem> {
  const pinned = getAddress((await jobs.getFunction("attestationAuthority")()) as string);
  const found = await registrationEvent(jobs, enclave, stored, blockNumber);
  if (found === undefined) {
    return verdictItem(
      "enclave attestation",
      "cannot check",
      `no EnclaveRegistered event of ${enclave} matches its registration (pruned logs?)`,
    );
  }
  return verdictItem(
    "enclave attestation",
    found.authority === pinned ? "match" : "mismatch",
    `the report in EnclaveRegistered (tx ${found.event.transactionHash}) is signed by ${found.authority}` +
      (found.authority === pinned
        ? `, the attestation authority FLAIComputeJobs pins`
        : `, not by the pinned attestation authority ${pinned}`),
  );
}

/**
 * The enclave program the registration attests against this checkout's: when they are the same, the
 * re-execution ran the attested code. Nothing to say of an unregistered enclave (see registration).
 */
export async function checkEnclaveCode(
  jobs: Contract,
  enclave: string,
  blockNumber: number,
  localMeasurement: () => Promise<string>,
): Promise<VerifyItem[]> {
  const at = await viewAt(async (o) => (await readRegistration(jobs, enclave, o)).measurement, blockNumber);
  if (at.value === ZeroHash) return [];
  const local = await localMeasurement();
  return [
    eq(local, at.value)
      ? verdictItem(
          "enclave code",
          "match",
          `the registered measurement is this checkout's enclave program (${local}): the re-execution ran the code the enclave attested`,
        )
      : verdictItem(
          "enclave code",
          "cannot check",
          `the registered measurement ${at.value} is not this checkout's enclave program (${local}); the re-execution ran this code`,
        ),
  ];
}

export async function readJob(jobs: Contract, id: bigint, networkName: string, address: string): Promise<JobState> {
  const raw = await readJobStruct(jobs, id, { networkName, address });
  return {
    id,
    submitter: getAddress(raw.submitter),
    deadline: BigInt(raw.deadline),
    dataRoot: raw.dataRoot.toLowerCase(),
    modelRoot: raw.modelRoot.toLowerCase(),
    resultHash: raw.resultHash === ZeroHash ? undefined : raw.resultHash.toLowerCase(),
    resultRoot: raw.resultRoot === ZeroHash ? undefined : raw.resultRoot.toLowerCase(),
    status: STATUS[Number(raw.status)] ?? "open",
  };
}
