import { flaiError } from "../errors.js";
import type { Dataset } from "../ml/dataset.js";
import { gaussian, mulberry32 } from "../util/prng.js";

export interface PartitionOptions {
  /** "iid": stratified, equal shares. "dirichlet": label skew, per class proportions ~ Dir(alpha). */
  scheme: "iid" | "dirichlet";
  /** dirichlet only; smaller is more skewed (0.1 is very skewed, 100 nearly iid). Default 0.5. */
  alpha?: number;
  seed: number;
  /**
   * true: a client may hold a single class (what label skew really produces; federated clients
   * train one-class shares warm-started from the global model). false (default): every client gets
   * every class whenever each class has at least one row per client, as clients that refuse
   * one-class data needed.
   */
  allowOneClass?: boolean;
}

export const DEFAULT_DIRICHLET_ALPHA = 0.5;

/**
 * Splits one dataset into `n` client datasets; every row lands in exactly one, and each keeps the
 * original row order. Every client gets ≥ 2 rows, and (unless allowOneClass) every class whenever
 * each class has ≥ n rows. Any number of classes; deterministic for a seed.
 */
export function partitionDataset(ds: Dataset, n: number, opts: PartitionOptions): Dataset[] {
  checkDataset(ds, "partitionDataset");
  if (!(Number.isInteger(n) && n >= 1)) throw flaiError(`partitionDataset: the client count must be an integer ≥ 1, got ${n}.`);
  if (ds.rows < 2 * n) {
    throw flaiError(
      `Cannot split ${ds.rows} rows among ${n} clients with at least 2 rows each. Use at most ${ds.rows >> 1} clients, or more data.`,
    );
  }
  if (opts.scheme !== "iid" && opts.scheme !== "dirichlet") {
    throw flaiError(`Unknown partition scheme ${JSON.stringify(opts.scheme)}; use "iid" or "dirichlet".`);
  }
  if (opts.alpha !== undefined && opts.scheme !== "dirichlet") {
    throw flaiError(`"alpha" only applies to the "dirichlet" partition scheme, but the scheme is "${opts.scheme}". Remove it.`);
  }
  const alpha = opts.alpha ?? DEFAULT_DIRICHLET_ALPHA;
  if (!(Number.isFinite(alpha) && alpha > 0)) {
    throw flaiError(`The Dirichlet "alpha" must be a finite number > 0 (smaller = more label skew), got ${alpha}.`);
  }

  const rand = mulberry32(opts.seed);
  const byClass = classIndices(ds, rand);
  const counts =
    opts.scheme === "iid"
      ? byClass.map((rows, c) => evenCounts(rows.length, n, rowsBefore(byClass, c) % n))
      : byClass.map((rows) => dirichletCounts(rows.length, n, alpha, rand));
  if (!opts.allowOneClass) spreadEveryClass(counts, n);
  ensureTwoRows(counts, n);

  const members: number[][] = Array.from({ length: n }, () => []);
  for (let c = 0; c < byClass.length; c++) {
    let next = 0;
    for (let k = 0; k < n; k++) {
      for (let m = 0; m < counts[c]![k]!; m++) members[k]!.push(byClass[c]![next++]!);
    }
  }
  return members.map((rows) => subset(ds, rows));
}

/**
 * A stratified split: round(fraction × class size) rows of each class go to `test`, but at least one
 * and at most all but one when a class has ≥ 2 rows, so both sides see every class when possible.
 */
export function holdoutSplit(ds: Dataset, fraction: number, seed: number): { train: Dataset; test: Dataset } {
  checkDataset(ds, "holdoutSplit");
  if (!(fraction > 0 && fraction < 1)) {
    throw flaiError(`holdoutSplit: the test fraction must be in (0, 1), got ${fraction}; 0.2 is usual.`);
  }
  const byClass = classIndices(ds, mulberry32(seed));
  const train: number[] = [];
  const test: number[] = [];
  for (const rows of byClass) {
    const take = rows.length < 2 ? 0 : Math.min(rows.length - 1, Math.max(1, Math.round(fraction * rows.length)));
    test.push(...rows.slice(0, take));
    train.push(...rows.slice(take));
  }
  if (test.length === 0) {
    throw flaiError(`holdoutSplit: ${ds.rows} rows are too few to hold out a test set with both sides non-empty. Add data.`);
  }
  return { train: subset(ds, train), test: subset(ds, test) };
}

/** Rows of classes before class `c`: where class c's round-robin dealing starts, so classes together fill clients evenly. */
const rowsBefore = (byClass: number[][], c: number) => byClass.slice(0, c).reduce((a, rows) => a + rows.length, 0);

