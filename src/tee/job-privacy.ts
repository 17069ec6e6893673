/**
 * Inside the enclave: a private job's inputs opened and its model sealed (issue 17). Whether a job is
 * private is read from its inputs themselves (sealed artifacts or not), never from a host flag: the
 * bytes are already checked against the job's on-chain roots, so the host cannot make a private job's
 * model come out in the clear. The reader key is the host's claim; a wrong one derives a key that opens
 * nothing, so the enclave refuses before training and signs nothing.
 */
import { getBytes } from "ethers/utils";

import { flaiError, flaiErrorCode } from "../errors.js";
import { jobInputBinding, jobInputKey, jobResultBinding, jobResultKey, type JobPlace } from "../jobs/job-keys.js";
import { isSealedArtifact, openArtifact, sealArtifact } from "../privacy/artifact.js";

/** Refusal codes the host can act on (worker-entry.ts carries them across the boundary). */
export const JOB_INPUT_NOT_AUTHENTIC = "job-input-not-authentic";
export const JOB_READER_KEY_MISSING = "job-reader-key-missing";
/** One input sealed, the other plaintext: never what flai:submit makes; a host pairing a victim's sealed input with its own. */
export const JOB_INPUT_MIXED = "job-input-mixed";
/** A private job's opened inputs did not parse or train: why is withheld, it would show their plaintext to the host. */
export const JOB_PRIVATE_INPUT_UNUSABLE = "job-private-input-unusable";

export interface JobInputs {
  dataset: Uint8Array;
  modelSpec: Uint8Array;
  /** Seals the trained model to the submitter; undefined for a public job (its model is stored in the clear). */
  sealResult: ((model: Uint8Array) => Uint8Array) | undefined;
}

export interface SealedJob {
  jobId: bigint;
  place: JobPlace;
  /** The job's on-chain data root (the enclave checked the dataset against it): the spec is sealed beside it. */
  dataRoot: string;
  /** The submitter's reader key as the host claims it (the registry's); needed only when an input is sealed. */
  readerKey: string | undefined;
  /** The enclave's X25519 secret (hex), unsealed inside the worker. */
  encryptionSecret: string;
}

/**
 * A job is private when any of its inputs is a sealed artifact (read from the bytes, never from a host
 * flag); openJobInputs then refuses it unless both are.
 */
export function isPrivateJob(dataset: Uint8Array, modelSpec: Uint8Array): boolean {
  return isSealedArtifact(dataset) || isSealedArtifact(modelSpec);
}

/**
 * The job's inputs in the clear. A private job has both inputs sealed: each is opened with K_in, and
 * the model will be sealed with K_out (both bound to the job's submitter); one sealed and one plaintext
 * is refused (JOB_INPUT_MIXED). A job whose inputs are both plaintext is public and trained as before.
 */
export function openJobInputs(dataset: Uint8Array, modelSpec: Uint8Array, job: SealedJob): JobInputs {
  if (!isPrivateJob(dataset, modelSpec)) {
    return { dataset, modelSpec, sealResult: undefined };
  }
  // Both or neither: a submitter seals both (flai:submit), so one sealed input beside a plaintext one
  // is a host pairing someone's sealed input with bytes of its own choosing — e.g. a spec whose parse
  // errors, training outcome or model hash would tell the host what the sealed dataset holds.
  if (isSealedArtifact(dataset) !== isSealedArtifact(modelSpec)) {
    throw flaiError(
      `The enclave refused job ${job.jobId}: its ${isSealedArtifact(dataset) ? "dataset is sealed but its model spec is" : "model spec is sealed but its dataset is"} ` +
        `plaintext. Nothing was signed. A private job's dataset and spec are both sealed (flai:submit seals both); a public job's ` +
        `are both plaintext (flai:submit --public).`,
      undefined,
      { code: JOB_INPUT_MIXED },
    );
  }
  if (job.readerKey === undefined) {
    throw flaiError(
      `The enclave refused job ${job.jobId}: its inputs are sealed, but no reader key of its submitter ${job.place.submitter} was ` +
        `handed to it, so it cannot derive their key. Nothing was signed. The submitter registers its reader key (flai:submit does).`,
      undefined,
      { code: JOB_READER_KEY_MISSING },
    );
  }
  const secret = getBytes(job.encryptionSecret);
  const readerKey = job.readerKey;
  let inputKey: Uint8Array;
  try {
    inputKey = jobInputKey(secret, readerKey, job.place);
  } catch (error) {
    throw refusal(job, `the reader key it was handed for submitter ${job.place.submitter} (${readerKey}) is unusable`, error);
  }
  const open = (bytes: Uint8Array, what: "data" | "model"): Uint8Array => {
    try {
      return openArtifact(
        bytes,
        inputKey,
        jobInputBinding(job.place, what === "data" ? "job-data" : "job-model", job.dataRoot),
        `job ${job.jobId}'s ${what}`,
      );
    } catch (error) {
      const why = flaiErrorCode(error) === "artifact-not-authentic" ? "failed authentication" : (error as Error).message;
      throw refusal(job, `its sealed ${what} ${why} under the key for submitter ${job.place.submitter} and reader key ${readerKey}`, error);
    }
  };
  const opened = { dataset: open(dataset, "data"), modelSpec: open(modelSpec, "model") };
  const outputKey = jobResultKey(secret, readerKey, job.place, job.jobId);
  return { ...opened, sealResult: (model) => sealArtifact(model, outputKey, jobResultBinding(job.place, job.jobId)) };
}

/**
 * Runs `use` over a private job's opened inputs (parsing, training) with any failure replaced by a
 * refusal that says nothing of why: a parse or training error quotes the inputs (a label, a cell, the
 * spec's classes), and it crosses to the host. A host can hand the enclave a victim's sealed inputs
 * of two different jobs (one K_in and binding per submitter and enclave), so such errors are not
 * only the submitter's to see. flai:submit checks the inputs before sealing, so honest jobs do not get here.
 */
export function withheldReason<T>(jobId: bigint, use: () => T): T {
  try {
    return use();
  } catch {
    throw flaiError(
      `The enclave refused job ${jobId}: its inputs open, but do not parse or train together under its model spec. Nothing was ` +
        `signed. Why is withheld: the reason would quote the private inputs to the enclave's host. The submitter checks them ` +
        `locally (flai:submit validates a dataset against its spec before sealing).`,
      undefined,
      { code: JOB_PRIVATE_INPUT_UNUSABLE },
    );
  }
}

/** The enclave's refusal of a private job's inputs: names the job, what failed, that nothing was signed, and the likely causes. */
function refusal(job: SealedJob, what: string, cause: unknown) {
  return flaiError(
    `The enclave refused job ${job.jobId}: ${what}. Nothing was signed. The inputs were sealed by another account (e.g. a job ` +
      `re-using another's input roots) or to another enclave, or the reader key is not the submitter's; the submitter seals ` +
      `its own inputs with flai:submit.`,
    cause,
    { code: JOB_INPUT_NOT_AUTHENTIC },
  );
}
