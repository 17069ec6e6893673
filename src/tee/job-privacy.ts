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

export interface JobInputs {
  dataset: Uint8Array;
  modelSpec: Uint8Array;
  /** Seals the trained model to the submitter; undefined for a public job (its model is stored in the clear). */
  sealResult: ((model: Uint8Array) => Uint8Array) | undefined;
}

export interface SealedJob {
  jobId: bigint;
  place: JobPlace;
  /** The submitter's reader key as the host claims it (the registry's); needed only when an input is sealed. */
  readerKey: string | undefined;
  /** The enclave's X25519 secret (hex), unsealed inside the worker. */
  encryptionSecret: string;
}

/** A job is private when any of its inputs is a sealed artifact (read from the bytes, never from a host flag). */
export function isPrivateJob(dataset: Uint8Array, modelSpec: Uint8Array): boolean {
  return isSealedArtifact(dataset) || isSealedArtifact(modelSpec);
}

/**
 * The job's inputs in the clear. Any sealed input makes the job private: each sealed one is opened
 * with K_in, and the model will be sealed with K_out (both bound to the job's submitter). A job whose
 * inputs are all plaintext is public and is trained as before.
 */
export function openJobInputs(dataset: Uint8Array, modelSpec: Uint8Array, job: SealedJob): JobInputs {
  if (!isPrivateJob(dataset, modelSpec)) {
    return { dataset, modelSpec, sealResult: undefined };
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
    if (!isSealedArtifact(bytes)) return bytes;
    try {
      return openArtifact(
        bytes,
        inputKey,
        jobInputBinding(job.place, what === "data" ? "job-data" : "job-model"),
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
