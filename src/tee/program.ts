import { getAddress } from "ethers/address";
import { computeAddress } from "ethers/transaction";

import { flaiError } from "../errors.js";
import { signJobResult, type JobResultBinding } from "./job-result-signature.js";
import { modelBytes, parseModelSpec, parseTrainingData, resultHash, trainFromSpec } from "../ml/model.js";
import { computeRoot, fastRootsReady } from "../storage/merkle.js";

import type { EnclaveKeys } from "./attestation.js";
import { identityOf, unsealSecrets } from "./identity.js";
import { isPrivateJob, openJobInputs, withheldReason } from "./job-privacy.js";

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
  /**
   * The submitter's registered reader key, as the host read it from the chain (a claim: a wrong one
   * opens nothing). Needed only for a private job, whose inputs are sealed.
   */
  readerKey?: string;
}

/**
 * Everything that leaves it: the model bytes to store (the plaintext model for a public job, its
 * ciphertext sealed to the submitter for a private one), the plaintext's hash, the stored bytes' 0G
 * root, and a signature binding both to the job, its inputs and payee.
 */
export interface TrainResponse {
  modelBytes: Uint8Array;
  /** True when the inputs were sealed: modelBytes is then the model sealed to the submitter. */
  private: boolean;
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
  const place = { chainId: BigInt(b.chainId), contract: getAddress(b.contract), submitter: getAddress(b.submitter) };
  // The keys are unsealed up front only when an input needs opening: a public job's bad input is refused
  // before any key is touched, as before.
  const secrets = isPrivateJob(req.dataset, req.modelSpec) ? await unsealSecrets(req.enclaveDir) : undefined;
  // Opened (or refused) before anything is parsed: a private job's plaintext exists only in here.
  const inputs =
    secrets === undefined
      ? { dataset: req.dataset, modelSpec: req.modelSpec, sealResult: undefined }
      : openJobInputs(req.dataset, req.modelSpec, {
          jobId: BigInt(b.jobId),
          place,
          dataRoot: b.dataRoot,
          readerKey: req.readerKey,
          encryptionSecret: secrets.encryptionSecret,
        });
  const train = () => {
    const spec = parseModelSpec(inputs.modelSpec, `model ${b.modelRoot}`);
    const dataset = parseTrainingData(inputs.dataset, spec, `dataset ${b.dataRoot}`);
    return modelBytes(trainFromSpec(spec, dataset, { datasetRoot: b.dataRoot, modelRoot: b.modelRoot }));
  };
  // A private job's errors quote its plaintext: the host gets a refusal without them (withheldReason).
  const plaintext = inputs.sealResult === undefined ? train() : withheldReason(BigInt(b.jobId), train);
  const hash = resultHash(plaintext);
  const stored = inputs.sealResult === undefined ? plaintext : inputs.sealResult(plaintext);
  // Rooted here, not by the host: the signed root is what readers fetch, so only the enclave may name it.
  const root = computeRoot(stored);
  const { signingKey } = secrets ?? (await unsealSecrets(req.enclaveDir));
  const binding: JobResultBinding = {
    ...place,
    jobId: BigInt(b.jobId),
    deadline: BigInt(b.deadline),
    dataRoot: b.dataRoot,
    modelRoot: b.modelRoot,
    resultHash: hash,
    resultRoot: root,
    payee: getAddress(b.payee),
  };
  const signature = signJobResult(signingKey, binding);
  return {
    modelBytes: stored,
    private: inputs.sealResult !== undefined,
    resultHash: hash,
    resultRoot: root,
    signature,
    signer: computeAddress(signingKey),
  };
}

/**
 * The enclave's own statement of its public keys, derived from its sealed secrets (what a real enclave
 * puts in its quote's report data). The attestation authority vouches for these, never for a host file.
 */
export async function statePublicKeys(req: { enclaveDir: string }): Promise<EnclaveKeys> {
  const { signer, encryptionKey } = identityOf(await unsealSecrets(req.enclaveDir));
  return { signer, encryptionKey };
}
