import { getAddress } from "ethers/address";
import { computeAddress } from "ethers/transaction";

import { flaiError } from "../errors.js";
import { signJobResult, type JobResultBinding } from "./job-result-signature.js";
import { modelBytes, parseModelSpec, parseTrainingData, resultHash, trainFromSpec } from "../ml/model.js";
import { computeRoot, fastRootsReady } from "../storage/merkle.js";

import type { EnclaveKeys } from "./attestation.js";
import { identityOf, unsealSecrets } from "./identity.js";

/**
 * Everything that crosses into the enclave for one job: the job as recorded on-chain (`binding`, whose
 * roots the signature will cover) and bytes the host claims are its inputs. The host is not trusted:
 * the enclave checks the bytes against the binding's roots itself.
 */
export interface TrainRequest {
  enclaveDir: string;
  dataset: Uint8Array;
  modelSpec: Uint8Array;
  binding: {
    chainId: string;
    contract: string;
    jobId: string;
    submitter: string;
    deadline: string;
    dataRoot: string;
    modelRoot: string;
    payee: string;
  };
}

/**
 * Everything that leaves it: the model bytes to store (the plaintext model for a public job), the
 * plaintext's hash, the stored bytes' 0G root, and a signature binding both to the job, its inputs and payee.
 */
export interface TrainResponse {
  modelBytes: Uint8Array;
  resultHash: string;
  resultRoot: string;
  signature: string;
  signer: string;
}

/** Thrown inside the enclave when the host's bytes are not the job's input: nothing is signed. */
export function checkInput(bytes: Uint8Array, expectedRoot: string, what: "data" | "model", jobId: string): void {
  const actual = computeRoot(bytes);
  if (actual.toLowerCase() !== expectedRoot.toLowerCase()) {
    throw flaiError(
      `The enclave refused job ${jobId}: the ${what} it was handed has 0G root ${actual}, but the job's ${what} root is ` +
        `${expectedRoot}. Nothing was signed. Read the job's inputs by their roots from storage (hre.flai.jobs.train does).`,
    );
  }
}

export async function runTraining(req: TrainRequest): Promise<TrainResponse> {
  const b = req.binding;
  await fastRootsReady(); // a fresh worker would otherwise root the data with pure-JS keccak
  checkInput(req.dataset, b.dataRoot, "data", b.jobId);
  checkInput(req.modelSpec, b.modelRoot, "model", b.jobId);
  const spec = parseModelSpec(req.modelSpec, `model ${b.modelRoot}`);
  const dataset = parseTrainingData(req.dataset, spec, `dataset ${b.dataRoot}`);
  const model = trainFromSpec(spec, dataset, { datasetRoot: b.dataRoot, modelRoot: b.modelRoot });
  const bytes = modelBytes(model);
  const hash = resultHash(bytes);
  // Rooted here, not by the host: the signed root is what readers fetch, so only the enclave may name it.
  const root = computeRoot(bytes);
  const { signingKey } = await unsealSecrets(req.enclaveDir);
  const binding: JobResultBinding = {
    chainId: BigInt(b.chainId),
    contract: getAddress(b.contract),
    jobId: BigInt(b.jobId),
    submitter: getAddress(b.submitter),
    deadline: BigInt(b.deadline),
    dataRoot: b.dataRoot,
    modelRoot: b.modelRoot,
    resultHash: hash,
    resultRoot: root,
    payee: getAddress(b.payee),
  };
  const signature = signJobResult(signingKey, binding);
  return { modelBytes: bytes, resultHash: hash, resultRoot: root, signature, signer: computeAddress(signingKey) };
}

/**
 * The enclave's own statement of its public keys, derived from its sealed secrets (what a real enclave
 * puts in its quote's report data). The attestation authority vouches for these, never for a host file.
 */
export async function statePublicKeys(req: { enclaveDir: string }): Promise<EnclaveKeys> {
  const { signer, encryptionKey } = identityOf(await unsealSecrets(req.enclaveDir));
  return { signer, encryptionKey };
}
