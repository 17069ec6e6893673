import type { ObjectiveParallelism, Proximal } from "./logistic.js";
import type { Objective } from "./lbfgs.js";
import { partitionCount, scaledWeights, TrainingRows } from "./logistic-parallel.js";

/**
 * F(W, b) = (1/n) Σ_i −log softmax(z_i)[y_i] + ½·λ‖W‖², λ = 1/(C·n): scikit-learn's multinomial
 * objective C·Σ logloss + ½‖W‖² divided by C·n (intercepts not penalized), plus
 * (mu/2)·‖θ − center‖² with a proximal term (FedProx). params = parameterVector(W, b), W class-major.
 * One pass over the rows; on large data over fixed row partitions, possibly on worker threads, with
 * bit-identical results for every thread count (see logistic-parallel.ts). A standardization is
 * applied as in LogisticObjective: weights divided by the scales over x centered as it is read.
 */
export class SoftmaxObjective implements Objective {
  readonly dim: number;
  private readonly lambda: number;
  private readonly mu: number;
  private readonly center: Float64Array | null;
  private readonly rows_: TrainingRows;
  private readonly ownsRows: boolean;
  private readonly scaled: Float64Array;

  constructor(
    x: Float64Array,
    y: Uint8Array,
    private readonly rows: number,
    private readonly cols: number,
    private readonly outputs: number,
    c: number,
    proximal?: Proximal,
    parallelism: ObjectiveParallelism = {},
  ) {
    this.dim = outputs * (cols + 1);
    this.lambda = 1 / (c * rows);
    this.mu = proximal?.mu ?? 0;
    this.center = proximal === undefined ? null : Float64Array.from(proximal.center);
    this.ownsRows = parallelism.rows === undefined;
    this.rows_ = parallelism.rows ?? new TrainingRows(x, y, rows, cols, outputs, parallelism.standardization ?? null, parallelism);
    this.scaled = new Float64Array(this.rows_.scale === null ? 0 : this.dim);
  }

  /** Writes ∇F into `grad` and returns F. */
  evaluate(params: Float64Array, grad: Float64Array): number {
    const { rows, cols, outputs, lambda } = this;
    const scale = this.rows_.scale;
    const sums = this.rows_.rowSums.sums(scale === null ? params : scaledWeights(params, scale, this.scaled, outputs));
    const inv = 1 / rows;
    const weights = outputs * cols;
    let wSq = 0;
    if (scale === null) {
      for (let t = 0; t < weights; t++) {
        const w = params[t]!;
        wSq += w * w;
        grad[t] = sums[1 + t]! * inv + lambda * w;
      }
    } else {
      for (let t = 0; t < weights; t++) {
        const w = params[t]!;
        wSq += w * w;
        grad[t] = (sums[1 + t]! / scale[t % cols]!) * inv + lambda * w;
      }
    }
    for (let t = weights; t < this.dim; t++) grad[t] = sums[1 + t]! * inv;
    const f = sums[0]! * inv + 0.5 * lambda * wSq;
    return this.center === null ? f : f + addProximal(params, grad, this.center, this.mu);
  }

  /** Releases the worker threads, if any; evaluate() still works afterwards, on this thread only. */
  close(): void {
    if (this.ownsRows) this.rows_.close();
  }

  /** Row partitions of the pass (1 on small data) and how many of them workers have computed. */
  get parallelism(): { partitions: number; threaded: boolean; workerPartitions: number } {
    const r = this.rows_.rowSums;
    return { partitions: r.partitions, threaded: r.threaded, workerPartitions: r.workerPartitions };
  }
}

/**
 * Partitions for K-class data: the binary rule applied to rows × (cols · K), the work per pass, so
 * it depends only on the data's shape and class count, never on the machine.
 */
export function softmaxPartitionCount(rows: number, cols: number, outputs: number): number {
  return partitionCount(rows, cols * outputs);
}

/** Adds mu·(θ − center) to `grad` (biases included) and returns (mu/2)·‖θ − center‖². */
function addProximal(params: Float64Array, grad: Float64Array, center: Float64Array, mu: number): number {
  let sq = 0;
  for (let t = 0; t < center.length; t++) {
    const d = params[t]! - center[t]!;
    sq += d * d;
    grad[t]! += mu * d;
  }
  return 0.5 * mu * sq;
}
