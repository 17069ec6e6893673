// End-to-end rows for reading a dataset file (issue 14): readFile + parseDataset, as a compute job,
// a federated client and fl-run load data, for the same numbers as JSON, CSV, .npz (np.savez:
// stored) and .npz (np.savez_compressed: deflated). Two sizes: 200 rows × 1e5 features (160 MB of
// float64, the D of the aggregation rows) and landcover's (2000 × 7, class-name labels).
// Run alone with `npx tsx bench/e2e/run.ts dataset`.
//
// Floor, measured in the same run, interleaved with the parse: reading the same file from disk (the
// page cache: it was just written) + one copy of rows × cols float64 into a Float64Array, the least
// any parser must do to hand over a Dataset; for the deflated file, reading it + inflating X into
// one buffer (zlib), the least a compressed file needs. Medians of the runs; the load is printed.
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";

import { parseDataset, type Dataset } from "../../src/ml/dataset.js";
import { datasetText, syntheticData } from "../_synthetic.js";

import type { Row } from "./row.js";

const ROWS = 200;
const FEATURES = 100_000;

interface Format {
  name: string;
  file: string;
  /** The least work to get this file's numbers into a Float64Array. */
  floor: (bytes: Buffer, values: number) => void;
}

export async function measure(): Promise<Row[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "flai-bench-dataset-"));
  try {
    const big = syntheticData(FEATURES, 7)(ROWS);
    const landcover = parseDataset(readFileSync(path.resolve(import.meta.dirname, "../../fixtures/landcover.csv")), "landcover.csv");
    return [...(await measureSize(dir, "200 × 1e5", big, 3, 7)), ...(await measureSize(dir, "landcover 2000 × 7", landcover, 41, 41))];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function measureSize(dir: string, label: string, ds: Dataset, textRuns: number, binaryRuns: number): Promise<Row[]> {
  const stem = path.join(dir, label.split(" ")[0]!);
  const formats: Array<Format & { runs: number }> = [];
  const copy = (bytes: Buffer, values: number) => {
    const out = new Float64Array(values);
    new Uint8Array(out.buffer).set(bytes.subarray(0, Math.min(bytes.length, values * 8)));
  };
  const write = async (name: string, ext: string, bytes: Uint8Array | string, runs: number, floor = copy) => {
    const file = `${stem}.${ext}`;
    await writeFile(file, bytes);
    formats.push({ name, file, floor, runs });
  };
  await write("JSON", "json", jsonText(ds), textRuns);
  await write("CSV", "csv", csvText(ds), textRuns);
  await write(".npz (np.savez)", "npz", npzBytes(ds, false), binaryRuns);
  const deflated = npzBytes(ds, true);
  await write(".npz (np.savez_compressed)", "c.npz", deflated, binaryRuns, (bytes) => void inflateX(bytes));

  const rows: Row[] = [];
  for (const format of formats) {
    const size = (await readFile(format.file)).length;
    const measured: number[] = [];
    const floor: number[] = [];
    if (ds.rows * ds.cols < 1e6) {
      // Small files: one untimed pass of each first, or the first runs time the JIT, not the parse.
      format.floor(await readFile(format.file), ds.rows * ds.cols);
      parseDataset(await readFile(format.file), format.file);
    }
    for (let i = 0; i < format.runs; i++) {
      // Interleaved, so load from the other processes on this machine falls on both alike.
      floor.push(await time(async () => format.floor(await readFile(format.file), ds.rows * ds.cols)));
      measured.push(await time(async () => void parseDataset(await readFile(format.file), format.file)));
    }
    rows.push({
      row: `read + parse a ${label} dataset, ${format.name} (${(size / 2 ** 20).toFixed(1)} MiB)`,
      measuredMs: median(measured),
      floorMs: median(floor),
      floorWhat: format.name.includes("compressed")
        ? "readFile + inflating X (zlib) into one buffer"
        : `readFile + one copy of ${ds.rows} × ${ds.cols} float64 into a Float64Array`,
      note: `median of ${format.runs}; best ${Math.min(...measured).toFixed(1)} ms vs floor ${Math.min(...floor).toFixed(1)} ms; load ${os.loadavg()[0]!.toFixed(2)}`,
    });
  }
  return rows;
}

async function time(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// ---------------------------------------------------------------- the files users hand us

function jsonText(ds: Dataset): string {
  if (typeof ds.classes[0] === "number") return datasetText(ds);
  const rows = Array.from({ length: ds.rows }, (_, r) => `[${Array.from(ds.features.subarray(r * ds.cols, (r + 1) * ds.cols)).join(",")}]`);
  return `{"features":[${rows.join(",")}],"labels":${JSON.stringify(Array.from(ds.labels, (k) => ds.classes[k]))}}`;
}

function csvText(ds: Dataset): string {
  const lines = [[...Array.from({ length: ds.cols }, (_, c) => `x${c}`), "label"].join(",")];
  for (let r = 0; r < ds.rows; r++)
    lines.push(`${Array.from(ds.features.subarray(r * ds.cols, (r + 1) * ds.cols)).join(",")},${ds.classes[ds.labels[r]!]}`);
  return lines.join("\n") + "\n";
}

/** What np.savez(path, X=X, y=y) writes (y int64, or '<U' for class names); deflated like np.savez_compressed. */
function npzBytes(ds: Dataset, compress: boolean): Buffer {
  const x = npy("<f8", [ds.rows, ds.cols], new Uint8Array(ds.features.buffer, ds.features.byteOffset, ds.features.byteLength));
  const names = ds.classes.map(String);
  const y =
    typeof ds.classes[0] === "number"
      ? npy("<i8", [ds.rows], new Uint8Array(BigInt64Array.from(ds.labels, (k) => BigInt(ds.classes[k] as number)).buffer))
      : npy(
          `<U${Math.max(...names.map((n) => n.length))}`,
          [ds.rows],
          utf32(
            Array.from(ds.labels, (k) => names[k]!),
            Math.max(...names.map((n) => n.length)),
          ),
        );
  return zip(
    [
      ["X.npy", x],
      ["y.npy", y],
    ],
    compress,
  );
}

function npy(descr: string, shape: number[], data: Uint8Array): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const padded = dict.padEnd(Math.ceil((dict.length + 11) / 64) * 64 - 11) + "\n";
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(padded.length, 8);
  return Buffer.concat([head, Buffer.from(padded, "latin1"), data]);
}

function utf32(values: string[], width: number): Uint8Array {
  const out = Buffer.alloc(values.length * width * 4);
  values.forEach((s, r) => [...s].forEach((ch, k) => out.writeUInt32LE(ch.codePointAt(0)!, (r * width + k) * 4)));
  return out;
}

function zip(entries: Array<[string, Buffer]>, compress: boolean): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const body = compress ? deflateRawSync(data) : data;
    const fields = {
      crc: crc32(data) >>> 0,
      method: compress ? 8 : 0,
      compressed: body.length,
      size: data.length,
      name: Buffer.from(name),
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(fields.method, 8);
    local.writeUInt32LE(fields.crc, 14);
    local.writeUInt32LE(fields.compressed, 18);
    local.writeUInt32LE(fields.size, 22);
    local.writeUInt16LE(fields.name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(fields.method, 10);
    dir.writeUInt32LE(fields.crc, 16);
    dir.writeUInt32LE(fields.compressed, 20);
    dir.writeUInt32LE(fields.size, 24);
    dir.writeUInt16LE(fields.name.length, 28);
    dir.writeUInt32LE(offset, 42);
    parts.push(local, fields.name, body);
    central.push(dir, fields.name);
    offset += 30 + fields.name.length + body.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

/** The floor of a deflated file: its X entry (the first) inflated into one buffer. */
function inflateX(bytes: Buffer): Buffer {
  const compressed = bytes.readUInt32LE(18);
  const size = bytes.readUInt32LE(22);
  const start = 30 + bytes.readUInt16LE(26) + bytes.readUInt16LE(28);
  return inflateRawSync(bytes.subarray(start, start + compressed), { chunkSize: size + 1 });
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measure()) console.log(JSON.stringify(row));
}
