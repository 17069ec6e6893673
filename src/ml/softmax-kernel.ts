// The hot loop of multinomial (softmax) logistic regression: loss and gradient sums over a range
// of rows. Self-contained like accumulateRows (logistic-kernel.ts), so it could be shipped to
// worker threads as source text the same way.

/**
 * Over rows [start, end) of the row-major matrix x (cols per row), with K = outputs classes and
 * params = [W (K rows of cols)..., b (K)...], z_ik = b_k + W_k·x_i, p_i = softmax(z_i):
 *   out[at]                    = Σ_i (log Σ_k e^{z_ik} − z_{i,y_i})       (the log-loss)
 *   out[at + 1 + k·cols + j]   = Σ_i (p_ik − [y_i = k])·x_ij
 *   out[at + 1 + K·cols + k]   = Σ_i (p_ik − [y_i = k])
 * each sum taken in row order. Scratch: `p` has ≥ K entries.
 */
export function accumulateSoftmaxRows(
  x: Float64Array,
  y: Uint8Array,
  cols: number,
  outputs: number,
  start: number,
  end: number,
  params: Float64Array,
  out: Float64Array,
  at: number,
  p: Float64Array,
): void {
  const biasAt = outputs * cols;
  const size = outputs * (cols + 1);
  for (let t = 1; t <= size; t++) out[at + t] = 0;
  let loss = 0;
  for (let i = start; i < end; i++) {
    const o = i * cols;
    let max = -Infinity;
    for (let k = 0; k < outputs; k++) {
      const w = k * cols;
      let z = params[biasAt + k]!;
      for (let j = 0; j < cols; j++) z += params[w + j]! * x[o + j]!;
      p[k] = z;
      if (z > max) max = z;
    }
    const label = y[i]!;
    const zLabel = p[label]!;
    // Shifted by the largest score: e^{z − max} ≤ 1 never overflows and the sum is ≥ 1.
    let sum = 0;
    for (let k = 0; k < outputs; k++) {
      const e = Math.exp(p[k]! - max);
      p[k] = e;
      sum += e;
    }
    loss += Math.log(sum) + max - zLabel;
    for (let k = 0; k < outputs; k++) {
      const r = p[k]! / sum - (k === label ? 1 : 0);
      const g = at + 1 + k * cols;
      for (let j = 0; j < cols; j++) out[g + j]! += r * x[o + j]!;
      out[at + 1 + biasAt + k]! += r;
    }
  }
  out[at] = loss;
}
