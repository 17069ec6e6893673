// Inline SVG charts for the fl-run report: no scripts, no external references, so the file opens
// offline. Sizes are in viewBox units; CSS scales the SVG to the column width.

import type { Axis } from "./report-scales.js";

/** Everything interpolated into markup goes through here: reasons and names come from clients. */
export function esc(value: unknown): string {
  return String(value)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies; cycles past 8 classes. */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"];
export const classColor = (k: number) => PALETTE[k % PALETTE.length]!;

export interface Series {
  name: string;
  points: [x: number, y: number][];
  /** A CSS class giving its colour and dash (see the report's style). */
  style: string;
}

export interface Reference {
  value: number;
  label: string;
  style: "ref" | "ref-dotted";
}

export interface LineChartSpec {
  series: Series[];
  axis: Axis;
  yLabel: string;
  references?: Reference[];
  /** The value as the tooltip of a point shows it. */
  format: (v: number) => string;
}

const W = 640;
const H = 260;
const M = { top: 16, right: 20, bottom: 42, left: 64 };
const f = (n: number) => n.toFixed(1);

/** Rounds on x, one line per series, horizontal reference lines; the y axis is the given one, clamped. */
export function lineChart({ series, axis, yLabel, references = [], format }: LineChartSpec): string {
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  if (xs.length === 0) return `<p class="muted">no rounds ran</p>`;
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const plotW = W - M.left - M.right;
  // A single round sits in the middle instead of dividing by a zero-width domain.
  const sx = (x: number) => (x1 === x0 ? M.left + plotW / 2 : M.left + ((x - x0) / (x1 - x0)) * plotW);
  const clamp = (y: number) => Math.min(axis.max, Math.max(axis.min, y));
  const sy = (y: number) => H - M.bottom - ((clamp(y) - axis.min) / (axis.max - axis.min)) * (H - M.top - M.bottom);

  const out: string[] = [...frame(axis, sy, yLabel), ...roundTicks(x0, x1, sx)];
  // Reference lines are named in the legend, not on the plot, where a label would sit on the data.
  const shownRefs = references.filter((r) => Number.isFinite(r.value));
  for (const ref of shownRefs) {
    const y = f(sy(ref.value));
    out.push(`<line class="${ref.style}" x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}"><title>${esc(ref.label)}</title></line>`);
  }
  for (const s of series) {
    out.push(`<path class="series ${s.style}" d="${pathOf(s.points, sx, sy)}"/>`);
    for (const [x, y] of s.points.filter(([, y]) => Number.isFinite(y))) {
      out.push(
        `<circle class="dot ${s.style}" cx="${f(sx(x))}" cy="${f(sy(y))}" r="3.5"><title>${esc(s.name)}, round ${esc(x)}: ${esc(format(y))}</title></circle>`,
      );
    }
  }
  const legend = legendOf([
    ...series.map((s) => ({ name: s.name, swatch: `<span class="swatch ${s.style}"></span>` })),
    ...shownRefs.map((r) => ({ name: r.label, swatch: `<span class="swatch-line ${r.style}"></span>` })),
  ]);
  return `<figure><svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(yLabel)} per round">\n${out.join("\n")}\n</svg>${legend}</figure>`;
}

/** The path breaks at non-finite values (a diverged loss) instead of drawing through them. */
function pathOf(points: [number, number][], sx: (x: number) => number, sy: (y: number) => number): string {
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
  return d;
}

function frame(axis: Axis, sy: (y: number) => number, yLabel: string): string[] {
  const out: string[] = [];
  for (const t of axis.ticks) {
    out.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${f(sy(t))}" y2="${f(sy(t))}"/>`);
    out.push(
      `<text class="tick" x="${M.left - 8}" y="${f(sy(t))}" text-anchor="end" dominant-baseline="middle">${esc(axis.label(t))}</text>`,
    );
  }
  out.push(`<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}"/>`);
  out.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}"/>`);
  out.push(`<text class="label" x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle">round</text>`);
  out.push(
    `<text class="label" transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  return out;
}

/** Integer round ticks, thinned so long runs stay legible. */
function roundTicks(x0: number, x1: number, sx: (x: number) => number): string[] {
  const out: string[] = [];
  const step = Math.max(1, Math.ceil((x1 - x0 + 1) / 12));
  for (let x = x0; x <= x1; x += step) {
    out.push(`<line class="axis" x1="${f(sx(x))}" x2="${f(sx(x))}" y1="${H - M.bottom}" y2="${H - M.bottom + 5}"/>`);
    out.push(`<text class="tick" x="${f(sx(x))}" y="${H - M.bottom + 18}" text-anchor="middle">${esc(x)}</text>`);
  }
  return out;
}

export function legendOf(items: Array<{ name: string; swatch: string }>): string {
  return `<figcaption class="legend">${items.map((i) => `<span>${i.swatch}${esc(i.name)}</span>`).join("")}</figcaption>`;
}

export interface BarChartSpec {
  /** Bars per round (ε of that round) and a line over them (ε composed so far). */
  bars: [x: number, y: number][];
  line: [x: number, y: number][];
  axis: Axis;
  yLabel: string;
  names: { bars: string; line: string };
  format: (v: number) => string;
}

/** Per-round bars with a cumulative line over them, on one 0-based axis. */
export function barLineChart({ bars, line, axis, yLabel, names, format }: BarChartSpec): string {
  const xs = [...bars, ...line].map(([x]) => x);
  if (xs.length === 0) return `<p class="muted">no rounds ran</p>`;
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const slots = x1 - x0 + 1;
  const plotW = W - M.left - M.right;
  const slot = plotW / slots;
  const sx = (x: number) => M.left + (x - x0 + 0.5) * slot;
  const sy = (y: number) =>
    H - M.bottom - ((Math.min(axis.max, Math.max(axis.min, y)) - axis.min) / (axis.max - axis.min)) * (H - M.top - M.bottom);
  const out: string[] = [...frame(axis, sy, yLabel), ...roundTicks(x0, x1, sx)];
  const bw = Math.min(36, slot * 0.6);
  for (const [x, y] of bars.filter(([, y]) => Number.isFinite(y))) {
    out.push(
      `<rect class="bar" x="${f(sx(x) - bw / 2)}" y="${f(sy(y))}" width="${f(bw)}" height="${f(sy(axis.min) - sy(y))}"><title>${esc(names.bars)}, round ${esc(x)}: ${esc(format(y))}</title></rect>`,
    );
  }
  out.push(`<path class="series s-total" d="${pathOf(line, sx, sy)}"/>`);
  for (const [x, y] of line.filter(([, y]) => Number.isFinite(y))) {
    out.push(
      `<circle class="dot s-total" cx="${f(sx(x))}" cy="${f(sy(y))}" r="3.5"><title>${esc(names.line)}, round ${esc(x)}: ${esc(format(y))}</title></circle>`,
    );
  }
  const legend = legendOf([
    { name: names.bars, swatch: `<span class="swatch bar"></span>` },
    { name: names.line, swatch: `<span class="swatch s-total"></span>` },
  ]);
  return `<figure><svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(yLabel)} per round">\n${out.join("\n")}\n</svg>${legend}</figure>`;
}

