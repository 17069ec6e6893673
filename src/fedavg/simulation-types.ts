import type { Decision } from "./aggregator.js";
import type { RoundRules } from "./round-rules.js";
import type { StrategyConfig } from "./strategies.js";

/** One round of a simulated federated run, as the report shows it. */
export interface SimulatedRound {
  round: number;
  accuracy: number;
  logLoss: number;
  globalRoot: string;
  globalHash: string;
  reportRoot: string;
  commitment: string;
  accepted: Decision[];
  rejected: Decision[];
  epsilon: number | null;
  /** What kept the round's updates private (describeProtection), e.g. "5 accepted updates ≥ minimum 3". */
  protection: string;
  gas: { recordUpdate: bigint[]; finalizeRound: bigint };
  /** Milliseconds, summed over the round's clients where it applies. */
  timings: { train: number; encrypt: number; upload: number; chain: number; aggregate: number };
  /** Every hash recorded on-chain matched the stored artifact (checked after the round). */
  verified: boolean;
}

export interface SimulationResult {
  taskId: bigint;
  network: string;
  clients: number;
  rounds: SimulatedRound[];
  strategy: StrategyConfig;
  /** The task's round rules as committed in its initial global model. */
  rules: RoundRules;
  partition: { scheme: "iid" | "dirichlet"; alpha?: number; seed: number; sizes: number[] };
  /** Accuracy of one model trained on all clients' data pooled, on the same holdout. */
  centralized: { accuracy: number; logLoss: number };
  /** Cumulative (ε, δ) over all rounds when central DP was on. */
  privacy: { epsilon: number; delta: number } | null;
  rewards: { pool: bigint; claimed: bigint };
  finalModelRoot: string;
}