/** Row indices of each class, each shuffled (Fisher–Yates). */
function classIndices(ds: Dataset, rand: () => number): number[][] {
  const byClass: number[][] = ds.classes.map(() => []);
  for (let r = 0; r < ds.rows; r++) byClass[ds.labels[r]!]!.push(r);
  for (const rows of byClass) {
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
  }
  return byClass;
}

/** Dealt round-robin from client `start`, so the two classes together fill clients evenly. */
function evenCounts(total: number, n: number, start: number): number[] {
  const counts = new Array<number>(n).fill(Math.floor(total / n));
  for (let i = 0; i < total % n; i++) counts[(start + i) % n]!++;
  return counts;
}

/** Class rows per client from proportions ~ Dir(alpha), rounded by largest remainder (ties: lower index). */
function dirichletCounts(total: number, n: number, alpha: number, rand: () => number): number[] {
  const logs = new Float64Array(n);
  const normal = gaussian(rand);
  let max = -Infinity;
  for (let k = 0; k < n; k++) {
    logs[k] = logGamma(alpha, rand, normal);
    max = Math.max(max, logs[k]!);
  }
  // Log space: for small alpha the Gamma draws underflow to 0 as plain numbers.
  let sum = 0;
  for (let k = 0; k < n; k++) sum += logs[k] = Math.exp(logs[k]! - max);
  const counts = new Array<number>(n);
  const remainders: number[] = [];
  let assigned = 0;
  for (let k = 0; k < n; k++) {
    const exact = (logs[k]! / sum) * total;
    counts[k] = Math.floor(exact);
    assigned += counts[k]!;
    remainders.push(exact - counts[k]!);
  }
  const order = remainders.map((_, k) => k).sort((a, b) => remainders[b]! - remainders[a]! || a - b);
  for (let i = 0; i < total - assigned; i++) counts[order[i]!]!++;
  return counts;
}

/**
 * log of a Gamma(shape, 1) draw by Marsaglia–Tsang; shape < 1 uses Gamma(shape + 1)·U^(1/shape),
 * taken in logs because U^(1/shape) underflows for small shapes.
 */
function logGamma(shape: number, rand: () => number, normal: () => number): number {
  const boost = shape < 1 ? Math.log(1 - rand()) / shape : 0;
  const d = (shape < 1 ? shape + 1 : shape) - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal();
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = 1 - rand();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
      return Math.log(d * v) + boost;
    }
  }
}

/**
 * Repairs a draw deterministically instead of re-drawing until it happens to qualify: re-drawing can
 * loop for a very long time at small alpha with many clients, and would make the result depend on
 * how lucky the seed is rather than on a rule. Each move takes one row from the client holding the
 * most (lowest index on ties), which disturbs the drawn skew as little as possible.
 *
 * Every class for everyone when each class can cover every client; the donor has ≥ 2 by pigeonhole.
 */
function spreadEveryClass(counts: number[][], n: number): void {
  if (!counts.every((cls) => cls.reduce((a, b) => a + b, 0) >= n)) return;
  for (const cls of counts) {
    for (let k = 0; k < n; k++) {
      if (cls[k] === 0) {
        cls[argMax(cls)]!--;
        cls[k] = 1;
      }
    }
  }
}

/** ≥ 2 rows each: rows ≥ 2n means a client below 2 leaves some donor with ≥ 3; it gives from its largest class. */
function ensureTwoRows(counts: number[][], n: number): void {
  const total = (k: number) => counts.reduce((sum, cls) => sum + cls[k]!, 0);
  for (let k = 0; k < n; k++) {
    while (total(k) < 2) {
      const donor = argMax(Array.from({ length: n }, (_, j) => total(j)));
      const cls = argMax(counts.map((c) => c[donor]!));
      counts[cls]![donor]!--;
      counts[cls]![k]!++;
    }
  }
}

function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function subset(ds: Dataset, rows: number[]): Dataset {
  rows.sort((a, b) => a - b);
  const { cols } = ds;
  const features = new Float64Array(rows.length * cols);
  const labels = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    features.set(ds.features.subarray(r * cols, (r + 1) * cols), i * cols);
    labels[i] = ds.labels[r]!;
  }
  return { rows: rows.length, cols, features, labels, classes: ds.classes };
}

function checkDataset(ds: Dataset, fn: string): void {
  if (ds.rows < 1 || ds.cols < 1 || ds.features.length !== ds.rows * ds.cols || ds.labels.length !== ds.rows) {
    throw flaiError(`${fn}: the dataset is malformed (${ds.rows}×${ds.cols}); parse it with parseDataset.`);
  }
  for (let r = 0; r < ds.rows; r++) {
    if (ds.labels[r]! >= ds.classes.length) {
      throw flaiError(
        `${fn}: class index ${ds.labels[r]} at row ${r}, but the dataset has ${ds.classes.length} classes; parse it with parseDataset.`,
      );
    }
  }
}
