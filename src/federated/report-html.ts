import { format0G } from "../chain/amount.js";

import { chance, lossRange, niceAxis, scoreRange, zeroBasedRange } from "./report-scales.js";
import { barLineChart, esc, labelMixChart, lineChart, type Series } from "./report-svg.js";
import {
  TIMING_PHASES,
  describeTestSet,
  formatGap,
  formatGas,
  formatPercent,
  meanGas,
  reportStats,
  type ReportStats,
} from "./report-text.js";
import type { SimulatedRound, SimulationResult } from "./simulation-types.js";
import { DEFAULT_TRIM_FRACTION } from "./strategies.js";

/** The files written next to the report, named in it so a reader finds the raw numbers. */
export interface ReportCompanions {
  csv: string;
  json: string;
}

/**
 * A hash or root shown as 0x123456…abcd. The full value stays in the markup (the middle is only
 * clipped by CSS), in the title (hover), and one click selects all of it, so copying gives the
 * whole value without any script.
 */
export function hashCode(hex: string): string {
  if (hex.length <= 14) return `<code class="hash" title="${esc(hex)}">${esc(hex)}</code>`;
  return (
    `<code class="hash" title="${esc(hex)}"><span>${esc(hex.slice(0, 8))}</span>` +
    `<span class="h-mid">${esc(hex.slice(8, -4))}</span><span>${esc(hex.slice(-4))}</span></code>`
  );
}

const ms = (x: number) => esc(x.toFixed(x < 10 ? 1 : 0));
const pct = (x: number) => esc(formatPercent(x));

/**
 * Self-contained report of one simulated run: inline CSS and SVG only, no scripts and no external
 * references, so it can be archived or mailed and still open offline.
 */
export function renderReportHtml(result: SimulationResult, companions?: ReportCompanions): string {
  const stats = reportStats(result);
  const title = `FLAI federated run — task ${result.taskId}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
${setup(result)}

<h2>Summary</h2>
${summary(result, stats)}

<h2>Label mix per client</h2>
<p class="muted">Each bar is one client's training share (100% wide), with its rows and the accuracy a model trained on that share alone reaches on the test set; the last bar is the test set.</p>
${labelMixChart(
  [
    ...result.partition.labelCounts.map((counts, i) => ({
      label: `client ${i + 1}`,
      counts,
      ...(result.alone[i] ? { note: `alone ${formatPercent(result.alone[i].accuracy)}` } : {}),
    })),
    { label: "test set", counts: result.test.labelCounts },
  ],
  result.classes,
)}

<div class="charts">
<section>
<h2>Scores per round</h2>
${scoreChart(result, stats)}
</section>
<section>
<h2>Log-loss per round</h2>
${lossChart(result)}
</section>
</div>

${privacySection(result)}

<h2>Rounds</h2>
${roundsTable(result, stats)}

<h2>Participation</h2>
${participation(result)}

<h2>Rejected updates</h2>
${rejections(result, stats)}

<h2>Round artifacts</h2>
<p class="muted">Hashes are shortened; hover for the full value, click to select it whole and copy.</p>
${table(
  ["Round", "Global root", "Global hash", "Report root", "Commitment", "Verified", "Protected by"],
  result.rounds.map((r) => [
    esc(r.round),
    hashCode(r.globalRoot),
    hashCode(r.globalHash),
    hashCode(r.reportRoot),
    hashCode(r.commitment),
    r.verified ? `<span class="ok" title="verified">✓</span>` : `<span class="bad" title="not verified">✗</span>`,
    esc(r.protection),
  ]),
)}

<h2>Gas and time</h2>
${costs(result, stats)}
${companions ? `<p class="muted">Per-round metrics also in <code>${esc(companions.csv)}</code> and everything in <code>${esc(companions.json)}</code>, next to this file.</p>` : ""}
</main>
</body>
</html>
`;
}

function setup(result: SimulationResult): string {
  return dl([
    ["Network", esc(result.network)],
    ["Clients", esc(result.clients)],
    ["Rounds", esc(result.rounds.length)],
    ["Classes", esc(result.classes.join(", "))],
    ["Strategy", esc(describeStrategy(result))],
    ["Round rules", esc(describeRules(result))],
    ["Partition", esc(describePartition(result))],
    ["Test set", esc(describeTestSet(result))],
  ]);
}

