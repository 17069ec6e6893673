import type { ConnectionOption } from "../chain/connection.js";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import type { Dataset } from "../ml/dataset.js";

import type { Decision } from "./round-report.js";
import type { GlobalMetrics, GlobalModel, ModelFormat } from "./global-model.js";
import type { MetricsWord } from "./metrics-word.js";
import type { LocalTrainingOptions, StrategyUserConfig } from "./deprecated-keys.js";
import type { RoundRules } from "./round-rules.js";

export type TaskStatus = "active" | "finished" | "cancelled";

export interface FederatedTaskView {
  id: bigint;
  status: TaskStatus;
  creator: string;
  rounds: number;
  quorum: number;
  /** Updates per round at which a round closes by itself. */
  maxClients: number;
  currentRound: number;
  roundDuration: number;
  measurement: string;
  /** The only enclave whose round results (and closes) the task accepts; clients encrypt to its on-chain key. */
  enclave: string;
  globalRoot: string;
  globalHash: string;
  rewardPool: bigint;
  paidOut: bigint;
  contract: string;
  chainId: bigint;
  networkName: string;
}

export interface RoundView {
  round: number;
  deadline: bigint;
  /** When a closed round that met its quorum but is not finalized becomes cancellable (deadline + roundDuration). */
  finalizeBy: bigint;
  updateCount: number;
  maxClients: number;
  /** The update set is frozen: closed by the enclave, full at maxClients, or past the deadline. */
  closed: boolean;
  /** The accumulator over the round's recorded updates (current round only; zero otherwise). */
  updatesAccumulator: string;
  acceptedCount: number;
  acceptedWeight: bigint;
  finalized: boolean;
  commitment: string | undefined;
  pool: bigint;
  /** From the RoundFinalized event, once finalized. */
  globalRoot?: string;
  globalHash?: string;
  reportRoot?: string;
  rejectedCount?: number;
  metrics?: MetricsWord;
}

export interface CreateTaskOptions extends ConnectionOption {
  /** Model spec file (or its 0G root): features, hyperparameters, optional initial weights. */
  model: string;
  /**
   * The held-out test file (or root) the enclave evaluates every global model on (`fl-create --test`,
   * formerly `--evaluation`), or its bytes. Nothing is fit on it: not the feature scaling, not imputation
   * means. A private task stores it sealed with the task key; a root names bytes already stored in
   * plaintext (they stay readable there), so a private task's creator passes the file or the bytes.
   */
  evaluation: string | Uint8Array;
  /**
   * Training rows (a file, root or parsed dataset, e.g. a sample of the clients' data) to fit the
   * task's feature standardization on (`fl-create --standardize-on`). Required when the spec asks to
   * standardize and gives no "standardization": createTask refuses, before paying anything, to fit
   * it on the evaluation set.
   */
  standardizeOn?: string | Dataset;
  rounds: number;
  quorum: number;
  /** Updates per round at which a round closes by itself (quorum..65535; default 65535). */
  maxClients?: number;
  /** Seconds each round stays open for updates. */
  roundDuration?: number;
  /** Reward pool in 0G decimals, split over rounds and, per round, by the task's reward rule (equal shares unless rules.rewardRule says "num-examples"). */
  reward: string;
  /** The aggregation strategy (default fedavg); `clipNorm` is the deprecated former name of `clippingNorm`. */
  strategy?: StrategyUserConfig;
  /** The enclave's per-round rules (weight cap, minimum accepted, norm bound, reward rule); unset ones get their defaults. */
  rules?: Partial<RoundRules>;
  /**
   * Clients' local training (LocalTrainingOptions): iterations, FedProx's proximalMu (formerly `mu`,
   * deprecated), the expected total num_examples (round 1's penalty split) and the drift correction.
   */
  local?: LocalTrainingOptions;
  /**
   * The task's enclave: the signer address of an enclave registered (on another machine, by the
   * aggregator host) for this version's measurement. Default: this machine's, registered on the way.
   */
  enclave?: string;
  /**
   * How the task's global models are encoded, fixed for the task by its initial model: "json" or
   * "binary" (global-model-binary.ts). Default: JSON below BINARY_MODEL_FROM_PARAMETERS parameters, binary from it on.
   */
  modelFormat?: ModelFormat;
  /**
   * Store the task's models in plaintext, readable by anyone (`fl-create --public`), e.g. for an open
   * model. Default false: every model is sealed with a task key only admitted readers get (issue 17).
   */
  public?: boolean;
  /**
   * Clients admitted at creation (`--clients`): each needs a registered reader key. The task's enclave
   * and the creator are always admitted; more clients later with admit (`flai:fl-admit`).
   */
  clients?: readonly string[];
}

