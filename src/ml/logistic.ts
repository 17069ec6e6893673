import { flaiError } from "../errors.js";
import { shown } from "./shown.js";
import type { Dataset } from "./dataset.js";
import { defaultThreads, partitionCount, scaledWeights, TrainingRows } from "./logistic-parallel.js";
import { FTOL, Lbfgs, type Objective } from "./lbfgs.js";
import { outputsFor, splitParameters } from "./parameters.js";
import { SoftmaxObjective, softmaxPartitionCount } from "./softmax-objective.js";

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
   * Adds ⟨linear, θ⟩ to the sample-averaged objective, θ = parameterVector(weights, bias), in the
   * same space as `proximal.center`. For drift correction (SCAFFOLD-style): with
   * linear = c − ∇F_k(x), a client's local problem is stationary where the federation's is.
   * Needs `proximal` with mu > 0, which keeps the problem bounded below (see checkLinear).
   */
  linear?: ArrayLike<number>;
  /**
   * Threads (this one included) for the loss/gradient pass on large data (rows × cols > 2·10⁶,
   * × K for K ≥ 3 classes, which is split into a fixed 8 row partitions). Results are bit-identical for every value; only
   * the speed changes. Default: 2 when the machine has at least 2 CPUs, else 1. Ignored on small data.
   */
  threads?: number;
  /**
   * The data prepared once (trainingRows) for several calls on the same dataset and
   * standardization, e.g. a client's objectiveGradient and then its training: the workers' copy of
   * the data is made once and the sums at the shared start point are computed once. It must be
   * `ds` read with this call's standardization (checked); `threads` is then the rows'.
   */
  rows?: TrainingRows;
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

/**
 * Logistic regression with sklearn's default objective, C·Σ logloss + ½‖W‖² (intercepts not
 * penalized): binary (sigmoid) for two classes, multinomial (softmax, as sklearn's
 * multi_class="multinomial") for K ≥ 3 — ds.classes decides. It is minimized divided by C·n —
 * sklearn ≥ 1.2 does the same — so `tolerance` means what sklearn's `tol` means and is independent
 * of the dataset size; the minimizer is unchanged. Large data (rows × cols × outputs > 2·10⁶) is
 * summed over 8 fixed row partitions, on worker threads too, bit-identically for every thread count.
 */
export function trainLogisticRegression(ds: Dataset, opts: LogisticOptions = {}): LogisticResult {
  return fitOrStop(ds, opts);
}

/** With `stop`, everything up to L-BFGS runs and `stop` decides the result instead (objectiveGradient). */
type Stop = (objective: Objective, params: Float64Array, standardization: Standardization | null) => LogisticResult;

function fitOrStop(ds: Dataset, opts: LogisticOptions, stop?: Stop): LogisticResult {
  const c = opts.c ?? LOGISTIC_DEFAULTS.c;
  const maxIterations = opts.maxIterations ?? LOGISTIC_DEFAULTS.maxIterations;
  const tolerance = opts.tolerance ?? LOGISTIC_DEFAULTS.tolerance;
  const outputs = outputsFor(ds.classes.length);
  checkOptions(ds, c, maxIterations, tolerance, opts, outputs);
  const standardization = resolveStandardization(ds, opts);
  if (standardization === null) {
    const max = columnMaxAbs(ds);
    checkUnstandardizedMagnitudes(ds, outputs, max);
    checkUnstandardizedConditioning(ds, max, 1 / (c * ds.rows) + (opts.proximal?.mu ?? 0));
  }
  if (opts.rows !== undefined && !opts.rows.fits(ds, standardization, outputs)) {
    throw flaiError(
      `options.rows were prepared for other data or another standardization than this call's; prepare them with trainingRows(ds, options).`,
    );
  }
  // The data is never copied standardized: the objective reads x centered and scales its weights.
  const rows = opts.rows ?? trainingRowsFor(ds, standardization, outputs, opts.threads);
  const shared = { rows };
  const base =
    outputs === 1
      ? new LogisticObjective(ds.features, ds.labels, ds.rows, ds.cols, c, opts.proximal, shared)
      : new SoftmaxObjective(ds.features, ds.labels, ds.rows, ds.cols, outputs, c, opts.proximal, shared);
  // Without a linear term L-BFGS sees the objective itself: every operation, and bit, as before.
  const objective: Objective = opts.linear === undefined ? base : new LinearTerm(base, opts.linear);
  try {
    const size = outputs * ds.cols;
    const params = new Float64Array(size + outputs); // parameterVector(W, b)
    if (opts.initialWeights !== undefined) for (let t = 0; t < size; t++) params[t] = opts.initialWeights[t]!;
    if (opts.initialBias !== undefined) for (let k = 0; k < outputs; k++) params[size + k] = opts.initialBias[k]!;

    if (stop !== undefined) return stop(objective, params, standardization);
    const { iterations, converged, finite } = new Lbfgs(objective, params.length).minimize(params, maxIterations, tolerance);
    if (!finite) throw nonFiniteFit(largestColumn(ds, standardization));
    if (iterations === 0 && !converged && maxIterations > 0) throw noProgress(largestColumn(ds, standardization));
    const { weights, bias } = splitParameters(params, ds.cols, outputs);
    return { weights, bias, outputs, iterations, converged, standardization };
  } finally {
    if (opts.rows === undefined) rows.close();
  }
}

