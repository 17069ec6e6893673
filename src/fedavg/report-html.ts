import { format0G } from "../amount.js";

import {
  TIMING_PHASES,
  formatGap,
  formatGas,
  formatPercent,
  meanGas,
  reportStats,
} from "./report-text.js";
import type { SimulationResult } from "./simulation-types.js";
import { DEFAULT_TRIM_FRACTION } from "./strategies.js";

/** Everything interpolated into markup goes through here: reasons and names come from clients. */
function esc(value: unknown): string {
  return String(value)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** A hash shown as 0x1234…abcd; the full value stays in the title (hover) and in the markup. */
function short(hex: string): string {
  const text = hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex;
  return `<code title="${esc(hex)}">${esc(text)}</code>`;
}

const ms = (x: number) => esc(x.toFixed(x < 10 ? 1 : 0));

/**
 * Self-contained report of one simulated run: inline CSS and SVG only, no scripts and no external
 * references, so it can be archived or mailed and still open offline.
 */
export function renderReportHtml(result: SimulationResult): string {
  const stats = reportStats(result);
  const rounds = result.rounds;
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
${dl([
  ["Network", esc(result.network)],
  ["Clients", esc(result.clients)],
  ["Rounds", esc(rounds.length)],
  ["Strategy", esc(describeStrategy(result))],
  ["Round rules", esc(describeRules(result))],
  ["Partition", esc(describePartition(result))],
  ["Client sizes", clientSizes(result.partition.sizes)],
])}

<h2>Summary</h2>
${dl([
  [
    "Final accuracy",
    stats.finalAccuracy === null || stats.gapPoints === null
      ? "no rounds ran"
      : `<strong>${esc(formatPercent(stats.finalAccuracy))}</strong> vs centralized ${esc(formatPercent(result.centralized.accuracy))} ` +
        `(gap ${esc(formatGap(stats.gapPoints))})`,
  ],
  ["Centralized log-loss", esc(result.centralized.logLoss.toFixed(4))],
  ["Final model root", `<code>${esc(result.finalModelRoot)}</code>`],
  ["Updates", `${esc(stats.accepted)} accepted, ${esc(stats.rejected)} rejected`],
  ["Rewards", `${esc(format0G(result.rewards.claimed))} claimed of ${esc(format0G(result.rewards.pool))} pool`],
  ...(result.privacy
    ? [["Privacy (cumulative)", `ε = ${esc(result.privacy.epsilon.toFixed(3))}, δ = ${esc(result.privacy.delta)}`] as [string, string]]
    : []),
  ["Gas (mean)", `recordUpdate ${esc(formatGas(stats.meanRecordUpdateGas))}, finalizeRound ${esc(formatGas(stats.meanFinalizeRoundGas))}`],
])}

<h2>Accuracy per round</h2>
${lineChart({
  points: rounds.map((r) => [r.round, r.accuracy * 100]),
  yLabel: "accuracy (%)",
  bounds: [0, 100],
  reference: { value: result.centralized.accuracy * 100, label: `centralized ${formatPercent(result.centralized.accuracy)}` },
  format: (v) => `${v.toFixed(2)}%`,
})}

<h2>Log-loss per round</h2>
${lineChart({
  points: rounds.map((r) => [r.round, r.logLoss]),
  yLabel: "log-loss",
  bounds: [0, Infinity],
  format: (v) => v.toFixed(4),
})}

<h2>Rounds</h2>
${table(
  ["Round", "Accuracy", "Log-loss", "Accepted", "Rejected", "ε", "Protected by", "Global root", "Global hash", "Report root", "Commitment", "Verified", "finalizeRound gas", "Mean recordUpdate gas"],
  rounds.map((r) => [
    esc(r.round),
    esc(formatPercent(r.accuracy)),
    esc(r.logLoss.toFixed(4)),
    esc(r.accepted.length),
    esc(r.rejected.length),
    r.epsilon === null ? "—" : esc(r.epsilon.toFixed(3)),
    esc(r.protection),
    `<code class="root">${esc(r.globalRoot)}</code>`,
    short(r.globalHash),
    `<code class="root">${esc(r.reportRoot)}</code>`,
    short(r.commitment),
    r.verified ? `<span class="ok" title="verified">✓</span>` : `<span class="bad" title="not verified">✗</span>`,
    esc(formatGas(r.gas.finalizeRound)),
    esc(formatGas(meanGas(r.gas.recordUpdate))),
  ]),
)}

<h2>Rejected updates</h2>
${
  stats.rejected === 0
    ? "<p>none</p>"
    : table(
        ["Round", "Client", "Code", "Reason"],
        rounds.flatMap((r) =>
          r.rejected.map((d) => [
            esc(r.round),
            `<code>${esc(d.client)}</code>`,
            d.code ? `<code>${esc(d.code)}</code>` : "—",
            d.reason ? esc(d.reason) : "<em>no reason given</em>",
          ]),
        ),
      )
}

<h2>Timing (ms)</h2>
${table(
  ["Round", ...TIMING_PHASES, "total"],
  [
    ...rounds.map((r) => [esc(r.round), ...TIMING_PHASES.map((p) => ms(r.timings[p])), ms(sumTimings(r.timings))]),
    ["<strong>all</strong>", ...TIMING_PHASES.map((p) => `<strong>${ms(stats.timings[p])}</strong>`), `<strong>${ms(sumTimings(stats.timings))}</strong>`],
  ],
)}
</main>
</body>
</html>
`;
}

function describeStrategy({ strategy: s }: SimulationResult): string {
  const parts: string[] = [s.name];
  if (s.name === "trimmed-mean") parts.push(`trim ${s.trimFraction ?? DEFAULT_TRIM_FRACTION}`);
  if (s.clipNorm !== undefined) parts.push(`clip ${s.clipNorm}`);
  if (s.noiseMultiplier !== undefined) parts.push(`noise ×${s.noiseMultiplier}`);
  return parts.join(", ");
}

function describeRules({ rules: r }: SimulationResult): string {
  return `at least ${r.minAccepted} accepted updates per round, no client above ${r.maxClientShare} of a round, update norm ≤ ${r.maxUpdateNorm}, ${r.rewardRule} rewards`;
}

function describePartition({ partition: p }: SimulationResult): string {
  return `${p.scheme}${p.alpha !== undefined ? ` (α = ${p.alpha})` : ""}, seed ${p.seed}`;
}

function clientSizes(sizes: number[]): string {
  const total = sizes.reduce((a, b) => a + b, 0);
  const items = sizes.map((n, i) => `<span>#${i}&nbsp;${esc(n)}</span>`).join(" ");
  return `<span class="sizes">${items}</span> <span class="muted">(${esc(total)} rows)</span>`;
}

const sumTimings = (t: Record<(typeof TIMING_PHASES)[number], number>) => TIMING_PHASES.reduce((s, p) => s + t[p], 0);

/** Values must already be escaped markup. */
function dl(rows: [string, string][]): string {
  return `<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
}

/** Cells must already be escaped markup; headers are escaped here. */
function table(headers: readonly string[], rows: string[][]): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("\n");
  return `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

interface ChartSpec {
  points: [x: number, y: number][];
  yLabel: string;
  /** The y axis never extends past these (accuracy stays within 0–100%). */
  bounds: [number, number];
  reference?: { value: number; label: string };
  format: (v: number) => string;
}

const W = 640;
const H = 260;
const M = { top: 16, right: 20, bottom: 42, left: 60 };

function lineChart({ points, yLabel, bounds, reference, format }: ChartSpec): string {
  // Non-finite values (a diverged loss) are skipped rather than stretching the axis to infinity.
  const ys = points.map(([, y]) => y).filter(Number.isFinite);
  if (reference && Number.isFinite(reference.value)) ys.push(reference.value);
  if (ys.length === 0) return "<p>no data</p>";

  const yAxis = niceAxis(Math.min(...ys), Math.max(...ys), bounds);
  const xs = points.map(([x]) => x);
  const [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  // A single round sits in the middle instead of dividing by a zero-width domain.
  const sx = (x: number) => (x1 === x0 ? M.left + (W - M.left - M.right) / 2 : M.left + ((x - x0) / (x1 - x0)) * (W - M.left - M.right));
  const sy = (y: number) => H - M.bottom - ((y - yAxis.min) / (yAxis.max - yAxis.min)) * (H - M.top - M.bottom);
  const f = (n: number) => n.toFixed(1);

  const out: string[] = [];
  for (const t of yAxis.ticks) {
    out.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${f(sy(t))}" y2="${f(sy(t))}"/>`);
    out.push(`<text class="tick" x="${M.left - 8}" y="${f(sy(t))}" text-anchor="end" dominant-baseline="middle">${esc(yAxis.label(t))}</text>`);
  }
  // Integer round ticks, thinned so long runs stay legible.
  const step = Math.max(1, Math.ceil((x1 - x0 + 1) / 12));
  for (let x = x0; x <= x1; x += step) {
    out.push(`<line class="axis" x1="${f(sx(x))}" x2="${f(sx(x))}" y1="${H - M.bottom}" y2="${H - M.bottom + 5}"/>`);
    out.push(`<text class="tick" x="${f(sx(x))}" y="${H - M.bottom + 18}" text-anchor="middle">${esc(x)}</text>`);
  }
  out.push(`<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}"/>`);
  out.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}"/>`);
  out.push(`<text class="label" x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle">round</text>`);
  out.push(`<text class="label" transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);

  if (reference && Number.isFinite(reference.value)) {
    const y = f(sy(reference.value));
    out.push(`<line class="ref" x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}"><title>${esc(reference.label)}</title></line>`);
    out.push(`<text class="ref-label" x="${W - M.right - 4}" y="${Number(y) - 6}" text-anchor="end">${esc(reference.label)}</text>`);
  }

  // The path breaks at non-finite values instead of drawing through them.
  let d = "";
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${f(sx(x))} ${f(sy(y))}`;
    pen = true;
  }
  out.push(`<path class="series" d="${d}"/>`);
  for (const [x, y] of points) {
    if (Number.isFinite(y)) {
      out.push(`<circle class="dot" cx="${f(sx(x))}" cy="${f(sy(y))}" r="3.5"><title>round ${esc(x)}: ${esc(format(y))}</title></circle>`);
    }
  }

  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(yLabel)} per round">\n${out.join("\n")}\n</svg>`;
}

/** Round-number ticks (1, 2, 2.5 or 5 × 10^k) covering [lo, hi], clamped to bounds. */
function niceAxis(lo: number, hi: number, [minBound, maxBound]: [number, number]) {
  if (hi - lo === 0) {
    const pad = Math.abs(lo) * 0.05 || 0.05;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const mantissa = [1, 2, 2.5, 5, 10].find((m) => m * mag >= raw)!;
  const step = mantissa * mag;
  const min = Math.max(minBound, Math.floor(lo / step) * step);
  const max = Math.min(maxBound, Math.ceil(hi / step) * step);
  const ticks: number[] = [];
  // Multiplying (not accumulating) keeps float drift out of the labels.
  for (let i = Math.ceil(min / step - 1e-9); i * step <= max + step * 1e-9; i++) ticks.push(i * step);
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + (Number.isInteger(mantissa) ? 0 : 1));
  return { min, max, ticks, label: (v: number) => v.toFixed(decimals) };
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #656d76; --bg: #ffffff; --line: #d0d7de; --accent: #0969da; --ok: #1a7f37; --bad: #cf222e; --stripe: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #8d96a0; --bg: #0d1117; --line: #30363d; --accent: #4493f8; --ok: #3fb950; --bad: #f85149; --stripe: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 16px; }
h2 { font-size: 17px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code.root { word-break: break-all; }
.sizes span { display: inline-block; margin-right: 8px; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--stripe); }
.ok { color: var(--ok); font-weight: 700; }
.bad { color: var(--bad); font-weight: 700; }
.chart { width: 100%; max-width: ${W}px; height: auto; display: block; }
.chart text { fill: var(--fg); font-size: 11px; }
.chart .label { fill: var(--muted); font-size: 12px; }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .axis { stroke: var(--fg); stroke-width: 1; }
.chart .series { fill: none; stroke: var(--accent); stroke-width: 2; }
.chart .dot { fill: var(--accent); }
.chart .ref { stroke: var(--muted); stroke-width: 1.5; stroke-dasharray: 6 4; }
.chart .ref-label { fill: var(--muted); }
`;
