import { getAddress } from "ethers";

import { flaiError } from "../errors.js";
import { recoverJobResultSigner, type JobResultBinding } from "./job-result-signature.js";
import { parseTrainedModel, type TrainedModel } from "../ml/model.js";
import type { StorageBackend } from "../storage/types.js";
import { bothInOrder } from "../util/promise.js";

import { issueReport, type EnclaveKeys, type EnclaveReport } from "./attestation.js";
import { loadOrCreateIdentity, type EnclaveIdentity } from "./identity.js";
import { computeMeasurement } from "./measurement.js";
import type { TrainRequest, TrainResponse } from "./program.js";
import { movableBuffers, prewarmWorker, runWorker } from "./run-worker.js";

/** A job as the enclave needs it: the on-chain record its result will be bound to, and who is paid. */
export interface TrainingJob {
  jobId: bigint;
  submitter: string;
  deadline: bigint;
  dataRoot: string;
  modelRoot: string;
  chainId: bigint;
  contract: string;
  /** Who the reward goes to; signed into the result. */
  payee: string;
  /**
   * The submitter's reader key from the registry, for a private job (sealed inputs): the enclave opens
   * the inputs and seals the model with keys derived from it. A host claim; a wrong key opens nothing.
   */
  readerKey?: string;
}

/**
 * The enclave's output: the stored model bytes and their 0G root, the plaintext model's SHA-256, and the
 * enclave's EIP-712 signature over the whole binding. A private job's model is sealed to its submitter:
 * the host gets only the ciphertext (`model` undefined), a public job's model is in the clear.
 */
export interface TrainingResult extends JobResultBinding {
  /** The trained model; undefined for a private job (its plaintext never leaves the enclave). */
  model: TrainedModel | undefined;
  /** The bytes to store under resultRoot: the plaintext model (public) or its ciphertext (private). */
  modelBytes: Uint8Array;
  /** True when the job's inputs were sealed to the enclave, so its model is sealed to the submitter. */
  private: boolean;
  signature: string;
  signer: string;
  measurement: string;
}

export interface TeeSimOptions {
  dir: string;
  storage: StorageBackend;
  trainingTimeoutSeconds: number;
}

/** How long the enclave may take to unseal its keys and state them. */
const ATTEST_TIMEOUT_MS = 60_000;

/** The simulated TEE: a sealed identity on disk, a code measurement, attestation, an isolated worker. */
export class TeeSim {
  readonly #opts: TeeSimOptions;
  #measurement: Promise<string> | undefined;
  #attestedKeys: Promise<EnclaveKeys> | undefined;

  constructor(opts: TeeSimOptions) {
    this.#opts = opts;
  }

  get dir(): string {
    return this.#opts.dir;
  }

