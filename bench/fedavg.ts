// FedAvg aggregation bench (run with `npm run bench:fedavg` / `npx tsx bench/fedavg.ts`).
//
// Sums N = 100 seeded updates of D = 1e6 float64 with aggregate(…, { name: "fedavg" }) and, in the
// same run and interleaved with it, a plain single loop (for each update, for each coordinate,
// out[j] += w·Δ[j]; then divide): the reference. The figure is input read per second, N·D·8 bytes
// over the median time of RUNS runs; the target, ≥ 20 GB/s, is set on the path the plugin's enclave
// takes (shared deltas, worker threads); the single-thread and copy rows are information. Every result is checked against the
// reference bit for bit. Rows marked "idea" are the alternatives tried while building the fast path,
// kept so the choice can be re-checked on another machine. Prints one JSON line per row, then a
// table. A bench never asserts: the exit code is 0 even when a target is missed ("MISSED").
import os from "node:os";

import { aggregate, lastWeightedSumRun, shareDelta, warmAggregationWorkers, type WeightedDelta } from "../src/federated/strategies.js";
import { mulberry32 } from "../src/util/prng.js";

const N = 100;
const D = 1_000_000;
const RUNS = 7;
const TARGET_GBPS = 20;

interface Row {
  bench: "fedavg";
  case: string;
  n: number;
  dim: number;
  runs: number;
  medianMs: number;
  gbps: number;
  reference: string;
  refMedianMs: number;
  refGbps: number;
  ratio: number;
  target: number | null;
  ok: boolean | null;
  bitIdentical: boolean;
  maxRelDiff: number;
  note?: string;
}

function makeUpdates(n: number, dim: number, seed: number): WeightedDelta[] {
  const rand = mulberry32(seed);
  const updates: WeightedDelta[] = [];
  for (let k = 0; k < n; k++) {
    const delta = new Float64Array(dim);
    for (let j = 0; j < dim; j++) delta[j] = (rand() - 0.5) * 0.02;
    updates.push({ delta, weight: 1 + Math.floor(rand() * 500) });
  }
  return updates;
}

/** The reference: one axpy per update over the whole vector, then the division. */
function plainLoop(updates: readonly WeightedDelta[]): Float64Array {
  const dim = updates[0]!.delta.length;
  const out = new Float64Array(dim);
  let total = 0;
  for (const u of updates) total += u.weight;
  for (const u of updates) {
    const w = u.weight;
    const delta = u.delta;
    for (let j = 0; j < dim; j++) out[j]! += w * delta[j]!;
  }
  for (let j = 0; j < dim; j++) out[j] = out[j]! / total;
  return out;
}

// ---- Ideas measured on the way (the kept one is aggregate() itself) ----

/** Blocking alone: 16 Ki-coordinate blocks of out, one update per pass. */
function ideaBlockedOnly(updates: readonly WeightedDelta[]): Float64Array {
  const dim = updates[0]!.delta.length;
  const out = new Float64Array(dim);
  let total = 0;
  for (const u of updates) total += u.weight;
  const B = 16384;
  for (let b = 0; b < dim; b += B) {
    const e = Math.min(dim, b + B);
    for (const u of updates) {
      const w = u.weight;
      const x = u.delta;
      for (let j = b; j < e; j++) out[j]! += w * x[j]!;
    }
    for (let j = b; j < e; j++) out[j] = out[j]! / total;
  }
  return out;
}