function summary(result: SimulationResult, stats: ReportStats): string {
  const last = result.rounds.at(-1);
  const c = result.centralized;
  const rows: [string, string][] = [
    [
      "Final accuracy",
      stats.finalAccuracy === null || stats.gapPoints === null
        ? "no rounds ran"
        : `<strong>${pct(stats.finalAccuracy)}</strong> vs centralized ${pct(c.accuracy)} (gap ${esc(formatGap(stats.gapPoints))})`,
    ],
  ];
  if (stats.showBalanced && last) {
    rows.push(
      ["Balanced accuracy", `${pct(last.metrics.balancedAccuracy)} vs centralized ${pct(c.balancedAccuracy)}`],
      ["Macro-F1", `${pct(last.metrics.macroF1)} vs centralized ${pct(c.macroF1)}`],
    );
  }
  rows.push(
    ["Log-loss", `${last ? esc(last.metrics.logLoss.toFixed(4)) : "—"} vs centralized ${esc(c.logLoss.toFixed(4))}`],
    [
      "Majority baseline",
      `${pct(result.baseline.accuracy)} (always “${esc(result.baseline.majorityClass)}”, the training data's most frequent class)`,
    ],
  );
  if (result.alone.length > 0) {
    const acc = result.alone.map((a) => a.accuracy);
    rows.push([
      "Each client alone",
      `${pct(Math.min(...acc))} to ${pct(Math.max(...acc))} (a model trained on one client's share, same test set)`,
    ]);
  }
  rows.push(
    ["Final model root", hashCode(result.finalModelRoot)],
    ["Updates", `${esc(stats.accepted)} accepted, ${esc(stats.rejected)} rejected`],
    ["Rewards", `${esc(format0G(result.rewards.claimed))} claimed of ${esc(format0G(result.rewards.pool))} pool`],
  );
  if (result.privacy) {
    const p = result.privacy;
    rows.push([
      "Privacy (composed)",
      `ε = ${esc(p.epsilon.toFixed(3))}, δ = ${esc(p.delta)} over ${esc(result.rounds.length)} rounds (${esc(p.accountant)} accountant)`,
    ]);
  }
  rows.push([
    "Gas (mean)",
    `recordUpdate ${esc(formatGas(stats.meanRecordUpdateGas))}, finalizeRound ${esc(formatGas(stats.meanFinalizeRoundGas))}`,
  ]);
  return dl(rows);
}

function scoreChart(result: SimulationResult, stats: ReportStats): string {
  const pick = (key: keyof SimulatedRound["metrics"]) => result.rounds.map((r): [number, number] => [r.round, r.metrics[key]]);
  const series: Series[] = [{ name: "accuracy", points: pick("accuracy"), style: "s-acc" }];
  if (stats.showBalanced) {
    series.push(
      { name: "balanced accuracy", points: pick("balancedAccuracy"), style: "s-bal" },
      { name: "macro-F1", points: pick("macroF1"), style: "s-f1" },
    );
  }
  const values = [...series.flatMap((s) => s.points.map(([, y]) => y)), result.centralized.accuracy];
  const floor = Math.min(result.baseline.accuracy, chance(result.classes.length));
  return lineChart({
    series,
    axis: niceAxis(scoreRange(values, floor), 100, "%"),
    yLabel: "score (%)",
    references: [
      { value: result.centralized.accuracy, label: `centralized accuracy ${formatPercent(result.centralized.accuracy)}`, style: "ref" },
      { value: result.baseline.accuracy, label: `majority baseline ${formatPercent(result.baseline.accuracy)}`, style: "ref-dotted" },
    ],
    format: (v) => formatPercent(v),
  });
}

function lossChart(result: SimulationResult): string {
  const points = result.rounds.map((r): [number, number] => [r.round, r.metrics.logLoss]);
  const k = result.classes.length;
  const uniform = Math.log(Math.max(2, k));
  return lineChart({
    series: [{ name: "log-loss", points, style: "s-acc" }],
    axis: niceAxis(lossRange([...points.map(([, y]) => y), result.centralized.logLoss], k)),
    yLabel: "log-loss",
    references: [
      { value: result.centralized.logLoss, label: `centralized ${result.centralized.logLoss.toFixed(4)}`, style: "ref" },
      { value: uniform, label: `uniform guess ln ${Math.max(2, k)} = ${uniform.toFixed(3)}`, style: "ref-dotted" },
    ],
    format: (v) => v.toFixed(4),
  });
}

