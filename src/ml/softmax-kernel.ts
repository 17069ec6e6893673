// The hot loop of multinomial (softmax) logistic regression: loss and gradient sums over a range
// of rows. It must stay SELF-CONTAINED (no imports, no closures, no nested functions) like
// accumulateRows (logistic-kernel.ts): its source text is also what the worker threads run
// (logistic-parallel.ts), so a partition's sums are bit-identical whichever thread computed them.

/**
 * Over rows [start, end) of the row-major matrix x (cols per row), with K = outputs classes and
 * params = [W (K rows of cols)..., b (K)...], z_ik = b_k + W_k·x_i, p_i = softmax(z_i):
 *   out[at]                    = Σ_i (log Σ_k e^{z_ik} − z_{i,y_i})       (the log-loss)
 *   out[at + 1 + k·cols + j]   = Σ_i (p_ik − [y_i = k])·x_ij
 *   out[at + 1 + K·cols + k]   = Σ_i (p_ik − [y_i = k])
 * each sum taken in row order. Rows go two at a time (one load of each weight serves both dot
 * products, one load/store of each gradient entry serves both rows) without changing the order of
 * any floating-point operation: the results are bit-identical to a one-row-at-a-time loop.
 * With `center` (one value per column), x_ij is read as (x_ij − center_j), as in accumulateRows:
 * standardized training without a standardized copy of x. Each pair of rows is centered once into
 * a scratch pair of rows that the K scores and K gradient updates then read.
 * Scratch: `p` has ≥ 2·K entries.
 */
// eslint-disable-next-line max-lines-per-function -- one pass over the rows, self-contained: its source text is what the worker threads run, so it can call no helpers
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
  center: Float64Array | null = null,
): void {
  const biasAt = outputs * cols;
  const size = outputs * (cols + 1);
  for (let t = 1; t <= size; t++) out[at + t] = 0;
  let loss = 0;
  // The rows read below: x itself, or the current pair of rows centered.
  const xs = center === null ? x : new Float64Array(2 * cols);
  let i = start;
  for (; i + 1 < end; i += 2) {
    let o0 = i * cols;
    let o1 = o0 + cols;
    if (center !== null) {
      for (let j = 0; j < cols; j++) {
        const c = center[j]!;
        xs[j] = x[o0 + j]! - c;
        xs[cols + j] = x[o1 + j]! - c;
      }
      o0 = 0;
      o1 = cols;
    }
    // Scores of both rows: p[k] for row i, p[outputs + k] for row i + 1.
    let max0 = -Infinity;
    let max1 = -Infinity;
    for (let k = 0; k < outputs; k++) {
      const w = k * cols;
      const b = params[biasAt + k]!;
      let z0 = b;
      let z1 = b;
      for (let j = 0; j < cols; j++) {
        const wj = params[w + j]!;
        z0 += wj * xs[o0 + j]!;
        z1 += wj * xs[o1 + j]!;
      }
      p[k] = z0;
      p[outputs + k] = z1;
      if (z0 > max0) max0 = z0;
      if (z1 > max1) max1 = z1;
    }
    const label0 = y[i]!;
    const label1 = y[i + 1]!;
    const zLabel0 = p[label0]!;
    const zLabel1 = p[outputs + label1]!;
    // Shifted by the largest score: e^{z − max} ≤ 1 never overflows and the sum is ≥ 1.
    let sum0 = 0;
    let sum1 = 0;
    for (let k = 0; k < outputs; k++) {
      const e0 = Math.exp(p[k]! - max0);
      const e1 = Math.exp(p[outputs + k]! - max1);
      p[k] = e0;
      p[outputs + k] = e1;
      sum0 += e0;
      sum1 += e1;
    }
    loss += Math.log(sum0) + max0 - zLabel0;
    loss += Math.log(sum1) + max1 - zLabel1;
    for (let k = 0; k < outputs; k++) {
      const r0 = p[k]! / sum0 - (k === label0 ? 1 : 0);
      const r1 = p[outputs + k]! / sum1 - (k === label1 ? 1 : 0);
      const g = at + 1 + k * cols;
      for (let j = 0; j < cols; j++) {
        let a = out[g + j]!;
        a += r0 * xs[o0 + j]!;
        a += r1 * xs[o1 + j]!;
        out[g + j] = a;
      }
      const bk = at + 1 + biasAt + k;
      out[bk]! += r0;
      out[bk]! += r1;
    }
  }
  if (i < end) {
    let o = i * cols;
    if (center !== null) {
      for (let j = 0; j < cols; j++) xs[j] = x[o + j]! - center[j]!;
      o = 0;
    }
    let max = -Infinity;
    for (let k = 0; k < outputs; k++) {
      const w = k * cols;
      let z = params[biasAt + k]!;
      for (let j = 0; j < cols; j++) z += params[w + j]! * xs[o + j]!;
      p[k] = z;
      if (z > max) max = z;
    }
    const label = y[i]!;
    const zLabel = p[label]!;
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
      for (let j = 0; j < cols; j++) out[g + j]! += r * xs[o + j]!;
      out[at + 1 + biasAt + k]! += r;
    }
  }
  out[at] = loss;
}
