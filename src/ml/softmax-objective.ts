import type { Proximal } from "./logistic.js";
import type { Objective } from "./lbfgs.js";
import { accumulateSoftmaxRows } from "./softmax-kernel.js";

/**
 * F(W, b) = (1/n) Σ_i −log softmax(z_i)[y_i] + ½·λ‖W‖², λ = 1/(C·n): scikit-learn's multinomial
 * objective C·Σ logloss + ½‖W‖² divided by C·n (intercepts not penalized), plus
 * (mu/2)·‖θ − center‖² with a proximal term (FedProx). params = parameterVector(W, b), W class-major.
 * One pass over the rows on the calling thread.
 */
export class SoftmaxObjective implements Objective {
  readonly dim: number;
  private readonly lambda: number;
  private readonly mu: number;
  private readonly center: Float64Array | null;
  private readonly sums: Float64Array;
  private readonly scratch: Float64Array;

  constructor(
    private readonly x: Float64Array,
    private readonly y: Uint8Array,
    private readonly rows: number,
    private readonly cols: number,
    private readonly outputs: number,
    c: number,
    proximal?: Proximal,
  ) {
    this.dim = outputs * (cols + 1);
    this.lambda = 1 / (c * rows);
    this.mu = proximal?.mu ?? 0;
    this.center = proximal === undefined ? null : Float64Array.from(proximal.center);
    this.sums = new Float64Array(1 + this.dim);
    this.scratch = new Float64Array(outputs);
  }

  /** Writes ∇F into `grad` and returns F. */
  evaluate(params: Float64Array, grad: Float64Array): number {
    const { rows, cols, outputs, sums, lambda } = this;
    accumulateSoftmaxRows(this.x, this.y, cols, outputs, 0, rows, params, sums, 0, this.scratch);
    const inv = 1 / rows;
    const weights = outputs * cols;
    let wSq = 0;
    for (let t = 0; t < weights; t++) {
      const w = params[t]!;
      wSq += w * w;
      grad[t] = sums[1 + t]! * inv + lambda * w;
    }
    for (let t = weights; t < this.dim; t++) grad[t] = sums[1 + t]! * inv;
    const f = sums[0]! * inv + 0.5 * lambda * wSq;
    return this.center === null ? f : f + addProximal(params, grad, this.center, this.mu);
  }

  /** Nothing to release (no worker threads); present so both objectives close alike. */
  close(): void {}
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