/** Four updates per pass (one load/store of out[j] per four multiply-adds), optionally blocked. */
function ideaFused(group: 4 | 8, block: number, unrollJ: boolean) {
  return (updates: readonly WeightedDelta[]): Float64Array => {
    const dim = updates[0]!.delta.length;
    const n = updates.length;
    const xs = updates.map((u) => u.delta);
    const ws = updates.map((u) => u.weight);
    let total = 0;
    for (const w of ws) total += w;
    const out = new Float64Array(dim);
    for (let b = 0; b < dim; b += block) {
      const e = Math.min(dim, b + block);
      let k = 0;
      if (group === 8) {
        for (; k + 8 <= n; k += 8) {
          const a0 = ws[k]!,
            a1 = ws[k + 1]!,
            a2 = ws[k + 2]!,
            a3 = ws[k + 3]!;
          const a4 = ws[k + 4]!,
            a5 = ws[k + 5]!,
            a6 = ws[k + 6]!,
            a7 = ws[k + 7]!;
          const x0 = xs[k]!,
            x1 = xs[k + 1]!,
            x2 = xs[k + 2]!,
            x3 = xs[k + 3]!;
          const x4 = xs[k + 4]!,
            x5 = xs[k + 5]!,
            x6 = xs[k + 6]!,
            x7 = xs[k + 7]!;
          for (let j = b; j < e; j++) {
            let v = out[j]!;
            v += a0 * x0[j]!;
            v += a1 * x1[j]!;
            v += a2 * x2[j]!;
            v += a3 * x3[j]!;
            v += a4 * x4[j]!;
            v += a5 * x5[j]!;
            v += a6 * x6[j]!;
            v += a7 * x7[j]!;
            out[j] = v;
          }
        }
      }
      for (; k + 4 <= n; k += 4) {
        const a0 = ws[k]!,
          a1 = ws[k + 1]!,
          a2 = ws[k + 2]!,
          a3 = ws[k + 3]!;
        const x0 = xs[k]!,
          x1 = xs[k + 1]!,
          x2 = xs[k + 2]!,
          x3 = xs[k + 3]!;
        let j = b;
        if (unrollJ) {
          for (; j + 2 <= e; j += 2) {
            let v = out[j]!;
            let u = out[j + 1]!;
            v += a0 * x0[j]!;
            u += a0 * x0[j + 1]!;
            v += a1 * x1[j]!;
            u += a1 * x1[j + 1]!;
            v += a2 * x2[j]!;
            u += a2 * x2[j + 1]!;
            v += a3 * x3[j]!;
            u += a3 * x3[j + 1]!;
            out[j] = v;
            out[j + 1] = u;
          }
        }
        for (; j < e; j++) {
          let v = out[j]!;
          v += a0 * x0[j]!;
          v += a1 * x1[j]!;
          v += a2 * x2[j]!;
          v += a3 * x3[j]!;
          out[j] = v;
        }
      }
      for (; k < n; k++) {
        const a = ws[k]!;
        const x = xs[k]!;
        for (let j = b; j < e; j++) out[j]! += a * x[j]!;
      }
      for (let j = b; j < e; j++) out[j] = out[j]! / total;
    }
    return out;
  };
}

// ---- Measurement ----

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function compare(result: Float64Array, reference: Float64Array): { bitIdentical: boolean; maxRelDiff: number } {
  const a = Buffer.from(result.buffer, result.byteOffset, result.byteLength);
  const b = Buffer.from(reference.buffer, reference.byteOffset, reference.byteLength);
  let maxRelDiff = 0;
  for (let j = 0; j < reference.length; j++) {
    const d = Math.abs(result[j]! - reference[j]!) / Math.max(Math.abs(reference[j]!), Number.MIN_VALUE);
    if (d > maxRelDiff) maxRelDiff = d;
  }
  return { bitIdentical: a.equals(b), maxRelDiff };
}

interface Case {
  name: string;
  run: () => Float64Array;
  target: boolean;
  note?: string;
}

/**
 * Runs the reference and every case in turn, RUNS rounds, so that a busy neighbour on a shared
 * machine slows all of them alike; returns per-case times (and the reference's).
 */
function measure(updates: readonly WeightedDelta[], cases: Case[], runs: number) {
  const times = new Map<string, number[]>([["reference", []]]);
  for (const c of cases) times.set(c.name, []);
  const results = new Map<string, Float64Array>();
  // One warm-up round, not counted: lets V8 optimize every kernel before timing.
  const order: Array<{ name: string; run: () => Float64Array }> = [{ name: "reference", run: () => plainLoop(updates) }, ...cases];
  for (const c of order) results.set(c.name, c.run());
  for (let r = 0; r < runs; r++) {
    for (const c of order) {
      const t = performance.now();
      c.run();
      times.get(c.name)!.push(performance.now() - t);
    }
  }
  return { times, results };
}