function privacySection(result: SimulationResult): string {
  const dp = result.rounds.filter((r) => r.dp !== null);
  if (dp.length === 0)
    return `<h2>Privacy</h2>\n<p>No central differential privacy: rounds added no noise (<code>--noise-multiplier</code> enables it).</p>`;
  const last = dp.at(-1)!.dp!;
  const bars = dp.map((r): [number, number] => [r.round, r.dp!.epsilon]);
  const line = dp.map((r): [number, number] => [r.round, r.dp!.epsilonTotal]);
  return `<h2>Privacy per round</h2>
<p class="muted">δ = ${esc(last.delta)}; the total is composed by the ${esc(last.accountant)} accountant, so it is less than the sum of the rounds' ε.</p>
${barLineChart({
  bars,
  line,
  axis: niceAxis(zeroBasedRange([...bars, ...line].map(([, y]) => y))),
  yLabel: "ε",
  names: { bars: "ε of the round", line: "ε composed so far" },
  format: (v) => v.toFixed(3),
})}`;
}

function roundsTable(result: SimulationResult, stats: ReportStats): string {
  // ε columns only when some round added noise: a column of dashes says nothing the Privacy section does not.
  const dp = result.rounds.some((r) => r.dp !== null);
  const headers = [
    "Round",
    "Accuracy",
    ...(stats.showBalanced ? ["Balanced acc.", "Macro-F1"] : []),
    "Log-loss",
    "Accepted",
    "Rejected",
    ...(dp ? ["ε round", "ε total"] : []),
  ];
  const rows = result.rounds.map((r) => [
    esc(r.round),
    pct(r.metrics.accuracy),
    ...(stats.showBalanced ? [pct(r.metrics.balancedAccuracy), pct(r.metrics.macroF1)] : []),
    esc(r.metrics.logLoss.toFixed(4)),
    esc(r.accepted.length),
    esc(r.rejected.length),
    ...(dp ? [r.dp ? esc(r.dp.epsilon.toFixed(3)) : "—", r.dp ? esc(r.dp.epsilonTotal.toFixed(3)) : "—"] : []),
  ]);
  const c = result.centralized;
  rows.push([
    "<em>centralized</em>",
    pct(c.accuracy),
    ...(stats.showBalanced ? [pct(c.balancedAccuracy), pct(c.macroF1)] : []),
    esc(c.logLoss.toFixed(4)),
    "",
    "",
    ...(dp ? ["", ""] : []),
  ]);
  return table(headers, rows, "numbers");
}

/** Clients × rounds: accepted ✓, rejected ✗ (code and reason on hover), or absent. */
function participation(result: SimulationResult): string {
  const headers = ["Client", ...result.rounds.map((r) => `R${r.round}`)];
  const rows = result.clientAddresses.map((address, i) => [
    `client ${esc(i + 1)} ${hashCode(address)}`,
    ...result.rounds.map((r) => {
      const ok = r.accepted.find((d) => d.client.toLowerCase() === address.toLowerCase());
      if (ok) return `<span class="ok" title="accepted: ${esc(ok.numExamples)} examples, weight ${esc(ok.weight)}">✓</span>`;
      const no = r.rejected.find((d) => d.client.toLowerCase() === address.toLowerCase());
      if (no) return `<span class="bad" title="rejected: ${esc(no.code ?? "")} ${esc(no.reason ?? "no reason given")}">✗</span>`;
      return `<span class="muted" title="no update this round">·</span>`;
    }),
  ]);
  return table(headers, rows, "grid");
}

function rejections(result: SimulationResult, stats: ReportStats): string {
  if (stats.rejected === 0) return "<p>none</p>";
  return table(
    ["Round", "Client", "Code", "Reason"],
    result.rounds.flatMap((r) =>
      r.rejected.map((d) => [
        esc(r.round),
        hashCode(d.client),
        d.code ? `<code>${esc(d.code)}</code>` : "—",
        d.reason ? esc(d.reason) : "<em>no reason given</em>",
      ]),
    ),
  );
}

function costs(result: SimulationResult, stats: ReportStats): string {
  const sumTimings = (t: SimulatedRound["timings"]) => TIMING_PHASES.reduce((s, p) => s + t[p], 0);
  return table(
    ["Round", "finalizeRound gas", "mean recordUpdate gas", ...TIMING_PHASES.map((p) => `${p} ms`), "total ms"],
    [
      ...result.rounds.map((r) => [
        esc(r.round),
        esc(formatGas(r.gas.finalizeRound)),
        esc(formatGas(meanGas(r.gas.recordUpdate))),
        ...TIMING_PHASES.map((p) => ms(r.timings[p])),
        ms(sumTimings(r.timings)),
      ]),
      [
        "<strong>all</strong>",
        `<strong>${esc(formatGas(stats.meanFinalizeRoundGas))}</strong> mean`,
        `<strong>${esc(formatGas(stats.meanRecordUpdateGas))}</strong> mean`,
        ...TIMING_PHASES.map((p) => `<strong>${ms(stats.timings[p])}</strong>`),
        `<strong>${ms(sumTimings(stats.timings))}</strong>`,
      ],
    ],
    "numbers",
  );
}

