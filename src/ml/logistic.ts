import { flaiError } from "../errors.js";
import type { Dataset } from "./dataset.js";
import { defaultThreads, partitionCount, RowSums } from "./logistic-parallel.js";
import { outputsFor, splitParameters } from "./parameters.js";

export interface Standardization {
  mean: number[];
  scale: number[];
}

export interface LogisticOptions {
  /** Inverse L2 strength, as sklearn's `C`. */
  c?: number;
  maxIterations?: number;
  /** Max-abs gradient of the sample-averaged objective at which to stop (sklearn's `tol`). */
  tolerance?: number;
  standardize?: boolean;
  /**
   * A fixed standardization to use instead of one computed from this data (implies standardize).
   * Federated clients need the global model's one, or their weights live in different spaces.
   */
  standardization?: Standardization;
  /** Warm start, class-major (outputs × features), in the same (possibly standardized) space as the returned weights. */
  initialWeights?: ArrayLike<number>;
  /** Warm start, one per output. */
  initialBias?: ArrayLike<number>;
  /**
   * FedProx: adds (mu/2)·‖θ − center‖² to the sample-averaged objective, θ = [weights..., bias], so
   * a client's local solution cannot drift far from the global model on skewed data. `center` is in
   * the same space as the returned weights (the standardized one when standardizing). Because the
   * objective is averaged over samples, mu means the same thing for every client's dataset size.
   */
  proximal?: Proximal;
  /**
   * Threads (this one included) for the loss/gradient pass on large data (rows × cols > 2·10⁶,
   * which is split into a fixed 8 row partitions). Results are bit-identical for every value; only
   * the speed changes. Default: 2 when the machine has at least 2 CPUs, else 1. Ignored on small data.
   */
  threads?: number;
}

export interface Proximal {
  mu: number;
  /** parameterVector(weights, bias): outputs·(features + 1) values, [w..., b] for binary. */
  center: ArrayLike<number>;
}

export interface LogisticResult {
  /** Class-major (outputs × features); in the standardized space when `standardization` is not null. */
  weights: Float64Array;
  /** One per output. */
  bias: Float64Array;
  /** 1 for two classes (sigmoid of the class-1 score), K for K ≥ 3 classes (softmax). */
  outputs: number;
  iterations: number;
  converged: boolean;
  standardization: Standardization | null;
}

/** What binary prediction needs; a LogisticResult and a binary model's JSON both fit. */
export interface LinearModel {
  weights: ArrayLike<number>;
  /** A number (binary JSON form) or one value per output. */
  bias: number | ArrayLike<number>;
  standardization: Standardization | null;
}

export const LOGISTIC_DEFAULTS = { c: 1.0, maxIterations: 100, tolerance: 1e-4, standardize: true } as const;

const MEMORY = 10;
const MAX_LINE_SEARCH_EVALS = 50; // sklearn raises scipy's default of 20 to 50
const WOLFE_C1 = 1e-4;
const WOLFE_C2 = 0.9;
const FTOL = 64 * Number.EPSILON; // sklearn's relative-reduction stop

/**
 * Binary logistic regression with sklearn's default objective, C·Σ logloss + ½‖w‖² (intercept not
 * penalized). It is minimized divided by C·n — sklearn ≥ 1.2 does the same — so `tolerance` means
 * what sklearn's `tol` means and is independent of the dataset size; the minimizer is unchanged.
 */
