/**
 * The keys and artifact bindings of a private compute job (issue 17), one definition for the three
 * parties that derive them: the submitter (seals the inputs, opens the model), the enclave (opens the
 * inputs, seals the model) and a verifier holding the submitter's key. Static-static X25519 pair keys:
 * each end computes the same key from its own secret and the other's registered public key.
 *
 * Both keys are bound to the job's submitter as the chain records it: someone who re-uses a victim's
 * input roots in their own job makes the enclave derive a key for themselves, which does not open the
 * victim's ciphertext, so nothing is trained or signed. Imported by the enclave worker: no `ethers` root.
 */
import type { ArtifactBinding } from "../privacy/artifact.js";
import { pairKey } from "../privacy/pair-key.js";

/** Where a job's artifacts live: the chain, the FLAIComputeJobs contract and the job's submitter. */
export interface JobPlace {
  chainId: bigint;
  contract: string;
  submitter: string;
}

/** K_in: seals the job's dataset and model spec, submitter ↔ enclave (no job id: made before the job exists). */
export function jobInputKey(mySecret: Uint8Array, theirPublicKey: string, place: JobPlace): Uint8Array {
  return pairKey(mySecret, theirPublicKey, {
    purpose: "job-input",
    chainId: place.chainId,
    contract: place.contract,
    party: place.submitter,
  });
}

/** K_out: seals job `jobId`'s trained model, enclave ↔ submitter: only those two can read it. */
export function jobResultKey(mySecret: Uint8Array, theirPublicKey: string, place: JobPlace, jobId: bigint): Uint8Array {
  return pairKey(mySecret, theirPublicKey, {
    purpose: "job-result",
    chainId: place.chainId,
    contract: place.contract,
    party: place.submitter,
    id: jobId,
  });
}

/**
 * What a job input is sealed for (round 0: the job does not exist yet). The dataset: id 0. The model
 * spec: id = the sealed dataset's 0G root, so a spec opens only beside the dataset it was submitted
 * with. K_in is one key per submitter and enclave: without this, a host could hand the enclave a
 * victim's spec of one job beside its dataset of another and learn from the outcome (trains or not,
 * the model's hash) what the data holds.
 */
export function jobInputBinding(place: JobPlace, kind: "job-data" | "job-model", dataRoot: string): ArtifactBinding {
  const id = kind === "job-data" ? 0n : BigInt(dataRoot);
  return { chainId: place.chainId, contract: place.contract, kind, id, round: 0 };
}

/** What job `jobId`'s trained model is sealed for. */
export function jobResultBinding(place: JobPlace, jobId: bigint): ArtifactBinding {
  return { chainId: place.chainId, contract: place.contract, kind: "job-result", id: jobId, round: 0 };
}
