/**
 * Reading a completed job's model (issue 17): fetched by its on-chain result root, opened with the
 * submitter's K_out when sealed, and accepted only when its SHA-256 is the on-chain result hash. A
 * public job's model is plaintext and anyone reads it; a private one only its submitter (and the
 * enclave that trained it).
 */
import { getAddress, type Contract } from "ethers";

import { eventsOf } from "../chain/events.js";
import { jobCompleted } from "../chain/jobs-reads.js";
import type { FlaiConnection } from "../chain/connection.js";
import { flaiError } from "../errors.js";
import { parseTrainedModel, type TrainedModel } from "../ml/model.js";
import { isSealedArtifact, openArtifact } from "../privacy/artifact.js";
import type { ReaderIdentity } from "../privacy/keyring.js";
import { readerKeyOf } from "../privacy/reader-registry.js";
import type { StorageBackend } from "../storage/types.js";
import { readRegistration } from "../tee/registry.js";
import { sha256Hex } from "../util/sha256.js";

import { jobResultBinding, jobResultKey, type JobPlace } from "./job-keys.js";
import type { JobView } from "./types.js";

/** Error codes of reading a result (decisions go by them, never by message text). */
export const JOB_NO_RESULT = "job-no-result";
export const JOB_RESULT_NOT_READER = "job-result-not-reader";
export const JOB_RESULT_HASH_MISMATCH = "job-result-hash-mismatch";

/** A job's model as its reader gets it: parsed, and checked against the on-chain result hash. */
export interface JobResultRead {
  job: JobView;
  model: TrainedModel;
  /** The model's plaintext bytes (their SHA-256 is the job's result hash). */
  bytes: Uint8Array;
  /** True when the stored model was sealed (to the submitter, who opened it here). */
  private: boolean;
}

/** The enclave that completed job `id` (from its JobCompleted event) and its X25519 key as registered then. */
export async function completingEnclave(jobs: Contract, id: bigint): Promise<{ signer: string; encryptionKey: string }> {
  const [event] = await eventsOf(jobs, jobs.getEvent("JobCompleted")(id));
  if (event === undefined) {
    throw flaiError(`Job ${id} is completed but no JobCompleted event of it was found (pruned logs?): its enclave is unknown.`);
  }
  const signer = getAddress(jobCompleted(event).enclave);
  const at = await readRegistration(jobs, signer, { blockTag: event.blockNumber }).catch(() => readRegistration(jobs, signer));
  return { signer, encryptionKey: at.encryptionKey };
}

export function placeOf(job: JobView): JobPlace {
  return { chainId: job.chainId, contract: job.contract, submitter: getAddress(job.submitter) };
}

/** Opens job `job`'s sealed model as its submitter `me`; refused (code) for anyone else. */
export function openJobModel(stored: Uint8Array, job: JobView, me: ReaderIdentity, enclaveKey: string, account: string): Uint8Array {
  if (getAddress(me.address) !== getAddress(job.submitter)) {
    throw flaiError(
      `Job ${job.id}'s model is stored encrypted to its submitter ${job.submitter}: only the submitter (and the enclave that ` +
        `trained it) can read it, and ${account} is ${me.address}. Read it with the submitter's account (--account <its index>).`,
      undefined,
      { code: JOB_RESULT_NOT_READER },
    );
  }
  const key = jobResultKey(me.secret, enclaveKey, placeOf(job), job.id);
  return openArtifact(stored, key, jobResultBinding(placeOf(job), job.id), `job ${job.id}'s model ${job.resultRoot}`);
}

/**
 * Job `job`'s model, read by network account `account`: downloaded by the result root, opened when
 * sealed, its hash checked against the chain's.
 */
export async function readJobResult(args: {
  job: JobView;
  jobs: Contract;
  storage: StorageBackend;
  connection: FlaiConnection;
  account: number;
}): Promise<JobResultRead> {
  const { job } = args;
  if (job.status !== "completed" || job.resultRoot === undefined || job.resultHash === undefined) {
    throw flaiError(
      `Job ${job.id} has no result to read: it is ${job.status}. A result exists once the job is trained and completed (flai:train ${job.id} --complete).`,
      undefined,
      { code: JOB_NO_RESULT },
    );
  }
  const stored = await args.storage.read(job.resultRoot);
  const sealed = isSealedArtifact(stored);
  let bytes = stored;
  if (sealed) {
    const me = await readerKeyOf(args.connection, args.account);
    const enclave = await completingEnclave(args.jobs, job.id);
    bytes = openJobModel(stored, job, me, enclave.encryptionKey, `account #${args.account}`);
  }
  const hash = sha256Hex(bytes);
  if (hash !== job.resultHash.toLowerCase()) {
    throw flaiError(
      `Job ${job.id}'s model (root ${job.resultRoot}) hashes to ${hash}, not to the on-chain result hash ${job.resultHash}: it is not the ` +
        `model the enclave signed. Nothing was written.`,
      undefined,
      { code: JOB_RESULT_HASH_MISMATCH },
    );
  }
  return { job, model: parseTrainedModel(bytes, `job ${job.id}'s model`), bytes, private: sealed };
}
