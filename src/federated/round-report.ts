import { canonicalJson } from "../ml/model.js";

import type { GlobalMetrics } from "./global-model.js";
import type { RejectionCode } from "./rejections.js";
import type { RoundProtection, RoundRules } from "./round-rules.js";
import type { StrategyConfig } from "./strategies.js";

/**
 * The round report: typed once, here, for the three parties that read it — the enclave writes it
 * (aggregator.ts), a verifier checks it against the chain (verify/rounds.ts), and clients rebuild
 * the commitment from it to claim their rewards (client.ts, follow-client.ts). Its root is signed
 * on-chain (RoundResult.reportRoot), so its bytes never change for a round once published.
 */
export const ROUND_REPORT_FORMAT = "flai-round-report/v1";

/** The enclave's decision on one recorded update. */
export interface Decision {
  client: string;
  updateRoot: string;
  updateHash: string;
  /** The num_examples the client declared (as recorded on-chain); self-reported, never trusted as is. */
  numExamples: number;
  /** The update's reward weight in the round's commitment (0 when rejected): not numExamples, see weights.ts. */
  weight: number;
  /** Accepted, fedavg/fedprox without DP: the capped num_examples the mean used. */
  aggregationWeight?: number;
  /** Accepted: true when num_examples was above the task's maxClientShare cap. */
  capped?: boolean;
  /** Rejected: why, as a code (for decisions) and a reason (for people). */
  code?: RejectionCode;
  reason?: string;
}

/** An accepted update as the report lists it: its leaf in the round's commitment. */
export type ReportedAccepted = Decision & { cumulativeWeightBefore: number };

/**
 * A rejected update as the report lists it. Verdicts go by `code`; `reason` is for people and may
 * be reworded. (Every report the enclave wrote since rejection codes exist carries the code; a
 * report without one is judged as if the reason were unknown — never matched by its text.)
 */
export type ReportedRejected = Decision & { code: RejectionCode; reason: string };

export interface RoundReport {
  format: typeof ROUND_REPORT_FORMAT;
  /** The round's binding (as in RoundResult's EIP-712 domain and struct), in decimal. */
  chainId: string;
  contract: string;
  taskId: string;
  round: number;
  previousHash: string;
  globalHash: string;
  globalRoot: string;
  /** The root of the reward commitment over `accepted` (commitment.ts). */
  commitment: string;
  /** In commitment (leaf) order. */
  accepted: ReportedAccepted[];
  rejected: ReportedRejected[];
  metrics: GlobalMetrics;
  strategy: StrategyConfig;
  rules: RoundRules;
  /** The maxClientShare cap applied to num_examples, or null when none was needed. */
  weightCap: number | null;
  protection: RoundProtection & { summary: string };
}

/** The report's bytes, as the enclave publishes them (and the root on-chain is computed over). */
export function roundReportBytes(report: RoundReport): Uint8Array {
  return new TextEncoder().encode(canonicalJson(report) + "\n");
}

/**
 * A published report's bytes read back, as stated. Not validated: the verifier checks every field
 * against the chain, and claims check the commitment rebuilt from it against the on-chain root.
 */
export function readRoundReport(bytes: Uint8Array): RoundReport {
  return JSON.parse(Buffer.from(bytes).toString("utf8")) as RoundReport;
}
