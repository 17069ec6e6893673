import { definePlugin } from "hardhat/plugins";

import "./type-extensions.js";

import { taskDefinitions } from "./task-definitions.js";

const hardhatFlaiPlugin = definePlugin({
  id: "hardhat-flai",
  npmPackage: "hardhat-flai",
  dependencies: () => [import("@nomicfoundation/hardhat-ethers"), import("@nomicfoundation/hardhat-ignition-ethers")],
  hookHandlers: {
    config: () => import("./hooks/config.js"),
    hre: () => import("./hooks/hre.js"),
  },
  tasks: taskDefinitions,
});

export default hardhatFlaiPlugin;

// The types hre.flai.* takes and returns, importable from the package (type-only: nothing loads).
export type { FlaiConfig, FlaiDeploymentAddresses, FlaiMarketSettings, FlaiUserConfig } from "./config.js";
export type { FlaiRuntime } from "./runtime.js";
export type { Deployment } from "./chain/deployment.js";
export type { FlaiJobs } from "./jobs/client.js";
export type {
  CompletedJob,
  ConnectionOption,
  EnclaveRegistration,
  InputRef,
  JobStatus,
  JobView,
  SubmitOptions,
  SubmittedJob,
} from "./jobs/types.js";
export type { FlaiFederated } from "./federated/client.js";
export type {
  AdmitOptions,
  AdmittedReaders,
  AggregatedRound,
  AggregateOptions,
  CancelledTask,
  CancelOptions,
  ClaimAllOptions,
  ClaimedAll,
  Claimed,
  ClaimOptions,
  ClientRoundOptions,
  ClientRoundResult,
  CreatedTask,
  CreateTaskOptions,
  FederatedTaskView,
  ReadGlobalModel,
  ReadModelOptions,
  RecordedUpdateView,
  RoundView,
  SealedUpdate,
  TaskStatus,
  UnclaimableReason,
} from "./federated/types.js";
export type { FollowAggregatorOptions, FollowAggregatorResult } from "./federated/follow-aggregator.js";
export type { FollowClientOptions, FollowClientResult } from "./federated/follow-client.js";
export type { GlobalModel, ModelFormat } from "./federated/global-model.js";
export type { DriftCorrection } from "./federated/drift-correction.js";
export type { MetricsWord } from "./federated/metrics-word.js";
export type { RewardRule, RoundRules } from "./federated/round-rules.js";
export type { RoundReport } from "./federated/round-report.js";
export type { StrategyConfig } from "./federated/strategies.js";
export type { LocalTrainingOptions, StrategyUserConfig } from "./federated/deprecated-keys.js";
export type { Dataset } from "./ml/dataset.js";
export type { FlaiMarket } from "./market/client.js";
export type {
  ChatAnswer,
  LedgerView,
  MarketOptions,
  PingResult,
  ProviderInfo,
  SettlementMark,
  SettlementObservation,
  SetupResult,
} from "./market/types.js";
export type { DownloadResult, ReadOptions, Root, StorageBackend, StorageProgress, TransferOptions, UploadResult } from "./storage/types.js";
export type { EnclaveKeys, EnclaveReport } from "./tee/attestation.js";
export type { TeeSim, TeeSimOptions, TrainingJob, TrainingResult } from "./tee/enclave.js";
export type { EnclaveIdentity } from "./tee/identity.js";
export type { VerifiedEnclave } from "./tee/registry.js";
export type { Verdict, VerifyItem, VerifyOptions } from "./verify/common.js";
export { ZEROG_CHAINS, zeroGNetwork, PRIVATE_KEY_VARIABLE } from "./chain/networks.js";