/** The call's standardization (a copy): the given one, one computed from the data, or null. */
function resolveStandardization(ds: Dataset, opts: LogisticOptions): Standardization | null {
  if (opts.standardization !== undefined) {
    checkStandardization(opts.standardization, ds.cols, "options.standardization");
    return { mean: [...opts.standardization.mean], scale: [...opts.standardization.scale] };
  }
  return (opts.standardize ?? LOGISTIC_DEFAULTS.standardize) ? computeStandardization(ds) : null;
}

function trainingRowsFor(ds: Dataset, standardization: Standardization | null, outputs: number, threads: number | undefined): TrainingRows {
  // Large data is split into fixed row partitions, which worker threads may help with.
  const partitions = outputs === 1 ? partitionCount(ds.rows, ds.cols) : softmaxPartitionCount(ds.rows, ds.cols, outputs);
  const used = partitions > 1 ? Math.min(threads ?? defaultThreads(), partitions) : 1;
  return new TrainingRows(ds.features, ds.labels, ds.rows, ds.cols, outputs, standardization, { threads: used });
}

/**
 * `ds` prepared for several trainLogisticRegression / objectiveGradient calls that share it
 * (options.rows), read with the standardization `opts` gives (opts.standardization, else computed
 * from the data when standardizing) and opts.threads. Close it when done.
 */
export function trainingRows(ds: Dataset, opts: LogisticOptions = {}): TrainingRows {
  const outputs = outputsFor(ds.classes.length);
  checkOptions(
    ds,
    opts.c ?? LOGISTIC_DEFAULTS.c,
    opts.maxIterations ?? LOGISTIC_DEFAULTS.maxIterations,
    opts.tolerance ?? LOGISTIC_DEFAULTS.tolerance,
    opts,
    outputs,
  );
  return trainingRowsFor(ds, resolveStandardization(ds, opts), outputs, opts.threads);
}

/**
 * ∇F at the warm start (initialWeights/initialBias, zeros if absent), F the objective
 * trainLogisticRegression minimizes with the same options (proximal and linear terms included),
 * as parameterVector(∇W, ∇b). What a client reports as ∇F_k(x) for drift correction.
 */
export function objectiveGradient(ds: Dataset, opts: LogisticOptions = {}): Float64Array {
  let out = new Float64Array(0);
  fitOrStop(ds, opts, (objective, params, standardization) => {
    out = new Float64Array(params.length);
    objective.evaluate(params, out);
    return { weights: new Float64Array(0), bias: new Float64Array(0), outputs: 0, iterations: 0, converged: false, standardization };
  });
  return out;
}

/** F(θ) + ⟨linear, θ⟩, added after F's own terms so that F's bits are unchanged. */
class LinearTerm implements Objective {
  private readonly linear: Float64Array;

  constructor(
    private readonly inner: Objective,
    linear: ArrayLike<number>,
  ) {
    this.linear = Float64Array.from(linear);
  }

