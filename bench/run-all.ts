// Runs every bench in bench/ (run with `npm run bench` / `npx tsx bench/run-all.ts`).
//
// Each bench script in this folder runs in turn, its output passed through as it comes: the ones
// that need Hardhat's runtime (the gas benches, or any script importing "hardhat") through
// `npx hardhat run`, the others through `npx tsx`. Files starting with "_" are helpers, not benches.
// At the end, one table of every JSON line with a "bench" field the scripts printed (stdout lines
// starting with "{"), and a table of the scripts themselves. A bench never fails the run: the exit
// code is 0 even when a bench misses its target or crashes (shown as "MISSED" / "FAILED").
// Last, the end-to-end section (bench/e2e/run.ts: whole commands against their floors, issue 14),
// which prints its own table too.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const HERE = import.meta.dirname;
const ROOT = path.resolve(HERE, "..");
const SELF = path.basename(import.meta.filename);
/** Benches that run inside Hardhat's runtime (`import { network } from "hardhat"`). */
const HARDHAT_RUN = new Set(["gas.ts", "gas-federated.ts"]);

type JsonRow = Record<string, unknown> & { bench: unknown };

interface ScriptResult {
  file: string;
  runner: string;
  code: number | null;
  signal: string | null;
  seconds: number;
  rows: number;
}

/** The end-to-end section: one script that runs every bench/e2e row file. */
const E2E = path.join("e2e", "run.ts");

function benchScripts(): string[] {
  const own = readdirSync(HERE)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && f !== SELF && !f.startsWith("_"))
    .sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  return [...own, E2E]; // last: whole commands, on a machine no other bench is loading
}

// Quick benches first, so that their figures are on screen early.
function order(file: string): number {
  return file.startsWith("gas") ? 0 : file === "round.ts" ? 2 : 1;
}

function needsHardhat(file: string): boolean {
  if (HARDHAT_RUN.has(file)) return true;
  return /from\s+["']hardhat["']/.test(readFileSync(path.join(HERE, file), "utf8"));
}

function run(file: string, rows: JsonRow[]): Promise<ScriptResult> {
  const hardhat = needsHardhat(file);
  const args = hardhat ? ["hardhat", "run", path.join("bench", file)] : ["tsx", path.join("bench", file)];
  const runner = `npx ${args.join(" ")}`;
  console.log(`\n===== ${runner} =====\n`);
  const start = performance.now();
  let count = 0;
  return new Promise((resolve) => {
    const child = spawn("npx", args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let pending = "";
    const take = (line: string) => {
      if (!line.startsWith("{")) return;
      try {
        const doc: unknown = JSON.parse(line);
        if (typeof doc === "object" && doc !== null && !Array.isArray(doc) && "bench" in doc) {
          rows.push(doc as JsonRow);
          count++;
        }
      } catch {
        // Not a JSON line after all: passed through, not summarized.
      }
    };
    child.stdout.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) take(line.trimEnd());
    });
    const finish = (code: number | null, signal: string | null) => {
      if (pending !== "") take(pending.trimEnd());
      resolve({ file, runner, code, signal, seconds: (performance.now() - start) / 1000, rows: count });
    };
    child.once("error", (error) => {
      console.error(`could not start ${runner}: ${error.message}`);
      finish(null, null);
    });
    child.once("close", (code, signal) => finish(code, signal));
  });
}

// ---- Summary ----

/** Text fields that name what a row measures, in the order they read best. */
const IDENTITY = ["contract", "fn", "case", "impl", "step", "scope", "figure", "name", "row"];
/** Fields shown in their own columns, or not at all. */
const SKIP = new Set(["bench", "target", "ok", "note", "root", "file", "floorWhat"]);

function cell(value: unknown): string {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value)) return Math.abs(value) >= 10_000 ? value.toLocaleString("en-US") : String(value);
    return String(Math.abs(value) >= 100 ? Math.round(value * 10) / 10 : Math.round(value * 1000) / 1000);
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

function describe(row: JsonRow): { item: string; figures: string; target: string; status: string } {
  const names = IDENTITY.filter((k) => typeof row[k] === "string" && (row[k] as string).length > 0).map((k) => row[k] as string);
  if (typeof row.run === "number") names.push(`run ${row.run}`);
  const figures = Object.entries(row)
    .filter(([k, v]) => !SKIP.has(k) && !IDENTITY.includes(k) && k !== "run" && v !== null && v !== undefined)
    .filter(([, v]) => typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && v.length <= 24))
    .map(([k, v]) => `${k}=${cell(v)}`)
    .join(" ");
  const target = row.target === null || row.target === undefined ? "—" : cell(row.target);
  const status = row.ok === true ? "met" : row.ok === false ? "MISSED" : "—";
  return { item: names.join(" · ") || "—", figures, target, status };
}

function table(header: string[], body: string[][], rightAligned: Set<number>): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ") + " |";
  console.log(line(header));
  console.log("|" + widths.map((w, i) => (rightAligned.has(i) ? "-".repeat(w + 1) + ":" : ":" + "-".repeat(w + 1))).join("|") + "|");
  for (const r of body) console.log(line(r));
}

const rows: JsonRow[] = [];
const results: ScriptResult[] = [];
const started = performance.now();
const scripts = benchScripts();
console.log(`Running ${scripts.length} benches: ${scripts.join(", ")}`);
for (const file of scripts) results.push(await run(file, rows));

console.log(`\n===== Summary: ${rows.length} rows from ${results.length} benches =====\n`);
table(
  ["bench", "what", "figures", "target", "status"],
  rows.map((r) => {
    const d = describe(r);
    return [String(r.bench), d.item, d.figures, d.target, d.status];
  }),
  new Set(),
);
console.log("");
table(
  ["script", "runner", "exit", "seconds", "JSON rows"],
  results.map((r) => [
    r.file,
    r.runner,
    r.code === 0 ? "0" : r.signal !== null ? `FAILED (${r.signal})` : `FAILED (${r.code ?? "did not start"})`,
    r.seconds.toFixed(1),
    String(r.rows),
  ]),
  new Set([2, 3, 4]),
);
const missed = rows.filter((r) => r.ok === false).length;
const failed = results.filter((r) => r.code !== 0).length;
console.log(
  `\n${results.length} benches in ${((performance.now() - started) / 1000).toFixed(0)} s; ` +
    `${missed} row(s) MISSED their target; ${failed} script(s) FAILED.`,
);
process.exit(0);
