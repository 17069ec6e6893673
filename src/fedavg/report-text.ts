import { format0G } from "../amount.js";

import type { SimulatedRound, SimulationResult } from "./simulation-types.js";

type Timings = SimulatedRound["timings"];

const BLOCKS = "▁▂▃▄▅▆▇█";
export const TIMING_PHASES = ["train", "encrypt", "upload", "chain", "aggregate"] as const;

/**
 * One block character per value, scaled between the series' min and max. A flat series gets the
 * middle block (no trend to show, but the length still says how many rounds); non-finite values
 * (a diverged log-loss) become a space so they cannot skew the scale.
 */
export function sparkline(values: number[]): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return values.map(() => " ").join("");
  const min = Math.min(...finite);
  const span = Math.max(...finite) - min;
  return values
    .map((v) => {
      if (!Number.isFinite(v)) return " ";
      if (span === 0) return BLOCKS[3];
      return BLOCKS[Math.round(((v - min) / span) * (BLOCKS.length - 1))];
    })
    .join("");
}

/** The numbers both the terminal summary and the HTML report show, computed in one place. */
export interface ReportStats {
  /** The last round's accuracy; null before any round ran. */
  finalAccuracy: number | null;
  /** Centralized minus final accuracy, in percentage points (positive = federated is behind). */
  gapPoints: number | null;
  accepted: number;
  rejected: number;
  /** Integer means over every call (not a mean of per-round means); null if there were none. */
  meanRecordUpdateGas: bigint | null;
  meanFinalizeRoundGas: bigint | null;
  timings: Timings;
}

export function reportStats(result: SimulationResult): ReportStats {
  const last = result.rounds.at(-1);
  const finalAccuracy = last?.accuracy ?? null;
  const timings: Timings = { train: 0, encrypt: 0, upload: 0, chain: 0, aggregate: 0 };
  for (const r of result.rounds) for (const phase of TIMING_PHASES) timings[phase] += r.timings[phase];
  return {
    finalAccuracy,
    gapPoints: finalAccuracy === null ? null : (result.centralized.accuracy - finalAccuracy) * 100,
    accepted: result.rounds.reduce((n, r) => n + r.accepted.length, 0),
    rejected: result.rounds.reduce((n, r) => n + r.rejected.length, 0),
    meanRecordUpdateGas: meanGas(result.rounds.flatMap((r) => r.gas.recordUpdate)),
    meanFinalizeRoundGas: meanGas(result.rounds.map((r) => r.gas.finalizeRound)),
    timings,
  };
}

export function meanGas(values: readonly bigint[]): bigint | null {
  if (values.length === 0) return null;
  return values.reduce((a, b) => a + b, 0n) / BigInt(values.length);
}

export const formatPercent = (x: number) => `${(x * 100).toFixed(2)}%`;
export const formatGas = (gas: bigint | null) => (gas === null ? "—" : gas.toLocaleString("en-US"));

/** "1.70 points"; rounded before the sign check so a tiny negative never prints "-0.00". */
export function formatGap(points: number): string {
  const rounded = Math.round(points * 100) / 100 || 0;
  return `${rounded.toFixed(2)} points${rounded < 0 ? " (federated ahead)" : ""}`;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

/** A few plain lines (no ANSI) for the end of a simulation run; the HTML report has the detail. */
export function renderReportSummary(result: SimulationResult): string[] {
  const stats = reportStats(result);
  const acc = result.rounds.map((r) => r.accuracy);
  const loss = result.rounds.map((r) => r.logLoss);
  const ends = (xs: number[], fmt: (x: number) => string) =>
    xs.length === 0 ? "no rounds" : `${fmt(xs[0]!)} → ${fmt(xs.at(-1)!)}`;
  const central = formatPercent(result.centralized.accuracy);

  const lines = [
    `accuracy  ${sparkline(acc)}  ${ends(acc, formatPercent)}`,
    `log-loss  ${sparkline(loss)}  ${ends(loss, (x) => x.toFixed(4))}`,
    stats.finalAccuracy === null || stats.gapPoints === null
      ? `final     no rounds ran (centralized ${central})`
      : `final     ${formatPercent(stats.finalAccuracy)} vs centralized ${central} (gap ${formatGap(stats.gapPoints)})`,
    `updates   ${stats.accepted} accepted, ${stats.rejected} rejected`,
  ];
  if (result.privacy) {
    lines.push(`privacy   ε = ${result.privacy.epsilon.toFixed(3)}, δ = ${result.privacy.delta}`);
  }
  const last = result.rounds.at(-1);
  if (last !== undefined) lines.push(`protected ${last.protection} (last round)`);
  lines.push(
    `rewards   ${format0G(result.rewards.claimed)} claimed of ${format0G(result.rewards.pool)} pool, ` +
      (result.rules.rewardRule === "equal" ? "equal shares per accepted update" : `by num_examples capped at ${result.rules.maxClientShare} of a round`),
    `gas       recordUpdate mean ${formatGas(stats.meanRecordUpdateGas)}, finalizeRound mean ${formatGas(stats.meanFinalizeRoundGas)}`,
    `time      ${TIMING_PHASES.map((p) => `${p} ${formatMs(stats.timings[p])}`).join(", ")}`,
  );
  return lines;
}