  evaluate(params: Float64Array, grad: Float64Array): number {
    let f = this.inner.evaluate(params, grad);
    for (let t = 0; t < this.linear.length; t++) {
      grad[t]! += this.linear[t]!;
      f += this.linear[t]! * params[t]!;
    }
    return f;
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

/**
 * P(y = 1) per row, as predictProba, but with the standardization applied the way training applies
 * it: the weights divided by the scales once, each value centered as it is read, so no division
 * per value (about twice as fast on wide data). Equal to predictProba's up to rounding, not bit for
 * bit: what the enclave commits stays predictProba's; this is for a client's own metrics.
 */
export function predictProbaCentered(model: LinearModel, features: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const st = model.standardization;
  if (st === null) return predictProba(model, features, rows, cols);
  if (model.weights.length !== cols) {
    throw flaiError(`The model has ${model.weights.length} weights but the data has ${cols} features per row.`);
  }
  if (features.length !== rows * cols) {
    throw flaiError(`Expected ${rows}×${cols} = ${rows * cols} feature values, got ${features.length}.`);
  }
  checkStandardization(st, cols, "model.standardization");
  const bias = binaryBias(model.bias);
  const mean = Float64Array.from(st.mean);
  const v = new Float64Array(cols);
  for (let j = 0; j < cols; j++) v[j] = model.weights[j]! / st.scale[j]!;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = bias;
    const off = i * cols;
    for (let j = 0; j < cols; j++) z += v[j]! * (features[off + j]! - mean[j]!);
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
    if (!Number.isFinite(m[j]!) || !Number.isFinite(variance)) throw overflowingColumn(ds, j, Number.isFinite(m[j]!) ? "variance" : "mean");
    // StandardScaler's bound on rounding error: a "constant" column can show a tiny nonzero variance.
    const bound = rows * Number.EPSILON * variance + (rows * m[j]! * Number.EPSILON) ** 2;
    mean.push(m[j]!);
    scale.push(variance <= bound ? 1 : Math.sqrt(variance));
  }
  return { mean, scale };
}

/** How an objective reads and splits its pass over the rows (see logistic-parallel.ts). */
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
  /**
   * Read x as (x − mean) / scale, without making that copy: the kernel centers each value as it
   * reads it and the objective divides weights and gradient by the scales (see TrainingRows).
   */
  standardization?: Standardization | null;
  /**
   * Rows prepared once and shared by several objectives on the same data (x, y, standardization,
   * threads and partitions all come from it; the objective does not close it).
   */
  rows?: TrainingRows;
}

/**
 * F(w, b) = (1/n) Σ logloss_i + ½·λ‖w‖², λ = 1/(C·n): sklearn's objective divided by C·n, plus
 * (mu/2)·‖θ − center‖² when a proximal term is given. Loss and gradient come from one pass over the
 * rows (in cache-sized blocks; over fixed row partitions, possibly on worker threads, for large
 * data); params are [w..., b]. With a standardization, F is that of the standardized data
 * x̃_ij = (x_ij − m_j)/s_j, computed from x itself: z_i = b + Σ_j (w_j/s_j)·(x_ij − m_j) and
 * ∂F/∂w_j from Σ_i r_i·(x_ij − m_j) / s_j (no cancellation: x is centered before it is multiplied).
 */