export function trainLogisticRegression(ds: Dataset, opts: LogisticOptions = {}): LogisticResult {
  const c = opts.c ?? LOGISTIC_DEFAULTS.c;
  const maxIterations = opts.maxIterations ?? LOGISTIC_DEFAULTS.maxIterations;
  const tolerance = opts.tolerance ?? LOGISTIC_DEFAULTS.tolerance;
  checkOptions(ds, c, maxIterations, tolerance, opts);

  let standardization: Standardization | null = null;
  if (opts.standardization !== undefined) {
    checkStandardization(opts.standardization, ds.cols, "options.standardization");
    standardization = { mean: [...opts.standardization.mean], scale: [...opts.standardization.scale] };
  }
  const standardizing = standardization !== null || (opts.standardize ?? LOGISTIC_DEFAULTS.standardize);

  // Large data is split into fixed row partitions; worker threads need it in shared memory.
  const partitions = partitionCount(ds.rows, ds.cols);
  const threads = partitions > 1 ? Math.min(opts.threads ?? defaultThreads(), partitions) : 1;
  const shared = threads > 1;
  // Standardized data goes straight to shared memory when worker threads will read it.
  const x = !standardizing
    ? ds.features
    : shared
      ? new Float64Array(new SharedArrayBuffer(8 * ds.features.length))
      : new Float64Array(ds.features.length);

  // Created before x is filled in, so that a worker pool that is not up yet boots while this
  // thread standardizes; nothing reads x before the first evaluate().
  const objective = new LogisticObjective(x, ds.labels, ds.rows, ds.cols, c, opts.proximal, { threads });
  try {
    if (standardizing) {
      standardization ??= computeStandardization(ds);
      standardizeInto(ds, standardization, x);
    }
    const dim = ds.cols + 1;
    const params = new Float64Array(dim); // weights then bias
    if (opts.initialWeights !== undefined) for (let j = 0; j < ds.cols; j++) params[j] = opts.initialWeights[j]!;
    params[ds.cols] = opts.initialBias?.[0] ?? 0;

    const { iterations, converged } = new Lbfgs(objective, dim).minimize(params, maxIterations, tolerance);
    const { weights, bias } = splitParameters(params, ds.cols, 1);
    return { weights, bias, outputs: 1, iterations, converged, standardization };
  } finally {
    objective.close();
  }
}

/** P(y = 1) per row; applies the model's standardization as training did. */
export function predictProba(model: LinearModel, features: ArrayLike<number>, rows: number, cols: number): Float64Array {
  if (model.weights.length !== cols) {
    throw flaiError(`The model has ${model.weights.length} weights but the data has ${cols} features per row.`);
  }
  if (features.length !== rows * cols) {
    throw flaiError(`Expected ${rows}×${cols} = ${rows * cols} feature values, got ${features.length}.`);
  }
  const st = model.standardization;
  if (st !== null) checkStandardization(st, cols, "model.standardization");
  const bias = binaryBias(model.bias);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = bias;
    const off = i * cols;
    if (st === null) for (let j = 0; j < cols; j++) z += model.weights[j]! * features[off + j]!;
    else for (let j = 0; j < cols; j++) z += model.weights[j]! * ((features[off + j]! - st.mean[j]!) / st.scale[j]!);
    const e = Math.exp(-Math.abs(z));
    out[i] = z >= 0 ? 1 / (1 + e) : e / (1 + e);
  }
  return out;
}

function binaryBias(bias: number | ArrayLike<number>): number {
  if (typeof bias === "number") return bias;
  if (bias.length !== 1) {
    throw flaiError(`This is a ${bias.length}-class model; predictProba gives P(class 1) of a binary model only.`);
  }
  return bias[0]!;
}

/** Class 1 when P(y = 1) > 0.5, i.e. decision value > 0, as sklearn's `predict`. */
export function predictLabels(probabilities: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(probabilities.length);
  for (let i = 0; i < out.length; i++) out[i] = probabilities[i]! > 0.5 ? 1 : 0;
  return out;
}

/** Per-feature mean and population std (as sklearn's StandardScaler); constant features get scale 1. */
export function computeStandardization(ds: Dataset): Standardization {
  const { rows, cols, features } = ds;
  // Row-major passes (cache-friendly) with one accumulator per column: each column's sums still
  // add its values in row order, exactly as a column-by-column loop would.
  const sum = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let j = 0; j < cols; j++) sum[j]! += features[off + j]!;
  }
  const m = new Float64Array(cols);
  for (let j = 0; j < cols; j++) m[j] = sum[j]! / rows;
  const ss = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let j = 0; j < cols; j++) {
      const d = features[off + j]! - m[j]!;
      ss[j]! += d * d;
    }
  }
  const mean: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < cols; j++) {
    const variance = ss[j]! / rows;
    // StandardScaler's bound on rounding error: a "constant" column can show a tiny nonzero variance.
    const bound = rows * Number.EPSILON * variance + (rows * m[j]! * Number.EPSILON) ** 2;
    mean.push(m[j]!);
    scale.push(variance <= bound ? 1 : Math.sqrt(variance));
  }
  return { mean, scale };
}