function emit(
  rows: Row[],
  n: number,
  dim: number,
  updates: readonly WeightedDelta[],
  cases: Case[],
  runs: number,
  withTarget: boolean,
  referenceLabel = "reference: plain loop",
): void {
  const { times, results } = measure(updates, cases, runs);
  const bytes = n * dim * 8;
  const refMs = median(times.get("reference")!);
  const reference = results.get("reference")!;
  const refRow: Row = {
    bench: "fedavg",
    case: referenceLabel,
    n,
    dim,
    runs,
    medianMs: round(refMs),
    gbps: round(bytes / refMs / 1e6),
    reference: "—",
    refMedianMs: round(refMs),
    refGbps: round(bytes / refMs / 1e6),
    ratio: 1,
    target: null,
    ok: null,
    bitIdentical: true,
    maxRelDiff: 0,
  };
  rows.push(refRow);
  console.log(JSON.stringify(refRow));
  for (const c of cases) {
    const ms = median(times.get(c.name)!);
    const gbps = bytes / ms / 1e6;
    const check = compare(results.get(c.name)!, reference);
    const row: Row = {
      bench: "fedavg",
      case: c.name,
      n,
      dim,
      runs,
      medianMs: round(ms),
      gbps: round(gbps),
      reference: "plain loop",
      refMedianMs: round(refMs),
      refGbps: refRow.gbps,
      ratio: round(refMs / ms),
      target: withTarget && c.target ? TARGET_GBPS : null,
      ok: withTarget && c.target ? gbps >= TARGET_GBPS : null,
      bitIdentical: check.bitIdentical,
      maxRelDiff: check.maxRelDiff,
      ...(c.note === undefined ? {} : { note: c.note }),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

const rows: Row[] = [];
const cores = os.availableParallelism();
console.log(
  `# fedavg bench: ${N} updates × ${D} float64 (${((N * D * 8) / 1e6).toFixed(0)} MB of input), ${RUNS} timed runs each, ${cores} cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);

let t = performance.now();
const updates = makeUpdates(N, D, 1);
const shared = updates.map((u) => ({ delta: shareDelta(u.delta), weight: u.weight }));
console.log(`# generated the updates in ${(performance.now() - t).toFixed(0)} ms`);

// The first sum through the parallel path starts the worker pool: measured once, on its own.
{
  const reference = plainLoop(updates);
  t = performance.now();
  const cold = aggregate(shared, { name: "fedavg" }, 0).delta;
  const ms = performance.now() - t;
  const run = lastWeightedSumRun()!;
  const check = compare(cold, reference);
  const row: Row = {
    bench: "fedavg",
    case: "ours, shared deltas, first call (pool cold)",
    n: N,
    dim: D,
    runs: 1,
    medianMs: round(ms),
    gbps: round((N * D * 8) / ms / 1e6),
    reference: "plain loop",
    refMedianMs: NaN,
    refGbps: NaN,
    ratio: NaN,
    target: null,
    ok: null,
    bitIdentical: check.bitIdentical,
    maxRelDiff: check.maxRelDiff,
    note: `one run, JIT and threads cold; workers computed ${run.blocksByWorkers}/${run.blocks} blocks`,
  };
  rows.push(row);
  console.log(JSON.stringify({ ...row, refMedianMs: null, refGbps: null, ratio: null }));
}
const workers = await warmAggregationWorkers();

let parallelRun = lastWeightedSumRun();
const fused4Unblocked = ideaFused(4, D, false);
const fused8Blocked = ideaFused(8, 16384, false);
const fused4Unrolled = ideaFused(4, 16384, true);
const cases: Case[] = [
  {
    name: "ours: aggregate() (blocked, 1 thread)",
    run: () => aggregate(updates, { name: "fedavg" }, 0).delta,
    target: false,
    note: "deltas in ordinary ArrayBuffers, or a one-core machine: the single-thread path",
  },
  {
    name: `ours: aggregate(), shared deltas (${workers + 1} threads)`,
    run: () => {
      const out = aggregate(shared, { name: "fedavg" }, 0).delta;
      parallelRun = lastWeightedSumRun();
      return out;
    },
    target: true,
    note: "deltas in SharedArrayBuffers: the enclave's path, which decodes large rounds into shared memory",
  },
  { name: "idea: blocked only, 1 update/pass", run: () => ideaBlockedOnly(updates), target: false },
  { name: "idea: 4 updates/pass, not blocked", run: () => fused4Unblocked(updates), target: false },
  { name: "idea: 8 updates/pass, blocked", run: () => fused8Blocked(updates), target: false },
  { name: "idea: 4 updates/pass, blocked, j unrolled ×2", run: () => fused4Unrolled(updates), target: false },
];
emit(rows, N, D, updates, cases, RUNS, true);
console.log(
  `# parallel path: workers computed ${parallelRun?.blocksByWorkers ?? 0}/${parallelRun?.blocks ?? 0} blocks in its last timed run`,
);

// The round bench's size: nothing to gain from threads here, but nothing may get slower either.
const small = makeUpdates(10, 100_000, 2);
emit(
  rows,
  10,
  100_000,
  small,
  [{ name: "ours: aggregate() (blocked, 1 thread)", run: () => aggregate(small, { name: "fedavg" }, 0).delta, target: false }],
  41,
  false,
);

const reused = updates.map((u) => ({ delta: new Float64Array(new SharedArrayBuffer(u.delta.byteLength)), weight: u.weight }));
// Ordinary deltas copied into shared memory to take the threads, the copy (and for shareDelta the
// allocation) counted: what a caller of aggregate() with ordinary deltas would pay. For information:
// the plugin's aggregator never pays it, it decodes each update straight into shared memory. Run apart from the rows above: it allocates 800 MB per run, and fresh memory is slow
// to fault in on a VM, which would otherwise leak into whichever case runs next.
emit(
  rows,
  N,
  D,
  updates,
  [
    {
      name: `ours: copy into reused shared buffers + aggregate() (${workers + 1} threads)`,
      run: () => {
        for (let k = 0; k < N; k++) reused[k]!.delta.set(updates[k]!.delta);
        return aggregate(reused, { name: "fedavg" }, 0).delta;
      },
      target: false,
      note: "ordinary deltas copied into shared buffers allocated once (the best a copy can do); copy counted",
    },
    {
      name: `ours: shareDelta copy + aggregate() (${workers + 1} threads)`,
      run: () =>
        aggregate(
          updates.map((u) => ({ delta: shareDelta(u.delta), weight: u.weight })),
          { name: "fedavg" },
          0,
        ).delta,
      target: false,
      note: "ordinary deltas copied into SharedArrayBuffers first; allocation and copy counted",
    },
  ],
  5, // each shareDelta run faults in 800 MB of fresh memory: ~2 s on this VM
  true,
  "reference: plain loop (copy rows)",
);

// ---- Table ----
const header = ["case", "N×D", "median ms", "GB/s", "reference GB/s", "× reference", "target", "bits = ref"];
const table = rows.map((r) => [
  r.case,
  `${r.n}×${r.dim.toExponential(0).replace("+", "")}`,
  r.medianMs.toFixed(1),
  r.gbps.toFixed(1),
  Number.isNaN(r.refGbps) || r.reference === "—" ? "—" : r.refGbps.toFixed(1),
  Number.isNaN(r.ratio) || r.reference === "—" ? "—" : r.ratio.toFixed(2),
  r.target === null ? "—" : `≥ ${r.target} GB/s ${r.ok ? "met" : "MISSED"}`,
  r.bitIdentical ? "yes" : `no (max rel ${r.maxRelDiff.toExponential(1)})`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => "| " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ") + " |";
console.log("");
console.log(line(header));
console.log("|" + widths.map((w, i) => (i === 0 ? ":" + "-".repeat(w + 1) : "-".repeat(w + 1) + ":")).join("|") + "|");
for (const row of table) console.log(line(row));
console.log(
  `\nGB/s = N·D·8 bytes of input read / median time of ${RUNS} runs (41 for the small size); all cases interleaved run by run with the reference.`,
);