function describeStrategy({ strategy: s }: SimulationResult): string {
  const parts: string[] = [s.name];
  if (s.name === "trimmed-mean") parts.push(`trim ${s.trimFraction ?? DEFAULT_TRIM_FRACTION}`);
  if (s.clippingNorm !== undefined) parts.push(`clip ${s.clippingNorm}`);
  if (s.noiseMultiplier !== undefined) parts.push(`noise ×${s.noiseMultiplier}`);
  return parts.join(", ");
}

function describeRules({ rules: r }: SimulationResult): string {
  return `at least ${r.minAccepted} accepted updates per round, no client above ${r.maxClientShare} of a round, update norm ≤ ${r.maxUpdateNorm}, ${r.rewardRule} rewards`;
}

function describePartition({ partition: p }: SimulationResult): string {
  const total = p.sizes.reduce((a, b) => a + b, 0);
  return `${p.scheme}${p.alpha !== undefined ? ` (α = ${p.alpha})` : ""}, seed ${p.seed}, ${total} rows over ${p.sizes.length} clients`;
}

/** Values must already be escaped markup. */
function dl(rows: [string, string][]): string {
  return `<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
}

/** Cells must already be escaped markup; headers are escaped here. */
function table(headers: readonly string[], rows: string[][], kind = ""): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("\n");
  return `<div class="scroll"><table class="${kind}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #656d76; --bg: #ffffff; --line: #d0d7de; --accent: #0072B2; --second: #E69F00; --third: #009E73; --ok: #1a7f37; --bad: #cf222e; --stripe: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #8d96a0; --bg: #0d1117; --line: #30363d; --accent: #56B4E9; --ok: #3fb950; --bad: #f85149; --stripe: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 16px; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
p { margin: 6px 0; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 16px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code.hash { white-space: nowrap; user-select: all; -webkit-user-select: all; cursor: copy; }
/* The middle is shrunk to nothing, not hidden: a zero-width box would drop it from a copied selection (checked in Chromium). */
code.hash .h-mid { font-size: 0; }
code.hash > span:first-child::after { content: "…"; }
.muted { color: var(--muted); }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; white-space: nowrap; }
table.numbers td:not(:first-child), table.numbers th:not(:first-child) { text-align: right; }
table.grid td:not(:first-child), table.grid th:not(:first-child) { text-align: center; padding: 4px 6px; }
tbody tr:nth-child(even) { background: var(--stripe); }
.ok { color: var(--ok); font-weight: 700; }
.bad { color: var(--bad); font-weight: 700; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 0 24px; }
figure { margin: 0; }
.chart { width: 100%; max-width: 640px; height: auto; display: block; }
.chart.mix { max-width: 760px; }
.chart text { fill: var(--fg); font-size: 11px; }
.chart .label { fill: var(--muted); font-size: 12px; }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .axis { stroke: var(--fg); stroke-width: 1; }
.chart .series { fill: none; stroke-width: 2; }
.chart .series.s-acc, .chart .series.s-total { stroke: var(--accent); }
.chart .series.s-bal { stroke: var(--second); stroke-dasharray: 7 3; }
.chart .series.s-f1 { stroke: var(--third); stroke-dasharray: 2 3; }
.chart .dot.s-acc, .chart .dot.s-total { fill: var(--accent); }
.chart .dot.s-bal { fill: var(--second); }
.chart .dot.s-f1 { fill: var(--third); }
.chart .bar { fill: var(--second); opacity: 0.75; }
.chart .empty { fill: none; stroke: var(--line); }
.chart .ref { stroke: var(--muted); stroke-width: 1.5; stroke-dasharray: 6 4; }
.chart .ref-dotted { stroke: var(--muted); stroke-width: 1.5; stroke-dasharray: 1 3; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12px; color: var(--muted); margin: 4px 0 0 64px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 14px; height: 10px; border-radius: 2px; }
.swatch.s-acc, .swatch.s-total { background: var(--accent); }
.swatch.s-bal { background: var(--second); }
.swatch.s-f1 { background: var(--third); }
.swatch.bar { background: var(--second); opacity: 0.75; }
.swatch-line { display: inline-block; width: 22px; height: 0; border-top: 2px dashed var(--muted); }
.swatch-line.ref-dotted { border-top-style: dotted; }
`;