/** out = (features − mean) / scale, row-major (out has rows × cols entries). */
function standardizeInto(ds: Dataset, st: Standardization, out: Float64Array): void {
  const { rows, cols, features } = ds;
  const mean = Float64Array.from(st.mean);
  const scale = Float64Array.from(st.scale);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let j = 0; j < cols; j++) out[off + j] = (features[off + j]! - mean[j]!) / scale[j]!;
  }
}

/** How LogisticObjective splits its pass over the rows (see logistic-parallel.ts). */
export interface ObjectiveParallelism {
  /**
   * Threads (this one included) when there is more than one partition; more than 1 enlists the
   * worker pool, so call close() afterwards. Workers read shared memory: x is partly copied there
   * unless it is in a SharedArrayBuffer already. Results are bit-identical for every value. Default 1.
   */
  threads?: number;
  /**
   * Row partitions, whose sums are added in order; default partitionCount(rows, cols): 1 for small
   * data, 8 above 2·10⁶ entries. Unlike threads, this changes the rounding (not the math) of the sums.
   */
  partitions?: number;
}

/**
 * F(w, b) = (1/n) Σ logloss_i + ½·λ‖w‖², λ = 1/(C·n): sklearn's objective divided by C·n, plus
 * (mu/2)·‖θ − center‖² when a proximal term is given. Loss and gradient come from one pass over the
 * rows (in cache-sized blocks; over fixed row partitions, possibly on worker threads, for large
 * data); params are [w..., b].
 */
export class LogisticObjective {
  readonly dim: number;
  private readonly lambda: number;
  private readonly mu: number;
  private readonly center: Float64Array | null;
  private readonly rowSums: RowSums;

  constructor(
    x: Float64Array,
    y: Uint8Array,
    private readonly rows: number,
    private readonly cols: number,
    c: number,
    proximal?: Proximal,
    parallelism: ObjectiveParallelism = {},
  ) {
    this.dim = cols + 1;
    this.lambda = 1 / (c * rows);
    this.mu = proximal?.mu ?? 0;
    this.center = proximal === undefined ? null : Float64Array.from(proximal.center);
    const partitions = parallelism.partitions ?? partitionCount(rows, cols);
    this.rowSums = new RowSums(x, y, rows, cols, partitions, parallelism.threads ?? 1);
  }

  /** Writes ∇F into `grad` and returns F. */
  evaluate(params: Float64Array, grad: Float64Array): number {
    const { rows, cols } = this;
    const sums = this.rowSums.sums(params);
    const inv = 1 / rows;
    let wSq = 0;
    for (let j = 0; j < cols; j++) {
      const w = params[j]!;
      wSq += w * w;
      grad[j] = sums[1 + j]! * inv + this.lambda * w;
    }
    grad[cols] = sums[1 + cols]! * inv;
    const f = sums[0]! * inv + 0.5 * this.lambda * wSq;
    // Kept out of the loop above so that without a proximal term every operation, and therefore
    // every bit of the result, is what it was before FedProx existed.
    return this.center === null ? f : f + this.addProximal(params, grad, this.center);
  }

  /** Releases the worker threads, if any; evaluate() still works afterwards, on this thread only. */
  close(): void {
    this.rowSums.close();
  }

  /** Row partitions of the loss/gradient pass (1 on small data) and how many of them workers have computed. */
  get parallelism(): { partitions: number; threaded: boolean; workerPartitions: number } {
    const r = this.rowSums;
    return { partitions: r.partitions, threaded: r.threaded, workerPartitions: r.workerPartitions };
  }

  /** Adds mu·(θ − center) to `grad` (bias included) and returns (mu/2)·‖θ − center‖². */
  private addProximal(params: Float64Array, grad: Float64Array, center: Float64Array): number {
    const mu = this.mu;
    let sq = 0;
    for (let j = 0; j < this.dim; j++) {
      const d = params[j]! - center[j]!;
      sq += d * d;
      grad[j]! += mu * d;
    }
    return 0.5 * mu * sq;
  }
}

