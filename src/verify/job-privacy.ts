/**
 * Verifying a private job (issue 17): everything that needs no key is checked as for a public job
 * (roots, signature, bindings, registration); the model hash and the re-execution need the plaintext,
 * so without the submitter's key they are "cannot check: encrypted" (code ENCRYPTED), and with it
 * (--account of the submitter) the inputs and the model are opened and checked in full.
 */
import { getAddress } from "ethers";

import type { FlaiConnection } from "../chain/connection.js";
import { flaiErrorCode } from "../errors.js";
import { jobInputBinding, jobInputKey, jobResultBinding, jobResultKey, type JobPlace } from "../jobs/job-keys.js";
import { isSealedArtifact, openArtifact } from "../privacy/artifact.js";
import type { ReaderIdentity } from "../privacy/keyring.js";
import { readerKeyOf } from "../privacy/reader-registry.js";

import { encryptedItem, message, sha256Hex, verdictItem, type Fetched, type VerifyItem } from "./common.js";

/** The submitter's keys with the completing enclave's public key, or why this verifier has none. */
export type JobAccess = { keys: { me: ReaderIdentity; enclaveKey: string; place: JobPlace } } | { why: string };

/**
 * What this verifier can open of job `job`: with `account` the submitter's, everything; the enclave
 * is the one that completed the job (its registered key), since the inputs are sealed to it.
 */
export async function jobAccess(
  connection: FlaiConnection,
  job: { id: bigint; submitter: string },
  place: Omit<JobPlace, "submitter">,
  enclave: { encryptionKey: string } | undefined,
  account: number | undefined,
): Promise<JobAccess> {
  if (account === undefined) return { why: "no key given (the submitter passes --account <its index> for full checks)" };
  if (enclave === undefined) return { why: `job ${job.id} is not completed, so no enclave opened its inputs` };
  const me = await readerKeyOf(connection, account);
  if (getAddress(me.address) !== getAddress(job.submitter)) {
    return { why: `account #${account} (${me.address}) is not the submitter ${job.submitter}, whose key alone opens it` };
  }
  return { keys: { me, enclaveKey: enclave.encryptionKey, place: { ...place, submitter: getAddress(job.submitter) } } };
}

/** The job's inputs in the clear for re-execution, or (`unavailable`) why they cannot be: encrypted without a key, or not opening. */
export function inputsInTheClear(
  data: Uint8Array | undefined,
  model: Uint8Array | undefined,
  dataRoot: string,
  access: JobAccess,
): { data?: Uint8Array; model?: Uint8Array; unavailable?: VerifyItem } {
  if (data === undefined || model === undefined) return { data, model };
  if (!isSealedArtifact(data) && !isSealedArtifact(model)) return { data, model };
  if ("why" in access) return { unavailable: encryptedItem("re-execution", `the job's inputs are sealed to its enclave; ${access.why}`) };
  const { me, enclaveKey, place } = access.keys;
  const key = jobInputKey(me.secret, enclaveKey, place);
  const open = (bytes: Uint8Array, kind: "job-data" | "job-model") =>
    isSealedArtifact(bytes)
      ? openArtifact(bytes, key, jobInputBinding(place, kind, dataRoot), `the job's ${kind === "job-data" ? "data" : "model spec"}`)
      : bytes;
  try {
    return { data: open(data, "job-data"), model: open(model, "job-model") };
  } catch (error) {
    return {
      unavailable: verdictItem("re-execution", "cannot check", `the submitter's key does not open the sealed inputs: ${message(error)}`),
    };
  }
}

/**
 * The stored model's plaintext hash against the chain's: directly for a public model, after opening
 * with the submitter's K_out for a sealed one; "cannot check: encrypted" without that key.
 */
export function checkModelHash(
  job: { id: bigint; resultHash: string | undefined; resultRoot: string | undefined },
  stored: Fetched,
  access: JobAccess,
): VerifyItem {
  if (stored.bytes === undefined) return verdictItem("model hash", "cannot check", "the stored model is not available (see above)");
  let plaintext = stored.bytes;
  if (isSealedArtifact(stored.bytes)) {
    if ("why" in access) return encryptedItem("model hash", `the model is sealed to the job's submitter; ${access.why}`);
    const { me, enclaveKey, place } = access.keys;
    try {
      const key = jobResultKey(me.secret, enclaveKey, place, job.id);
      plaintext = openArtifact(stored.bytes, key, jobResultBinding(place, job.id), `job ${job.id}'s model ${job.resultRoot}`);
    } catch (error) {
      const verdict = flaiErrorCode(error) === "artifact-not-authentic" ? "mismatch" : "cannot check";
      return verdictItem("model hash", verdict, `the submitter's key does not open the stored model: ${message(error)}`);
    }
  }
  const hash = sha256Hex(plaintext);
  const how = plaintext === stored.bytes ? "the stored (public) model" : "the model, opened with the submitter's key,";
  return hash === job.resultHash
    ? verdictItem("model hash", "match", `sha256 of ${how} is the on-chain result hash ${hash}`)
    : verdictItem("model hash", "mismatch", `sha256 of ${how} is ${hash}, but the chain holds ${job.resultHash}`);
}