export interface MixRow {
  label: string;
  /** Rows per class, in class order. */
  counts: number[];
  /** Shown after the row count, e.g. what this client scores alone. */
  note?: string;
}

/**
 * One 100%-stacked horizontal bar per row (a client, or the test set): the label mix at a glance,
 * with the row count at the end. Segment tooltips give class, count and share.
 */
export function labelMixChart(rows: MixRow[], classes: string[]): string {
  const barH = 18;
  const gap = 6;
  const left = 120;
  const right = rows.some((r) => r.note) ? 190 : 70;
  const height = rows.length * (barH + gap) + gap;
  const plotW = W - left - right;
  const out: string[] = [];
  rows.forEach((row, i) => {
    const y = gap + i * (barH + gap);
    const total = row.counts.reduce((a, b) => a + b, 0);
    out.push(
      `<text class="tick" x="${left - 8}" y="${f(y + barH / 2)}" text-anchor="end" dominant-baseline="middle">${esc(row.label)}</text>`,
    );
    let x = left;
    row.counts.forEach((n, k) => {
      if (n === 0 || total === 0) return;
      const w = (n / total) * plotW;
      const pct = ((n / total) * 100).toFixed(1);
      out.push(
        `<rect x="${f(x)}" y="${y}" width="${f(w)}" height="${barH}" fill="${classColor(k)}"><title>${esc(row.label)}: ${esc(classes[k])} ${esc(n)} rows (${pct}%)</title></rect>`,
      );
      x += w;
    });
    if (total === 0) out.push(`<rect class="empty" x="${left}" y="${y}" width="${f(plotW)}" height="${barH}"/>`);
    const note = row.note ? ` · ${row.note}` : "";
    out.push(
      `<text class="tick" x="${W - right + 8}" y="${f(y + barH / 2)}" dominant-baseline="middle">${esc(total)} rows${esc(note)}</text>`,
    );
  });
  const legend = legendOf(classes.map((c, k) => ({ name: c, swatch: `<span class="swatch" style="background:${classColor(k)}"></span>` })));
  return `<figure><svg class="chart mix" viewBox="0 0 ${W} ${height}" role="img" aria-label="label mix per client">\n${out.join("\n")}\n</svg>${legend}</figure>`;
}
