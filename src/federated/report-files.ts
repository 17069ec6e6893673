import { mkdir, open } from "node:fs/promises";
import path from "node:path";

import { writeFileAtomic } from "../util/fs.js";

import { renderReportHtml } from "./report-html.js";
import type { SimulationResult } from "./simulation-types.js";

/** The three files of one fl-run report. */
export interface ReportFiles {
  html: string;
  csv: string;
  json: string;
}

/** "20261204T221830Z": sortable, no characters a file system refuses. */
export function reportStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replaceAll("-", "")
    .replaceAll(":", "");
}

/**
 * Claims `<base>.html` (or `<base>-2.html`, `-3`, … when taken) by creating it exclusively, so a
 * report never overwrites an earlier one, even from two runs started in the same second.
 */
export async function claimReportFiles(base: string): Promise<ReportFiles> {
  await mkdir(path.dirname(base), { recursive: true });
  for (let n = 1; ; n++) {
    const stem = n === 1 ? base : `${base}-${n}`;
    const files = { html: `${stem}.html`, csv: `${stem}.metrics.csv`, json: `${stem}.json` };
    try {
      await open(files.html, "wx").then((h) => h.close());
      return files;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw error;
    }
  }
}

/** Writes the HTML report and its CSV and JSON companions (claimed files are filled, never replaced by others). */
export async function writeReport(result: SimulationResult, files: ReportFiles): Promise<void> {
  const names = { csv: path.basename(files.csv), json: path.basename(files.json) };
  await writeFileAtomic(files.csv, metricsCsv(result), { overwrite: false });
  await writeFileAtomic(files.json, resultJson(result), { overwrite: false });
  await writeFileAtomic(files.html, renderReportHtml(result, names));
}

const CSV_COLUMNS = [
  "round",
  "accuracy",
  "balanced_accuracy",
  "macro_f1",
  "log_loss",
  "accepted",
  "rejected",
  "epsilon",
  "epsilon_total",
  "delta",
  "global_hash",
  "verified",
] as const;

/**
 * One row per round plus a "centralized" row (round column) for the pooled model, so a
 * spreadsheet can plot both; empty cells where a value does not apply (no DP, no chain).
 */
export function metricsCsv(result: SimulationResult): string {
  const rows = result.rounds.map((r) => [
    r.round,
    r.metrics.accuracy,
    r.metrics.balancedAccuracy,
    r.metrics.macroF1,
    r.metrics.logLoss,
    r.accepted.length,
    r.rejected.length,
    r.dp?.epsilon ?? "",
    r.dp?.epsilonTotal ?? "",
    r.dp?.delta ?? "",
    r.globalHash,
    r.verified,
  ]);
  const c = result.centralized;
  rows.push(["centralized", c.accuracy, c.balancedAccuracy, c.macroF1, c.logLoss, "", "", "", "", "", "", ""]);
  return [CSV_COLUMNS.join(","), ...rows.map((r) => r.map(csvCell).join(","))].join("\n") + "\n";
}

function csvCell(v: unknown): string {
  const text = String(v);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The whole result as JSON; bigints (task id, gas, wei) become decimal strings. */
export function resultJson(result: SimulationResult): string {
  return JSON.stringify(result, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value), 2) + "\n";
}