export class LogisticObjective {
  readonly dim: number;
  private readonly lambda: number;
  private readonly mu: number;
  private readonly center: Float64Array | null;
  private readonly rows_: TrainingRows;
  private readonly ownsRows: boolean;
  /** params with the weights divided by the scales (standardized data only). */
  private readonly scaled: Float64Array;

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
    this.ownsRows = parallelism.rows === undefined;
    this.rows_ = parallelism.rows ?? new TrainingRows(x, y, rows, cols, 1, parallelism.standardization ?? null, parallelism);
    this.scaled = new Float64Array(this.rows_.scale === null ? 0 : this.dim);
  }

  /** Writes ∇F into `grad` and returns F. */
  evaluate(params: Float64Array, grad: Float64Array): number {
    const { rows, cols } = this;
    const scale = this.rows_.scale;
    const sums = this.rows_.rowSums.sums(scale === null ? params : scaledWeights(params, scale, this.scaled, 1));
    const inv = 1 / rows;
    let wSq = 0;
    if (scale === null) {
      for (let j = 0; j < cols; j++) {
        const w = params[j]!;
        wSq += w * w;
        grad[j] = sums[1 + j]! * inv + this.lambda * w;
      }
    } else {
      for (let j = 0; j < cols; j++) {
        const w = params[j]!;
        wSq += w * w;
        grad[j] = (sums[1 + j]! / scale[j]!) * inv + this.lambda * w;
      }
    }
    grad[cols] = sums[1 + cols]! * inv;
    const f = sums[0]! * inv + 0.5 * this.lambda * wSq;
    // Kept out of the loop above so that without a proximal term every operation, and therefore
    // every bit of the result, is what it was before FedProx existed.
    return this.center === null ? f : f + this.addProximal(params, grad, this.center);
  }

  /** Releases the worker threads, if any (unless the rows are shared); evaluate() still works afterwards, on this thread only. */
  close(): void {
    if (this.ownsRows) this.rows_.close();
  }

  /** Row partitions of the loss/gradient pass (1 on small data) and how many of them workers have computed. */
  get parallelism(): { partitions: number; threaded: boolean; workerPartitions: number } {
    const r = this.rows_.rowSums;
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

/**
 * A column whose mean or variance overflows float64 (values near ±1e308): its scale would be
 * infinite and its weight silently 0, so training would sign a model that ignores it (issue 15).
 */
function overflowingColumn(ds: Dataset, j: number, what: "mean" | "variance"): Error {
  const name = ds.columns?.[j];
  return flaiError(
    `Feature column ${j}${name === undefined ? "" : ` (${shown(name)})`} has values too large to standardize: its ` +
      `${what} overflows a 64-bit float (values near ±1e308). ` +
      `Rescale that column (other units, or a log), or list it in the model spec's "ignore".`,
  );
}

/** The largest |x| of each column (NaN never occurs: datasets hold finite numbers only). */
function columnMaxAbs(ds: Dataset): Float64Array {
  const max = new Float64Array(ds.cols);
  for (let i = 0; i < ds.rows; i++) {
    const off = i * ds.cols;
    for (let j = 0; j < ds.cols; j++) {
      const v = Math.abs(ds.features[off + j]!);
      if (v > max[j]!) max[j] = v;
    }
  }
  return max;
}

function columnLabel(ds: Dataset, j: number): string {
  const name = ds.columns?.[j];
  return `Feature column ${j}${name === undefined ? "" : ` (${shown(name)})`}`;
}

/**
 * Unstandardized, each gradient component is (1/n)·Σ rᵢ·xᵢⱼ with |rᵢ| ≤ 1, so it can be as large as
 * the column's largest |x|; L-BFGS scales its first step by the gradient's length √(Σ gⱼ²) over all
 * P = outputs·(cols + 1) parameters, which overflows float64 once a column reaches
 * √(MAX_VALUE / P) (≈ 1.3e154/√P). Its step is then 0 and it would stop at the untrained start
 * (issue 15: ±1e200 gave an all-zero model predicting one class). Refused before training, named.
 */
function checkUnstandardizedMagnitudes(ds: Dataset, outputs: number, max: Float64Array): void {
  const parameters = outputs * (ds.cols + 1);
  const bound = Math.sqrt(Number.MAX_VALUE / parameters);
  const j = max.findIndex((v) => v >= bound);
  if (j === -1) return;
  throw flaiError(
    `${columnLabel(ds, j)} has values up to ±${max[j]!.toExponential(1)}, too large to train on without standardization: ` +
      `the optimizer's gradient then has a component that large, and its length over the ${parameters} parameters ` +
      `overflows a 64-bit float from ±${bound.toExponential(1)} (√(1.8e308 / ${parameters})). ` +
      `Set "standardize": true in the model spec, rescale that column (other units, or a log), or list it in "ignore".`,
  );
}

/**
 * Unstandardized, the objective's curvature along weight j is at most E[xⱼ²]/4 (p(1−p) ≤ 1/4) plus
 * the L2 (and FedProx) term. L-BFGS stops, as sklearn's does, once an iteration lowers the loss by
 * less than FTOL = 64ε of itself; when the curvatures differ by more than 1/FTOL (≈ 7e13), that
 * test fires once the steep columns are fitted, with the flat columns' weights still untrained, and
 * reports convergence (issue 15: a column ×1e6 gave 87% accuracy instead of 98%, ×1e7 a constant
 * model, both "converged"). Measured onset on three datasets: ratios 3.7e14 to 4e15; below 7e13
 * the fits were right or reported as not converged. Refused before training, naming both columns.
 */
function checkUnstandardizedConditioning(ds: Dataset, max: Float64Array, penalty: number): void {
  // E[x²] scaled by the column's max, so the sum cannot overflow (max² is finite after the check above).
  const sumSq = new Float64Array(ds.cols);
  for (let i = 0; i < ds.rows; i++) {
    const off = i * ds.cols;
    for (let j = 0; j < ds.cols; j++) {
      const m = max[j]!;
      if (m > 0) sumSq[j]! += (ds.features[off + j]! / m) ** 2;
    }
  }
  let steep = -1;
  let flat = -1;
  const curvature = new Float64Array(ds.cols);
  for (let j = 0; j < ds.cols; j++) {
    // An all-zero column's weight stays at its optimum, 0, however flat: it cannot be left untrained.
    if (max[j] === 0) continue;
    curvature[j] = (max[j]! * max[j]! * sumSq[j]!) / ds.rows / 4;
    if (steep === -1 || curvature[j]! > curvature[steep]!) steep = j;
    if (flat === -1 || curvature[j]! < curvature[flat]!) flat = j;
  }
  if (steep === -1) return;
  const ratio = curvature[steep]! / (curvature[flat]! + penalty);
  if (!(ratio > 1 / FTOL)) return;
  throw flaiError(
    `${columnLabel(ds, steep)} is too large next to ${columnLabel(ds, flat).replace("Feature", "feature")} to train on without ` +
      `standardization: their mean squares differ by a factor of ${ratio.toExponential(1)}, and beyond 1/(64ε) ≈ ` +
      `${(1 / FTOL).toExponential(1)} the optimizer's stopping test (as sklearn's) fires with the smaller columns' weights ` +
      `untrained, a model that ignores them. Set "standardize": true in the model spec, rescale column ${steep} ` +
      `(other units, or a log), or list it in "ignore".`,
  );
}

/** For a failed unstandardized fit: the column with the largest values, the likeliest culprit. */
function largestColumn(ds: Dataset, standardization: Standardization | null): string {
  if (standardization !== null) return "";
  const max = columnMaxAbs(ds);
  let j = 0;
  for (let k = 1; k < ds.cols; k++) if (max[k]! > max[j]!) j = k;
  return ` The largest values are in ${columnLabel(ds, j).replace("Feature", "feature")}: up to ±${max[j]!.toExponential(1)}.`;
}

/**
 * A fit whose loss or gradient is not finite at the weights found: L-BFGS stops at once on such data
 * (values too large for float64 arithmetic) and would return its starting point, a model that was
 * never trained, to be signed and paid for (issue 15).
 */
function nonFiniteFit(culprit: string): Error {
  return flaiError(
    `Training failed: the loss is not a finite number on this data, so no model was trained. A feature's values are ` +
      `too large for 64-bit float arithmetic (near ±1e308, or ±1e154 once squared).${culprit} Rescale the large column(s) ` +
      `(other units, or a log), or train with "standardize": true.`,
  );
}

/**
 * L-BFGS stopped at its first step without converging: no step along the gradient lowered the
 * loss, which on this objective (convex, smooth) means float64 arithmetic broke down, not that the
 * start is optimal (that converges). The untrained start is not a model to sign (issue 15).
 */
function noProgress(culprit: string): Error {
  return flaiError(
    `Training failed: the first step of the optimizer could not lower the loss, so no model was trained. A feature's ` +
      `values are too large for 64-bit float arithmetic to train on unstandardized.${culprit} Rescale the large ` +
      `column(s) (other units, or a log), or train with "standardize": true.`,
  );
}

function checkOptions(ds: Dataset, c: number, maxIterations: number, tolerance: number, opts: LogisticOptions, outputs: number): void {
  if (ds.rows < 1 || ds.cols < 1 || ds.features.length !== ds.rows * ds.cols || ds.labels.length !== ds.rows) {
    throw flaiError(`The dataset is malformed (${ds.rows}×${ds.cols}); parse it with parseDataset.`);
  }
  const bad = ds.labels.findIndex((label) => label >= ds.classes.length);
  if (bad !== -1) {
    throw flaiError(`The dataset's row ${bad} has class index ${ds.labels[bad]}, but it lists ${ds.classes.length} classes.`);
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
    if (w.length !== outputs * ds.cols) {
      const shape = outputs === 1 ? `${ds.cols} features` : `${outputs} classes × ${ds.cols} features = ${outputs * ds.cols} weights`;
      throw flaiError(`The initial weights have ${w.length} values but the dataset has ${shape}.`);
    }
    for (let j = 0; j < w.length; j++) {
      if (!Number.isFinite(w[j])) throw flaiError(`Initial weight ${j} is ${w[j]}; weights must be finite numbers.`);
    }
  }
  const b = opts.initialBias;
  if (b !== undefined && (b.length !== outputs || !Array.from(b).every(Number.isFinite))) {
    throw flaiError(`The initial bias is [${Array.from(b).join(", ")}]; this model needs ${outputs} finite number(s), one per output.`);
  }
  if (opts.proximal !== undefined) checkProximal(opts.proximal, ds.cols, outputs);
  if (opts.linear !== undefined) checkLinear(opts.linear, opts.proximal, ds.cols, outputs);
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1)) {
    throw flaiError(`Option "threads" must be an integer ≥ 1, got ${opts.threads}.`);
  }
}