/** L-BFGS (two-loop recursion, memory 10) with a strong-Wolfe line search; all buffers allocated once. */
class Lbfgs {
  private readonly s: Float64Array;
  private readonly y: Float64Array;
  private readonly rho: Float64Array;
  private readonly alpha: Float64Array;
  private readonly dir: Float64Array;
  private pTrial: Float64Array;
  private gTrial: Float64Array;
  private p!: Float64Array;
  private g: Float64Array;
  private stored = 0;
  private yyLast = 1;
  private head = 0; // next slot to write in the ring buffers
  private f0 = 0;
  private dphi0 = 0;
  private trialDphi = 0;
  private evals = 0;

  constructor(
    private readonly objective: LogisticObjective,
    private readonly n: number,
  ) {
    this.s = new Float64Array(MEMORY * n);
    this.y = new Float64Array(MEMORY * n);
    this.rho = new Float64Array(MEMORY);
    this.alpha = new Float64Array(MEMORY);
    this.dir = new Float64Array(n);
    this.pTrial = new Float64Array(n);
    this.gTrial = new Float64Array(n);
    this.g = new Float64Array(n);
  }

  /** Minimizes in place; stops like scipy's L-BFGS-B as sklearn calls it (gtol, ftol, maxiter). */
  minimize(params: Float64Array, maxIterations: number, tolerance: number): { iterations: number; converged: boolean } {
    const { n, dir } = this;
    this.p = new Float64Array(params);
    let f = this.objective.evaluate(this.p, this.g);
    let iterations = 0;
    let converged = maxAbs(this.g) <= tolerance;
    while (!converged && iterations < maxIterations) {
      this.searchDirection();
      let dphi = dot(this.g, dir, n);
      if (!(dphi < 0)) {
        this.stored = 0;
        for (let i = 0; i < n; i++) dir[i] = -this.g[i]!;
        dphi = dot(this.g, dir, n);
      }
      // No curvature information yet: scale the first step to unit length, as L-BFGS-B does.
      const step0 = this.stored === 0 ? Math.min(1, 1 / Math.sqrt(dot(dir, dir, n))) : 1;
      const fNew = this.lineSearch(f, dphi, step0);
      if (Number.isNaN(fNew)) {
        if (this.stored === 0) break; // even steepest descent found no decrease: numerical floor
        this.stored = 0;
        continue;
      }
      this.remember();
      const p = this.p;
      this.p = this.pTrial;
      this.pTrial = p;
      const g = this.g;
      this.g = this.gTrial;
      this.gTrial = g;
      const fOld = f;
      f = fNew;
      iterations++;
      converged =
        maxAbs(this.g) <= tolerance || (fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= FTOL;
    }
    params.set(this.p);
    return { iterations, converged };
  }

  /** dir = −H·g by the two-loop recursion over the stored (s, y) pairs. */
  private searchDirection(): void {
    const { n, dir, s, y, rho, alpha } = this;
    for (let i = 0; i < n; i++) dir[i] = -this.g[i]!;
    if (this.stored === 0) return;
    for (let k = 0; k < this.stored; k++) {
      const slot = (this.head - 1 - k + MEMORY) % MEMORY;
      const a = rho[slot]! * dotAt(s, slot * n, dir, n);
      alpha[slot] = a;
      axpyAt(-a, y, slot * n, dir, n);
    }
    const last = (this.head - 1 + MEMORY) % MEMORY;
    const gamma = 1 / (rho[last]! * this.yyLast); // sᵀy / yᵀy of the newest pair
    for (let i = 0; i < n; i++) dir[i]! *= gamma;
    for (let k = this.stored - 1; k >= 0; k--) {
      const slot = (this.head - 1 - k + MEMORY) % MEMORY;
      const b = rho[slot]! * dotAt(y, slot * n, dir, n);
      axpyAt(alpha[slot]! - b, s, slot * n, dir, n);
    }
  }

  /** Stores s = pTrial − p, y = gTrial − g unless the curvature sᵀy is not safely positive. */
  private remember(): void {
    const { n, s, y, p, g, pTrial, gTrial } = this;
    let sy = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      const si = pTrial[i]! - p[i]!;
      const yi = gTrial[i]! - g[i]!;
      sy += si * yi;
      yy += yi * yi;
    }
    // Checked before writing: when memory is full, the head slot still holds the oldest live pair.
    if (!(sy > Number.EPSILON * yy)) return;
    const off = this.head * n;
    for (let i = 0; i < n; i++) {
      s[off + i] = pTrial[i]! - p[i]!;
      y[off + i] = gTrial[i]! - g[i]!;
    }
    this.rho[this.head] = 1 / sy;
    this.yyLast = yy;
    this.head = (this.head + 1) % MEMORY;
    if (this.stored < MEMORY) this.stored++;
  }

