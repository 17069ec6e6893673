// Peak memory and time of reading a large CSV and JSON dataset (issue 15: "a 400 MB CSV using 4 GB";
// parsers must keep memory bounded by the data). Writes a ~194 MB CSV of 1 800 000 rows × 10 features
// and the same data as JSON into a temp folder, then reads each in a fresh child process and reports
// its peak RSS (getrusage maxrss) and wall time, next to the floors: the file's bytes alone, and the
// bytes plus the features array. "old" is the reader before the byte-level parsers
// (test/helpers/dataset-reference.ts: the whole text decoded, records of field strings, JSON.parse).
// One run each: `npm run bench:dataset-memory` (rows as an optional argument; needs ~4 GB free for "old").
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const COLS = 10;
const MODES = ["bytes", "bytes+features", "new", "old"] as const;
type Mode = (typeof MODES)[number];

async function child(mode: Mode, file: string): Promise<void> {
  // Loaded before the clock starts: the time is reading and parsing only.
  const { parseDataset } = await import("../src/ml/dataset.js");
  const { parseDatasetReference } = await import("../test/helpers/dataset-reference.js");
  const started = performance.now();
  const bytes = readFileSync(file);
  let rows = 0;
  if (mode === "bytes+features") {
    const features = new Float64Array(Number(process.argv[5]) * COLS);
    features.fill(1); // touch every page, as a parser writing them does
    rows = features.length / COLS;
  } else if (mode === "new") rows = parseDataset(bytes, file).rows;
  else if (mode === "old") rows = parseDatasetReference(bytes, file).rows;
  const ms = performance.now() - started;
  process.stdout.write(JSON.stringify({ rows, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}

/** Writes `rows` rows as CSV and as JSON (the same numbers), in pieces, never as one string. */
function writeData(dir: string, rows: number): { csv: string; json: string } {
  const csv = path.join(dir, "big.csv");
  const json = path.join(dir, "big.json");
  const c = openSync(csv, "w");
  const j = openSync(json, "w");
  writeSync(c, `${Array.from({ length: COLS }, (_, k) => `x${k}`).join(",")},label\n`);
  writeSync(j, '{"features": [\n');
  let seed = 1;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const labels: string[] = [];
  const chunk = 10_000;
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const csvLines: string[] = [];
    const jsonLines: string[] = [];
    for (let r = r0; r < Math.min(rows, r0 + chunk); r++) {
      const cells = Array.from({ length: COLS }, () => ((rand() - 0.5) * 20).toFixed(7));
      const label = rand() < 0.5 ? "0" : "1";
      csvLines.push(`${cells.join(",")},${label}\n`);
      jsonLines.push(`${r === 0 ? "" : ",\n"}[${cells.join(",")}]`);
      labels.push(label);
    }
    writeSync(c, csvLines.join(""));
    writeSync(j, jsonLines.join(""));
  }
  writeSync(j, '\n],\n"labels": [');
  for (let r0 = 0; r0 < rows; r0 += 100_000) writeSync(j, (r0 === 0 ? "" : ",") + labels.slice(r0, r0 + 100_000).join(","));
  writeSync(j, "]}\n");
  closeSync(c);
  closeSync(j);
  return { csv, json };
}

function measure(mode: Mode, file: string, rows: number): { rows: number; ms: number; maxRssMb: number } {
  const self = fileURLToPath(import.meta.url);
  const tsx = ["--import", import.meta.resolve("tsx/esm")];
  const out = spawnSync(process.execPath, [...tsx, self, "--child", mode, file, String(rows)], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`${mode} ${file} failed: ${out.stderr.slice(0, 2000)}`);
  return JSON.parse(out.stdout) as { rows: number; ms: number; maxRssMb: number };
}

async function main(): Promise<void> {
  if (process.argv[2] === "--child") return child(process.argv[3] as Mode, process.argv[4]!);
  const rows = Number(process.argv[2] ?? 1_800_000);
  const dir = mkdtempSync(path.join(tmpdir(), "flai-dataset-memory-"));
  try {
    const files = writeData(dir, rows);
    console.log(
      `node ${process.version}, ${rows} rows × ${COLS} features (features array ${((rows * COLS * 8) / 2 ** 20).toFixed(0)} MiB)`,
    );
    console.log("file          mode             file MiB   peak RSS MiB   time s   rows");
    for (const [kind, file] of Object.entries(files)) {
      const mib = statSync(file).size / 2 ** 20;
      for (const mode of MODES) {
        const m = measure(mode, file, rows);
        console.log(
          `${kind.padEnd(13)} ${mode.padEnd(16)} ${mib.toFixed(0).padStart(8)}   ${m.maxRssMb.toFixed(0).padStart(12)}   ${(m.ms / 1000).toFixed(2).padStart(6)}   ${m.rows}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