function checkProximal({ mu, center }: Proximal, cols: number, outputs: number): void {
  if (!(Number.isFinite(mu) && mu >= 0)) {
    throw flaiError(`The FedProx "mu" must be a finite number ≥ 0 (proximal strength), got ${mu}.`);
  }
  const size = outputs * cols;
  if (center.length !== size + outputs) {
    const parts = outputs === 1 ? `${cols} weights, then the bias` : `${outputs}×${cols} weights, then ${outputs} biases`;
    throw flaiError(
      `The FedProx center has ${center.length} values but needs ${size + outputs} (${parts}). ` +
        `Pass the global model's parameterVector(weights, bias).`,
    );
  }
  for (let j = 0; j < center.length; j++) {
    if (!Number.isFinite(center[j])) {
      const what = j >= size ? (outputs === 1 ? "bias" : `bias ${j - size}`) : `weight ${j}`;
      throw flaiError(`The FedProx center's ${what} (index ${j}) is ${center[j]}; it must be a finite number.`);
    }
  }
}

function checkLinear(linear: ArrayLike<number>, proximal: Proximal | undefined, cols: number, outputs: number): void {
  // F alone is not bounded below along an unpenalized bias when the data lacks a class (and along
  // a shift of every softmax bias): a linear term there would send L-BFGS to infinity.
  if (!(proximal !== undefined && proximal.mu > 0)) {
    throw flaiError(
      `A linear (drift-correction) term needs a proximal term with mu > 0 (options.proximal): without it the objective can be unbounded below along the biases.`,
    );
  }
  const size = outputs * cols;
  if (linear.length !== size + outputs) {
    throw flaiError(
      `The linear (drift-correction) term has ${linear.length} values but this model has ${size + outputs} parameters (weights, then biases).`,
    );
  }
  for (let j = 0; j < linear.length; j++) {
    if (!Number.isFinite(linear[j]))
      throw flaiError(`The linear (drift-correction) term's value ${j} is ${linear[j]}; it must be a finite number.`);
  }
}

function checkStandardization(st: Standardization, cols: number, where: string): void {
  if (st.mean.length !== cols || st.scale.length !== cols) {
    throw flaiError(`${where} has ${st.mean.length} means and ${st.scale.length} scales, but there are ${cols} features.`);
  }
  for (let j = 0; j < cols; j++) {
    if (!Number.isFinite(st.mean[j]) || !(Number.isFinite(st.scale[j]) && st.scale[j]! > 0)) {
      throw flaiError(`${where}: feature ${j} has mean ${st.mean[j]} and scale ${st.scale[j]}; need finite mean, scale > 0.`);
    }
  }
}
