import type { ClassificationMetrics } from "../ml/classification-metrics.js";

import type { Decision } from "./round-report.js";
import type { RoundRules } from "./round-rules.js";
import type { DriftCorrection } from "./drift-correction.js";
import type { StrategyConfig } from "./strategies.js";

/** Central DP of one round as the enclave accounted it; null when the round added no noise. */
export interface RoundPrivacy {
  /** ε of this round alone. */
  epsilon: number;
  /** ε composed over rounds 1..this one of the task (the accountant's total, not a sum). */
  epsilonTotal: number;
  delta: number;
  /** Which accountant composed the rounds, e.g. "rdp". */
  accountant: string;
}

/** One round of a simulated federated run, as the report shows it. */
export interface SimulatedRound {
  round: number;
  /** The round's published global model scored on the run's test set. */
  metrics: ClassificationMetrics;
  globalRoot: string;
  globalHash: string;
  reportRoot: string;
  commitment: string;
  accepted: Decision[];
  rejected: Decision[];
  dp: RoundPrivacy | null;
  /** What kept the round's updates private (describeProtection), e.g. "5 accepted updates ≥ minimum 3". */
  protection: string;
  gas: { recordUpdate: bigint[]; finalizeRound: bigint };
  /** Milliseconds, summed over the round's clients where it applies. */
  timings: { train: number; encrypt: number; upload: number; chain: number; aggregate: number };
  /** Every hash recorded on-chain matched the stored artifact (checked after the round). */
  verified: boolean;
}

/** Where the test set came from and what it holds. */
export interface TestSetInfo {
  /** "holdout" = a stratified share of --data; "file" = an external --test file. */
  kind: "holdout" | "file";
  /** The file (for "file") or the fraction held out of --data (for "holdout"), for the reader. */
  source: string;
  rows: number;
  /** Rows per class, in `classes` order. */
  labelCounts: number[];
}

export interface SimulationResult {
  taskId: bigint;
  network: string;
  clients: number;
  /** The accounts that played client 1..N, in order (the participation grid's rows). */
  clientAddresses: string[];
  rounds: SimulatedRound[];
  strategy: StrategyConfig;
  /** The task's round rules as committed in its initial global model. */
  rules: RoundRules;
  /** The task's drift correction as committed in its initial global model (null: off); absent in older results. */
  driftCorrection?: DriftCorrection | null;
  /** The label values in class-index order, as text. */
  classes: string[];
  partition: {
    scheme: "iid" | "dirichlet";
    alpha?: number;
    seed: number;
    sizes: number[];
    /** labelCounts[client][class]: the picture of the split. */
    labelCounts: number[][];
  };
  test: TestSetInfo;
  /** Always predicting the training data's most frequent class, scored on the test set. */
  baseline: { majorityClass: string; accuracy: number };
  /** One model trained on all clients' data pooled, scored on the same test set. */
  centralized: ClassificationMetrics;
  /** Each client's model trained on its own share alone, on the same test set (what federation adds). */
  alone: Array<{ accuracy: number; balancedAccuracy: number }>;
  /** Composed (ε, δ) over all rounds when central DP was on: the last round's total. */
  privacy: { epsilon: number; delta: number; accountant: string } | null;
  rewards: { pool: bigint; claimed: bigint };
  finalModelRoot: string;
}
