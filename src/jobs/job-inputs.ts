/**
 * A compute job's inputs on the submitter's side (issue 17): sealed to the enclave for a private job
 * (the default), stored as given for a public one (--public). Validation always runs on the plaintext,
 * before anything is paid for: a job the enclave cannot train is a lost reward.
 */
import { flaiError } from "../errors.js";
import type { Input } from "../inputs.js";
import { isSealedArtifact, openArtifact, sealArtifact } from "../privacy/artifact.js";
import { computeRoot, fastRootsReady } from "../storage/merkle.js";

import { jobInputBinding, jobInputKey, type JobPlace } from "./job-keys.js";

/** What seals a private job's inputs: K_in of the submitter and the enclave that will train the job. */
export interface InputSealer {
  place: JobPlace;
  /** The enclave signer the inputs are sealed to (only its key opens them). */
  enclave: string;
  key: Uint8Array;
}

export function inputSealer(place: JobPlace, enclave: { signer: string; encryptionKey: string }, submitterSecret: Uint8Array): InputSealer {
  return { place, enclave: enclave.signer, key: jobInputKey(submitterSecret, enclave.encryptionKey, place) };
}

/** The 0G root `input` will be stored under: the root it was given as, or its bytes' root. */
export async function storedRoot(input: PreparedInput): Promise<string> {
  if ("root" in input.store) return input.store.root;
  await fastRootsReady();
  return computeRoot(input.store.bytes);
}

/** One input as it will be stored: `bytes` to upload, or the `root` already stored (given as a root). */
export interface PreparedInput {
  plaintext: Uint8Array;
  source: string;
  store: { bytes: Uint8Array } | { root: string };
}

/**
 * `input` ready to validate (`plaintext`) and store. Private: a file is sealed; a root must already be
 * a sealed input of this submitter for this enclave (it is opened here, which proves it), since a
 * plaintext root is public already. Public: a sealed root is refused (the enclave would treat the job
 * as private, and nobody but the submitter could read its model).
 */
export function prepareInput(
  input: Input,
  kind: "job-data" | "job-model",
  option: string,
  sealer: InputSealer | undefined,
  dataRoot = "0x0",
): PreparedInput {
  const sealed = isSealedArtifact(input.bytes);
  if (sealer === undefined) {
    if (input.root !== undefined && sealed) {
      throw flaiError(
        `${option} ${input.root} is an encrypted job input, but --public was given: a public job's inputs are plaintext. ` +
          `Drop --public to submit it privately, or pass the plaintext file.`,
      );
    }
    return {
      plaintext: input.bytes,
      source: input.source,
      store: input.root === undefined ? { bytes: input.bytes } : { root: input.root },
    };
  }
  // The spec is bound to the stored root of the dataset beside it (jobInputBinding): `dataRoot`.
  const binding = jobInputBinding(sealer.place, kind, dataRoot);
  if (input.root === undefined) {
    return { plaintext: input.bytes, source: input.source, store: { bytes: sealArtifact(input.bytes, sealer.key, binding) } };
  }
  if (!sealed) {
    throw flaiError(
      `${option} ${input.root} is stored in plaintext, so it is public already; a private job's inputs are sealed to the enclave. ` +
        `Pass the file instead (flai:submit seals it), or add --public to submit the job in the clear.`,
      undefined,
      { code: "job-input-plaintext-root" },
    );
  }
  const plaintext = openArtifact(
    input.bytes,
    sealer.key,
    binding,
    `${option} ${input.root} (sealed for submitter ${sealer.place.submitter} and enclave ${sealer.enclave}` +
      (kind === "job-model"
        ? `, beside dataset ${dataRoot}: a sealed spec opens only beside the dataset it was first submitted with`
        : "") +
      ")",
  );
  return { plaintext, source: input.source, store: { root: input.root } };
}
