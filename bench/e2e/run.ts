// The end-to-end section of `npm run bench` (issue 14); alone: `npm run bench:e2e` (or
// `npx tsx bench/e2e/run.ts [startup demo …]` for some rows). Every bench/e2e/<row>.ts exports
// `measure(): Promise<Row[]>` (row.ts); each runs in its own process, one after the other (they
// would slow each other down, and a process keeps no cache from the previous row), and prints
// its rows as JSON lines. The table shows ratio = measured / floor; a row is "met" within its target
// (2× unless the row says: the memory rows of memory.ts, in bytes, aim at 3× the data held).
// Machine load (1-minute average) is printed before and after: the figures are wall-clock times.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import type { Measure, Row } from "./row.js";

const HERE = import.meta.dirname;
const ROOT = path.resolve(HERE, "../..");
const TARGET = 2;
const NOT_ROWS = new Set(["run.ts", "row.ts"]);

/** Row files, start-up first: it is the floor the others are read against. */
function rowFiles(only: string[]): string[] {
  const all = readdirSync(HERE)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.startsWith("_") && !NOT_ROWS.has(f))
    .sort((a, b) => Number(b === "startup.ts") - Number(a === "startup.ts") || a.localeCompare(b));
  if (only.length === 0) return all;
  const wanted = only.map((n) => (n.endsWith(".ts") ? n : `${n}.ts`));
  const unknown = wanted.filter((n) => !all.includes(n));
  if (unknown.length > 0) throw new Error(`No such row file in bench/e2e: ${unknown.join(", ")} (have: ${all.join(", ")})`);
  return all.filter((f) => wanted.includes(f));
}

/** In the child: run one file's measure() and print its rows. */
async function child(file: string): Promise<void> {
  const { measure } = (await import(path.join(HERE, file))) as { measure: Measure };
  for (const row of await measure()) {
    const ratio = row.measuredMs / row.floorMs;
    const target = row.target ?? TARGET;
    // ratio/target/ok: read by bench/run-all.ts's summary like every other bench's rows.
    console.log(JSON.stringify({ bench: "e2e", file, ...row, ratio, target, ok: ratio <= target }));
  }
}

interface Result {
  file: string;
  rows: Row[];
  failed?: string;
}

function runFile(file: string): Promise<Result> {
  console.log(`\n----- bench/e2e/${file} -----`);
  return new Promise((resolve) => {
    const proc = spawn("npx", ["tsx", path.join("bench", "e2e", "run.ts"), "--child", file], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const rows: Row[] = [];
    let pending = "";
    const take = (line: string) => {
      if (!line.startsWith('{"bench":"e2e"')) return void console.log(line);
      const doc = JSON.parse(line) as Row;
      rows.push({
        row: doc.row,
        measuredMs: doc.measuredMs,
        floorMs: doc.floorMs,
        floorWhat: doc.floorWhat,
        note: doc.note,
        unit: doc.unit,
        target: doc.target,
      });
      console.log(line);
    };
    proc.stdout.on("data", (c: Buffer) => {
      pending += c.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const l of lines) take(l.trimEnd());
    });
    proc.once("error", (e) => resolve({ file, rows, failed: e.message }));
    proc.once("close", (code) => {
      if (pending !== "") take(pending.trimEnd());
      resolve({ file, rows, failed: code === 0 ? undefined : `exit ${code}` });
    });
  });
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);
const fmt = (value: number, unit: Row["unit"]) => (unit === "bytes" ? `${(value / 2 ** 20).toFixed(0)} MiB` : fmtMs(value));

function printTable(results: Result[]): void {
  const body = results.flatMap((r) =>
    r.failed !== undefined && r.rows.length === 0
      ? [[r.file, "FAILED", "", "", `${r.failed}`, ""]]
      : r.rows.map((row) => {
          const ratio = row.measuredMs / row.floorMs;
          const target = row.target ?? TARGET;
          return [
            row.row,
            fmt(row.measuredMs, row.unit),
            fmt(row.floorMs, row.unit),
            `${ratio.toFixed(2)}×`,
            ratio <= target ? `met (≤ ${target}×)` : `MISSED (> ${target}×)`,
            `${row.floorWhat}${row.note ? `; ${row.note}` : ""}`,
          ];
        }),
  );
  const header = ["what", "measured", "floor", "ratio", "target", "floor is / notes"];
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  console.log(line(header));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const r of body) console.log(line(r));
}

if (process.argv[1] === import.meta.filename) {
  const args = process.argv.slice(2);
  if (args[0] === "--child") {
    await child(args[1]!);
    process.exit(0); // a row may leave handles (servers, workers) open: its figures are printed
  }
  const files = rowFiles(args);
  const load = () => os.loadavg()[0]!.toFixed(2);
  const loadBefore = load();
  console.log(`End-to-end rows (${files.join(", ")}); load average ${loadBefore} on ${os.availableParallelism()} cores`);
  const results: Result[] = [];
  for (const file of files) results.push(await runFile(file));
  console.log(
    `\n===== End to end: measured vs floor (load average ${loadBefore} before, ${load()} after, ${os.availableParallelism()} cores) =====\n`,
  );
  printTable(results);
  process.exit(0);
}
