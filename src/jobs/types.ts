import type { ConnectionOption } from "../chain/connection.js";

export type { ConnectionOption } from "../chain/connection.js";
import type { UploadResult } from "../storage/types.js";

export type JobStatus = "open" | "completed" | "cancelled";

/** A job as read back from FLAIComputeJobs. */
export interface JobView {
  id: bigint;
  status: JobStatus;
  submitter: string;
  /** Escrowed reward in wei (0 once paid or refunded). */
  reward: bigint;
  /** Unix seconds after which the submitter may cancel and no completion is accepted. */
  deadline: bigint;
  dataRoot: string;
  modelRoot: string;
  /** sha256 of the trained model's plaintext bytes, once completed. */
  resultHash: string | undefined;
  /** 0G root of the stored model (its ciphertext for a private job), once completed. */
  resultRoot: string | undefined;
  contract: string;
  chainId: bigint;
  networkName: string;
}

export interface SubmitOptions extends ConnectionOption {
  /** A file path, or the 0G root of something already stored. */
  data: string;
  model: string;
  /** Reward in 0G decimals, e.g. "0.01". */
  reward: string;
  /** Seconds from now until the submitter may cancel (default: flai.jobs.deadlineSeconds). */
  deadlineSeconds?: number;
  /**
   * Store the inputs in plaintext (for open datasets and models): the trained model is then stored in
   * plaintext too. Default false: both inputs are sealed to the enclave and the model to the submitter.
   */
  public?: boolean;
  /**
   * Private jobs: the enclave (signer address) the inputs are sealed to; only it can train the job.
   * Default: this machine's enclave, registered on the way.
   */
  enclave?: string;
}

export interface SubmittedJob {
  job: JobView;
  txHash: string;
  gasUsed: bigint;
  data: InputRef;
  model: InputRef;
  /** True when the inputs were sealed (the default): the trained model will be sealed to the submitter. */
  private: boolean;
  /** The enclave signer a private job's inputs are sealed to. */
  enclave: string | undefined;
}

/** How an input reached storage: uploaded now, or referenced by a root that was already there. */
export interface InputRef {
  root: string;
  uploaded: UploadResult | undefined;
}

export interface CompletedJob {
  job: JobView;
  txHash: string;
  gasUsed: bigint;
  payee: string;
  reward: bigint;
}

export interface EnclaveRegistration {
  signer: string;
  measurement: string;
  /** The attestation authority the contract pins, which signed the registration's report. */
  authority: string;
  /** Unix seconds from which the registration is void (a new report renews it). */
  expiry: number;
  /** Transactions sent; empty when the registry already had this enclave. */
  txHashes: string[];
}
