// The hot loop of logistic-regression training: loss and gradient sums over a range of rows.
//
// `accumulateRows` must stay SELF-CONTAINED (no imports, no closures, no nested functions): its
// source text is also what the gradient worker threads run (see logistic-parallel.ts), so every
// thread executes the very same operations and a partition's sums are bit-identical whichever
// thread computed them.

/** Rows per block at most: a block of the design matrix is reused from cache by the three passes. */
export const KERNEL_BLOCK_ROWS = 512;

/**
 * Over rows [start, end) of the row-major matrix x (cols per row), with θ = params = [w..., b]:
 *   out[at]              = Σ logloss_i            (log(1 + e^{-z}) for y = 1, log(1 + e^{z}) for y = 0)
 *   out[at + 1 + j]      = Σ r_i·x_ij, j < cols   (r_i = σ(z_i) − y_i, z_i = b + w·x_i)
 *   out[at + 1 + cols]   = Σ r_i
 * each sum taken in row order, so the results are bit-identical to the plain one-row-at-a-time
 * loop. The rows are processed in blocks (z for the block, then r and the loss, then the gradient)
 * and two rows at a time; neither changes the order of any floating-point operation, they only
 * keep the block in cache and let two independent dot products overlap. A block holds at most
 * z.length rows and about 256 KiB of x (never fewer than 2 rows): wide rows (1e5 features) go two
 * at a time, so the gradient pass re-reads them from cache, not from memory.
 *
 * With `center` (one value per column), x_ij is read as (x_ij − center_j) everywhere: standardized
 * data is the caller's params scaled by 1/scale over centered x, so no standardized copy of x is
 * ever made. Without it, the loops are exactly the uncentered ones.
 *
 * Scratch: `z` holds at least one block of rows (its length is the largest block); `acc` has ≥ cols.
 */
// eslint-disable-next-line max-lines-per-function -- one pass over the rows, self-contained: its source text is what the worker threads run, so it can call no helpers
export function accumulateRows(
  x: Float64Array,
  y: Uint8Array,
  cols: number,
  start: number,
  end: number,
  params: Float64Array,
  out: Float64Array,
  at: number,
  z: Float64Array,
  acc: Float64Array,
  center: Float64Array | null = null,
): void {
  // 32768 doubles = 256 KiB (a literal: this function may not read module constants).
  const block = Math.min(z.length, Math.max(2, Math.floor(32768 / cols)));
  const bias = params[cols]!;
  let loss = 0;
  let gBias = 0;
  for (let j = 0; j < cols; j++) acc[j] = 0;
  for (let b0 = start; b0 < end; b0 += block) {
    const b1 = end - b0 < block ? end : b0 + block;
    // Pass 1: z_i = b + Σ_j w_j·x_ij, summed over j in order, two rows at a time.
    let i = b0;
    for (; i + 1 < b1; i += 2) {
      const o0 = i * cols;
      const o1 = o0 + cols;
      let z0 = bias;
      let z1 = bias;
      if (center === null) {
        for (let j = 0; j < cols; j++) {
          const w = params[j]!;
          z0 += w * x[o0 + j]!;
          z1 += w * x[o1 + j]!;
        }
      } else {
        for (let j = 0; j < cols; j++) {
          const w = params[j]!;
          const c = center[j]!;
          z0 += w * (x[o0 + j]! - c);
          z1 += w * (x[o1 + j]! - c);
        }
      }
      z[i - b0] = z0;
      z[i - b0 + 1] = z1;
    }
    if (i < b1) {
      const o0 = i * cols;
      let z0 = bias;
      if (center === null) for (let j = 0; j < cols; j++) z0 += params[j]! * x[o0 + j]!;
      else for (let j = 0; j < cols; j++) z0 += params[j]! * (x[o0 + j]! - center[j]!);
      z[i - b0] = z0;
    }
    // Pass 2: the loss and the residual r_i (stored over z_i).
    for (i = b0; i < b1; i++) {
      const zi = z[i - b0]!;
      // log(1 + e^{∓z}) via e = e^{-|z|} ≤ 1: never overflows, keeps precision in both tails.
      const e = Math.exp(-Math.abs(zi));
      const label = y[i]!;
      const margin = label === 1 ? (zi < 0 ? -zi : 0) : zi > 0 ? zi : 0;
      loss += margin + Math.log1p(e);
      const r = (zi >= 0 ? 1 / (1 + e) : e / (1 + e)) - label;
      z[i - b0] = r;
      gBias += r;
    }
    // Pass 3: acc_j += r_i·x_ij in row order, two rows per load/store of acc_j.
    i = b0;
    for (; i + 1 < b1; i += 2) {
      const o0 = i * cols;
      const o1 = o0 + cols;
      const r0 = z[i - b0]!;
      const r1 = z[i - b0 + 1]!;
      if (center === null) {
        for (let j = 0; j < cols; j++) {
          let a = acc[j]!;
          a += r0 * x[o0 + j]!;
          a += r1 * x[o1 + j]!;
          acc[j] = a;
        }
      } else {
        for (let j = 0; j < cols; j++) {
          const c = center[j]!;
          let a = acc[j]!;
          a += r0 * (x[o0 + j]! - c);
          a += r1 * (x[o1 + j]! - c);
          acc[j] = a;
        }
      }
    }
    if (i < b1) {
      const o0 = i * cols;
      const r0 = z[i - b0]!;
      if (center === null) for (let j = 0; j < cols; j++) acc[j]! += r0 * x[o0 + j]!;
      else for (let j = 0; j < cols; j++) acc[j]! += r0 * (x[o0 + j]! - center[j]!);
    }
  }
  out[at] = loss;
  for (let j = 0; j < cols; j++) out[at + 1 + j] = acc[j]!;
  out[at + 1 + cols] = gBias;
}
