import { getAddress } from "ethers";

import { flaiError } from "../errors.js";
import { recoverJobResultSigner } from "../jobs/eip712.js";
import { parseTrainedModel, type TrainedModel } from "../ml/model.js";
import type { StorageBackend } from "../storage/types.js";
import { bothInOrder } from "../util/promise.js";

import { issueReport, type EnclaveReport } from "./attestation.js";
import { loadOrCreateIdentity, type EnclaveIdentity } from "./identity.js";
import { computeMeasurement } from "./measurement.js";
import type { TrainRequest, TrainResponse } from "./program.js";
import { runWorker } from "./run-worker.js";

/** A job as the enclave needs it: where its inputs are and what its result will be bound to. */
export interface TrainingJob {
  jobId: bigint;
  dataRoot: string;
  modelRoot: string;
  chainId: bigint;
  contract: string;
  /** Who the reward goes to; signed into the result. */
  payee: string;
}

/** The enclave's output: the trained model, its SHA-256, and the enclave's EIP-712 signature. */
export interface TrainingResult {
  jobId: bigint;
  chainId: bigint;
  contract: string;
  payee: string;
  model: TrainedModel;
  modelBytes: Uint8Array;
  resultHash: string;
  signature: string;
  signer: string;
  measurement: string;
}

export interface TeeSimOptions {
  dir: string;
  storage: StorageBackend;
  trainingTimeoutSeconds: number;
}

/** The simulated TEE: a sealed identity on disk, a code measurement, attestation, an isolated worker. */
export class TeeSim {
  readonly #opts: TeeSimOptions;
  #measurement: Promise<string> | undefined;

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

  async report(): Promise<EnclaveReport> {
    return issueReport(await this.identity(), await this.measurement());
  }

  async train(job: TrainingJob): Promise<TrainingResult> {
    const [identity, measurement] = await Promise.all([this.identity(), this.measurement()]);
    // Inputs are read through the storage backend, which verifies each against its 0G root.
    const [dataset, modelSpec] = await bothInOrder(this.#opts.storage.read(job.dataRoot), this.#opts.storage.read(job.modelRoot));
    const request: TrainRequest = {
      enclaveDir: this.#opts.dir,
      dataset,
      modelSpec,
      datasetRoot: job.dataRoot,
      modelRoot: job.modelRoot,
      binding: {
        chainId: job.chainId.toString(),
        contract: getAddress(job.contract),
        jobId: job.jobId.toString(),
        payee: getAddress(job.payee),
      },
    };
    const response = await runWorker<TrainResponse>(
      "worker",
      request,
      this.#opts.trainingTimeoutSeconds * 1000,
      `Training job ${job.jobId}`,
    );
    if (getAddress(response.signer) !== getAddress(identity.signer)) {
      throw flaiError(`The enclave signed with ${response.signer}, not its attested key ${identity.signer}.`);
    }
    const modelBytes = new Uint8Array(response.modelBytes);
    return {
      jobId: job.jobId,
      chainId: job.chainId,
      contract: getAddress(job.contract),
      payee: getAddress(job.payee),
      model: parseTrainedModel(modelBytes, `model trained for job ${job.jobId}`),
      modelBytes,
      resultHash: response.resultHash,
      signature: response.signature,
      signer: response.signer,
      measurement,
    };
  }

  /** Checks that a result's signature is by `expectedSigner` over exactly its job, hash and payee. */
  static verifyResultSignature(result: Pick<TrainingResult, "chainId" | "contract" | "jobId" | "resultHash" | "payee" | "signature">, expectedSigner: string): boolean {
    return getAddress(recoverJobResultSigner(result, result.signature)) === getAddress(expectedSigner);
  }
}