  identity(): Promise<EnclaveIdentity> {
    return loadOrCreateIdentity(this.#opts.dir);
  }

  measurement(): Promise<string> {
    this.#measurement ??= computeMeasurement();
    return this.#measurement;
  }

  /**
   * The attestation report: the enclave states its public keys from its sealed secrets (inside the
   * worker), and this machine's dev authority signs them with the measurement, valid from `now` (unix
   * seconds; default: this machine's clock). A rewritten identity.json is detected, never attested.
   */
  async report(opts: { now?: number } = {}): Promise<EnclaveReport> {
    const [keys, measurement] = await Promise.all([this.attestedKeys(), this.measurement()]);
    return issueReport(keys, measurement, opts.now ?? Math.floor(Date.now() / 1000));
  }

  /** The keys the enclave states from inside its boundary, checked against the public identity file. */
  attestedKeys(): Promise<EnclaveKeys> {
    this.#attestedKeys ??= this.#stateKeys();
    this.#attestedKeys.catch(() => (this.#attestedKeys = undefined));
    return this.#attestedKeys;
  }

  async #stateKeys(): Promise<EnclaveKeys> {
    const identity = await this.identity();
    const keys = await runWorker<EnclaveKeys>("attest-worker", { enclaveDir: this.#opts.dir }, ATTEST_TIMEOUT_MS, "Attesting the enclave");
    if (
      getAddress(keys.signer) !== getAddress(identity.signer) ||
      keys.encryptionKey.toLowerCase() !== identity.encryptionKey.toLowerCase()
    ) {
      throw flaiError(
        `The enclave's public identity file ${this.#opts.dir}/identity.json was altered: it names signer ${identity.signer} and key ` +
          `${identity.encryptionKey}, but the enclave's sealed keys are ${keys.signer} / ${keys.encryptionKey}. Only the sealed keys are ` +
          `attested. Delete identity.json to have it written again from the sealed keys.`,
      );
    }
    return { signer: getAddress(keys.signer), encryptionKey: keys.encryptionKey };
  }

  async train(job: TrainingJob): Promise<TrainingResult> {
    // The training program's worker starts now (a no-op when one is idle): its start-up overlaps the reads below.
    prewarmWorker("worker");
    const [identity, measurement] = await Promise.all([this.identity(), this.measurement()]);
    // Inputs are read by their roots; the enclave re-checks the bytes against the job's roots itself.
    const [dataset, modelSpec] = await bothInOrder(this.#opts.storage.read(job.dataRoot), this.#opts.storage.read(job.modelRoot));
    // Bytes read here are this call's own: they move into the worker instead of being copied.
    const response = await this.runJob(job, dataset, modelSpec, { move: true });
    if (getAddress(response.signer) !== getAddress(identity.signer)) {
      throw flaiError(`The enclave signed with ${response.signer}, not its attested key ${identity.signer}.`);
    }
    const modelBytes = new Uint8Array(response.modelBytes);
    return {
      ...bindingOf(job, response.resultHash, response.resultRoot),
      // A private job's bytes are the model sealed to the submitter: this host has no plaintext to parse.
      model: response.private ? undefined : parseTrainedModel(modelBytes, `model trained for job ${job.jobId}`),
      modelBytes,
      private: response.private,
      signature: response.signature,
      signer: response.signer,
      measurement,
    };
  }

  /**
   * Hands `dataset` / `modelSpec` to the enclave for `job`, as a host would: the enclave decides what it
   * signs. `move`: the worker takes the arrays' memory over (those that own their ArrayBuffer are
   * detached here), for a caller that does not read them again.
   */
  async runJob(job: TrainingJob, dataset: Uint8Array, modelSpec: Uint8Array, opts: { move?: boolean } = {}): Promise<TrainResponse> {
    await this.identity(); // created on first use, before the enclave unseals it
    const request: TrainRequest = {
      enclaveDir: this.#opts.dir,
      dataset,
      modelSpec,
      binding: {
        chainId: job.chainId.toString(),
        contract: getAddress(job.contract),
        jobId: job.jobId.toString(),
        submitter: getAddress(job.submitter),
        deadline: job.deadline.toString(),
        dataRoot: job.dataRoot,
        modelRoot: job.modelRoot,
        payee: getAddress(job.payee),
      },
      readerKey: job.readerKey,
    };
    const transfer = opts.move === true ? movableBuffers(dataset, modelSpec) : [];
    return runWorker<TrainResponse>("worker", request, this.#opts.trainingTimeoutSeconds * 1000, `Training job ${job.jobId}`, transfer);
  }

  /** Checks that a result's signature is by `expectedSigner` over exactly its job binding, hash and payee. */
  static verifyResultSignature(result: JobResultBinding & { signature: string }, expectedSigner: string): boolean {
    return getAddress(recoverJobResultSigner(result, result.signature)) === getAddress(expectedSigner);
  }
}

function bindingOf(job: TrainingJob, resultHash: string, resultRoot: string): JobResultBinding {
  return {
    chainId: job.chainId,
    contract: getAddress(job.contract),
    jobId: job.jobId,
    submitter: getAddress(job.submitter),
    deadline: job.deadline,
    dataRoot: job.dataRoot.toLowerCase(),
    modelRoot: job.modelRoot.toLowerCase(),
    resultHash,
    resultRoot: resultRoot.toLowerCase(),
    payee: getAddress(job.payee),
  };
}
