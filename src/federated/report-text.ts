import { format0G } from "../chain/amount.js";

import { chance, lossRange, scoreRange, type Range } from "./report-scales.js";
import type { SimulatedRound, SimulationResult } from "./simulation-types.js";

type Timings = SimulatedRound["timings"];

const BLOCKS = "▁▂▃▄▅▆▇█";
export const TIMING_PHASES = ["train", "encrypt", "upload", "chain", "aggregate"] as const;

/**
 * One block character per value, placed on `range` (the metric's meaningful scale, report-scales.ts)
 * rather than the series' own min..max, so a 1e-5 wobble stays flat instead of spanning every block.
 * Without a range the series' min..max is used; a flat series then gets the middle block.
 * Non-finite values (a diverged log-loss) become a space so they cannot skew the scale.
 */
export function sparkline(values: number[], range?: Range): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return values.map(() => " ").join("");
  const min = range?.min ?? Math.min(...finite);
  const span = (range?.max ?? Math.max(...finite)) - min;
  return values
    .map((v) => {
      if (!Number.isFinite(v)) return " ";
      if (span === 0) return BLOCKS[3];
      const at = Math.min(1, Math.max(0, (v - min) / span));
      return BLOCKS[Math.round(at * (BLOCKS.length - 1))];
    })
    .join("");
}

/** The numbers both the terminal summary and the HTML report show, computed in one place. */
export interface ReportStats {
  /** The last round's accuracy; null before any round ran. */
  finalAccuracy: number | null;
  /** Centralized minus final accuracy, in percentage points (positive = federated is behind). */
  gapPoints: number | null;
  /** Multi-class or imbalanced test data, where accuracy alone misleads: show balanced accuracy and macro-F1. */
  showBalanced: boolean;
  accepted: number;
  rejected: number;
  /** Integer means over every call (not a mean of per-round means); null if there were none. */
  meanRecordUpdateGas: bigint | null;
  meanFinalizeRoundGas: bigint | null;
  timings: Timings;
}

export function reportStats(result: SimulationResult): ReportStats {
  const last = result.rounds.at(-1);
  const finalAccuracy = last?.metrics.accuracy ?? null;
  const timings: Timings = { train: 0, encrypt: 0, upload: 0, chain: 0, aggregate: 0 };
  for (const r of result.rounds) for (const phase of TIMING_PHASES) timings[phase] += r.timings[phase];
  return {
    finalAccuracy,
    gapPoints: finalAccuracy === null ? null : (result.centralized.accuracy - finalAccuracy) * 100,
    showBalanced: showsBalancedMetrics(result),
    accepted: result.rounds.reduce((n, r) => n + r.accepted.length, 0),
    rejected: result.rounds.reduce((n, r) => n + r.rejected.length, 0),
    meanRecordUpdateGas: meanGas(result.rounds.flatMap((r) => r.gas.recordUpdate)),
    meanFinalizeRoundGas: meanGas(result.rounds.map((r) => r.gas.finalizeRound)),
    timings,
  };
}

/** A class under 35% of a two-class test set already lets "always the majority" score ≥ 65%. */
export const IMBALANCED_SHARE = 0.35;

export function showsBalancedMetrics(result: Pick<SimulationResult, "classes" | "test">): boolean {
  if (result.classes.length > 2) return true;
  const total = result.test.labelCounts.reduce((a, b) => a + b, 0);
  return total > 0 && Math.min(...result.test.labelCounts) / total < IMBALANCED_SHARE;
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
  const metric = (key: keyof SimulatedRound["metrics"]) => result.rounds.map((r) => r.metrics[key]);
  const ends = (xs: number[], fmt: (x: number) => string) => (xs.length === 0 ? "no rounds" : `${fmt(xs[0]!)} → ${fmt(xs.at(-1)!)}`);
  // The same floor as the HTML chart: the majority baseline or chance, whichever is lower.
  const floor = Math.min(result.baseline.accuracy, chance(result.classes.length));
  const scores = (label: string, xs: number[]) => `${label}${sparkline(xs, scoreRange(xs, floor))}  ${ends(xs, formatPercent)}`;
  const central = formatPercent(result.centralized.accuracy);
  const loss = metric("logLoss");

  const lines = [
    `test set  ${describeTestSet(result)}`,
    scores("accuracy  ", metric("accuracy")),
    ...(stats.showBalanced ? [scores("balanced  ", metric("balancedAccuracy")), scores("macro-F1  ", metric("macroF1"))] : []),
    `log-loss  ${sparkline(loss, lossRange(loss, result.classes.length))}  ${ends(loss, (x) => x.toFixed(4))}`,
    stats.finalAccuracy === null || stats.gapPoints === null
      ? `final     no rounds ran (centralized ${central})`
      : `final     ${formatPercent(stats.finalAccuracy)} vs centralized ${central} (gap ${formatGap(stats.gapPoints)})`,
    `baseline  ${formatPercent(result.baseline.accuracy)} always predicting "${result.baseline.majorityClass}" (the training data's most frequent class)`,
  ];
  if (result.alone.length > 0) {
    const acc = result.alone.map((a) => a.accuracy);
    lines.push(`alone     each client on its own data: ${formatPercent(Math.min(...acc))} to ${formatPercent(Math.max(...acc))}`);
  }
  lines.push(`updates   ${stats.accepted} accepted, ${stats.rejected} rejected`);
  if (result.driftCorrection !== undefined) {
    const d = result.driftCorrection;
    lines.push(
      `drift     ${d === null ? "no correction" : `corrected (clients' gradients averaged by the enclave, proximal mu ${d.mu}, gradient clip ${d.maxGradientNorm})`}`,
    );
  }
  if (result.privacy) {
    lines.push(
      `privacy   ε = ${result.privacy.epsilon.toFixed(3)} over ${result.rounds.length} rounds (${result.privacy.accountant}), δ = ${result.privacy.delta}`,
    );
  }
  const last = result.rounds.at(-1);
  if (last !== undefined) lines.push(`protected ${last.protection} (last round)`);
  lines.push(
    `rewards   ${format0G(result.rewards.claimed)} claimed of ${format0G(result.rewards.pool)} pool, ` +
      (result.rules.rewardRule === "equal"
        ? "equal shares per accepted update"
        : `by num_examples capped at ${result.rules.maxClientShare} of a round`),
    `gas       recordUpdate mean ${formatGas(stats.meanRecordUpdateGas)}, finalizeRound mean ${formatGas(stats.meanFinalizeRoundGas)}`,
    `time      ${TIMING_PHASES.map((p) => `${p} ${formatMs(stats.timings[p])}`).join(", ")}`,
  );
  return lines;
}

/** "600 rows from fixtures/landcover-test.csv" or "400 rows held out (20% of the data)". */
export function describeTestSet({ test }: Pick<SimulationResult, "test">): string {
  return test.kind === "file" ? `${test.rows} rows from ${test.source}` : `${test.rows} rows held out (${test.source})`;
}