  /** φ(a) = F(p + a·dir) into pTrial/gTrial; φ'(a) lands in trialDphi. */
  private evalAt(a: number): number {
    const { n, dir } = this;
    for (let i = 0; i < n; i++) this.pTrial[i] = this.p[i]! + a * dir[i]!;
    this.evals++;
    const f = this.objective.evaluate(this.pTrial, this.gTrial);
    this.trialDphi = dot(this.gTrial, dir, n);
    return f;
  }

  private armijoFails(a: number, f: number): boolean {
    return !Number.isFinite(f) || f > this.f0 + WOLFE_C1 * a * this.dphi0;
  }

  private curvatureHolds(): boolean {
    return Math.abs(this.trialDphi) <= -WOLFE_C2 * this.dphi0;
  }

  /**
   * Strong-Wolfe search (Nocedal & Wright, Alg. 3.5/3.6). Returns F at the accepted step with the
   * point in pTrial/gTrial, or NaN when no acceptable step exists within the evaluation budget.
   */
  private lineSearch(f0: number, dphi0: number, step0: number): number {
    this.f0 = f0;
    this.dphi0 = dphi0;
    this.evals = 0;
    let aPrev = 0;
    let fPrev = f0;
    let dPrev = dphi0;
    let a = step0;
    while (this.evals < MAX_LINE_SEARCH_EVALS) {
      const f = this.evalAt(a);
      const d = this.trialDphi;
      if (this.armijoFails(a, f) || (aPrev > 0 && f >= fPrev)) return this.zoom(aPrev, fPrev, dPrev, a, f, d);
      if (this.curvatureHolds()) return f;
      if (d >= 0) return this.zoom(a, f, d, aPrev, fPrev, dPrev);
      aPrev = a;
      fPrev = f;
      dPrev = d;
      a *= 2;
    }
    return aPrev > 0 ? this.evalAt(aPrev) : Number.NaN;
  }

  private zoom(aLo: number, fLo: number, dLo: number, aHi: number, fHi: number, dHi: number): number {
    while (this.evals < MAX_LINE_SEARCH_EVALS) {
      const width = Math.abs(aHi - aLo);
      if (width <= Number.EPSILON * Math.max(aLo, aHi)) break;
      const a = safeguardedCubic(aLo, fLo, dLo, aHi, fHi, dHi);
      const f = this.evalAt(a);
      const d = this.trialDphi;
      if (this.armijoFails(a, f) || f >= fLo) {
        aHi = a;
        fHi = f;
        dHi = d;
        continue;
      }
      if (this.curvatureHolds()) return f;
      if (d * (aHi - aLo) >= 0) {
        aHi = aLo;
        fHi = fLo;
        dHi = dLo;
      }
      aLo = a;
      fLo = f;
      dLo = d;
    }
    // Out of budget: the best point still decreases F sufficiently, so take it (curvature may fail,
    // which remember() tolerates).
    return aLo > 0 ? this.evalAt(aLo) : Number.NaN;
  }
}

/** Minimizer of the cubic through both ends, kept inside the middle 80% of the bracket. */
function safeguardedCubic(a0: number, f0: number, d0: number, a1: number, f1: number, d1: number): number {
  const lo = Math.min(a0, a1);
  const hi = Math.max(a0, a1);
  const margin = 0.1 * (hi - lo);
  const mid = 0.5 * (a0 + a1);
  if (!Number.isFinite(f0) || !Number.isFinite(f1)) return mid;
  const t1 = d0 + d1 - (3 * (f0 - f1)) / (a0 - a1);
  const disc = t1 * t1 - d0 * d1;
  if (!(disc >= 0)) return mid;
  const t2 = Math.sign(a1 - a0) * Math.sqrt(disc);
  const a = a1 - ((a1 - a0) * (d1 + t2 - t1)) / (d1 - d0 + 2 * t2);
  if (!Number.isFinite(a) || a < lo + margin || a > hi - margin) return mid;
  return a;
}