/** Admitting readers to a private task's models (`flai:fl-admit`): creator only. */
export interface AdmitOptions extends ConnectionOption {
  taskId: bigint | number | string;
  clients: readonly string[];
  /** The creator's account (default: the network's first). */
  signer?: HardhatEthersSigner;
}

export interface AdmittedReaders {
  taskId: bigint;
  admitted: string[];
  keyringRoot: string;
  txHash: string;
}

/** Reading a task's model (`flai:fl-model`): a private task's opened with the reader's key. */
export interface ReadModelOptions extends ConnectionOption {
  /** The round whose model (0: the initial one). Default: the task's current global model. */
  round?: number;
  /** The reading account, by index in the network's accounts (default 0). */
  account?: number;
  /** Read as this machine's enclave (its keyring entry), e.g. to serve the model for inference. */
  asEnclave?: boolean;
}

export interface ReadGlobalModel {
  taskId: bigint;
  round: number;
  root: string;
  hash: string;
  /** True when the stored bytes were sealed (a private task) and were opened with the task key. */
  private: boolean;
  /** The plaintext model bytes (their SHA-256 is the on-chain hash). */
  bytes: Uint8Array;
  model: GlobalModel;
}

export interface CreatedTask {
  task: FederatedTaskView;
  txHash: string;
  gasUsed: bigint;
  initialModelRoot: string;
  evaluationRoot: string;
  /**
   * Where the shared feature scaling came from: the spec's "standardization", the creator's training
   * sample (standardizeOn), or none (the spec does not standardize). Never the evaluation set.
   */
  scaling: "spec" | "sample" | "none";
  /** Private (the default): models sealed with the task key; the readers admitted at creation and their keyring. */
  private: boolean;
  admitted: string[];
  keyringRoot?: string;
}

export interface ClientRoundOptions extends ConnectionOption {
  taskId: bigint | number | string;
  /** The client's local data: a file, or a parsed dataset. */
  data: string | Dataset;
  /** The client's account (default: the network's first). */
  signer?: HardhatEthersSigner;
  /** The round the update is for; refused when another round is current. Default: the current round. */
  round?: number;
}

/** A trained update sealed to the task's enclave for one round, not yet uploaded or recorded. */
export interface SealedUpdate {
  taskId: bigint;
  round: number;
  client: string;
  ciphertext: Uint8Array;
  numExamples: number;
  local: { loss: number; accuracy: number };
  timings: { train: number; encrypt: number };
}

/** One UpdateRecorded event of a round, in record order. */
export interface RecordedUpdateView {
  client: string;
  updateRoot: string;
  updateHash: string;
  numExamples: number;
  blockNumber: number;
}

export interface ClientRoundResult {
  taskId: bigint;
  round: number;
  client: string;
  updateRoot: string;
  updateHash: string;
  numExamples: number;
  local: { loss: number; accuracy: number };
  txHash: string;
  gasUsed: bigint;
  /** Milliseconds spent in each step. */
  timings: { train: number; encrypt: number; upload: number; chain: number };
}

export interface AggregateOptions extends ConnectionOption {
  taskId: bigint | number | string;
  /** Defaults to the task's current round. */
  round?: number;
}

export interface AggregatedRound {
  taskId: bigint;
  round: number;
  globalRoot: string;
  globalHash: string;
  reportRoot: string;
  commitment: string;
  accepted: Decision[];
  rejected: Decision[];
  metrics: GlobalMetrics;
  txHash: string;
  gasUsed: bigint;
  timings: { fetch: number; aggregate: number; upload: number; chain: number };
}

export interface ClaimOptions extends ConnectionOption {
  taskId: bigint | number | string;
  round: number;
  signer?: HardhatEthersSigner;
}

export interface Claimed {
  taskId: bigint;
  round: number;
  client: string;
  amount: bigint;
  txHash: string;
}

export interface ClaimAllOptions extends ConnectionOption {
  taskId: bigint | number | string;
  signer?: HardhatEthersSigner;
}

/** Why a finalized round the account recorded an update in pays it nothing now. */
export type UnclaimableReason = "already-claimed" | "rejected";

export interface ClaimedAll {
  taskId: bigint;
  client: string;
  claimed: Claimed[];
  /** Finalized rounds with an update of this account that were not claimed now, and why. */
  skipped: Array<{ round: number; reason: UnclaimableReason }>;
}

export interface CancelOptions extends ConnectionOption {
  taskId: bigint | number | string;
  /** The creator's account (default: the network's first). */
  signer?: HardhatEthersSigner;
}

export interface CancelledTask {
  taskId: bigint;
  /** The failed round the task was cancelled at. */
  round: number;
  /** What went back to the creator: the pools of every round not finalized. */
  refund: bigint;
  creator: string;
  txHash: string;
}