function dot(a: Float64Array, b: Float64Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[i]! * b[i]!;
  return sum;
}

function dotAt(a: Float64Array, off: number, b: Float64Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[off + i]! * b[i]!;
  return sum;
}

function axpyAt(k: number, a: Float64Array, off: number, out: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i]! += k * a[off + i]!;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]!);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

function checkOptions(ds: Dataset, c: number, maxIterations: number, tolerance: number, opts: LogisticOptions): void {
  if (ds.rows < 1 || ds.cols < 1 || ds.features.length !== ds.rows * ds.cols || ds.labels.length !== ds.rows) {
    throw flaiError(`The dataset is malformed (${ds.rows}×${ds.cols}); parse it with parseDataset.`);
  }
  if (outputsFor(ds.classes.length) !== 1) {
    throw flaiError(`Multinomial training (${ds.classes.length} classes) is not available yet; use 0/1 labels.`);
  }
  if (!(Number.isFinite(c) && c > 0)) {
    throw flaiError(`Hyperparameter "c" must be a finite number > 0 (inverse regularization strength), got ${c}.`);
  }
  if (!(Number.isInteger(maxIterations) && maxIterations >= 0)) {
    throw flaiError(`Hyperparameter "maxIterations" must be an integer ≥ 0, got ${maxIterations}.`);
  }
  if (!(Number.isFinite(tolerance) && tolerance >= 0)) {
    throw flaiError(`Hyperparameter "tolerance" must be a finite number ≥ 0, got ${tolerance}.`);
  }
  const w = opts.initialWeights;
  if (w !== undefined) {
    if (w.length !== ds.cols) {
      throw flaiError(`The initial weights have ${w.length} values but the dataset has ${ds.cols} features.`);
    }
    for (let j = 0; j < w.length; j++) {
      if (!Number.isFinite(w[j])) throw flaiError(`Initial weight ${j} is ${w[j]}; weights must be finite numbers.`);
    }
  }
  const b = opts.initialBias;
  if (b !== undefined && (b.length !== 1 || !Number.isFinite(b[0]))) {
    throw flaiError(`The initial bias is [${Array.from(b).join(", ")}]; a binary model needs one finite number.`);
  }
  if (opts.proximal !== undefined) checkProximal(opts.proximal, ds.cols);
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1)) {
    throw flaiError(`Option "threads" must be an integer ≥ 1, got ${opts.threads}.`);
  }
}

function checkProximal({ mu, center }: Proximal, cols: number): void {
  if (!(Number.isFinite(mu) && mu >= 0)) {
    throw flaiError(`The FedProx "mu" must be a finite number ≥ 0 (proximal strength), got ${mu}.`);
  }
  if (center.length !== cols + 1) {
    throw flaiError(
      `The FedProx center has ${center.length} values but needs ${cols + 1} (${cols} weights, then the bias). ` +
        `Pass the global model's weights followed by its bias.`,
    );
  }
  for (let j = 0; j <= cols; j++) {
    if (!Number.isFinite(center[j])) {
      const what = j === cols ? "bias" : `weight ${j}`;
      throw flaiError(`The FedProx center's ${what} (index ${j}) is ${center[j]}; it must be a finite number.`);
    }
  }
}

function checkStandardization(st: Standardization, cols: number, where: string): void {
  if (st.mean.length !== cols || st.scale.length !== cols) {
    throw flaiError(
      `${where} has ${st.mean.length} means and ${st.scale.length} scales, but there are ${cols} features.`,
    );
  }
  for (let j = 0; j < cols; j++) {
    if (!Number.isFinite(st.mean[j]) || !(Number.isFinite(st.scale[j]) && st.scale[j]! > 0)) {
      throw flaiError(`${where}: feature ${j} has mean ${st.mean[j]} and scale ${st.scale[j]}; need finite mean, scale > 0.`);
    }
  }
}
