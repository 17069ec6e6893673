// L-BFGS as scikit-learn runs it through scipy's L-BFGS-B (no bounds): memory 10, a strong-Wolfe
// line search, the same stopping rules (gtol on the max-abs gradient, ftol on the relative decrease).

const MEMORY = 10;
const MAX_LINE_SEARCH_EVALS = 50; // sklearn raises scipy's default of 20 to 50
const WOLFE_C1 = 1e-4;
const WOLFE_C2 = 0.9;
export const FTOL = 64 * Number.EPSILON; // sklearn's relative-reduction stop

/** What L-BFGS minimizes: F and its gradient at a point. */
export interface Objective {
  /** Writes ∇F into `grad` and returns F. */
  evaluate(params: Float64Array, grad: Float64Array): number;
}

/** L-BFGS (two-loop recursion, memory 10) with a strong-Wolfe line search; all buffers allocated once. */
export class Lbfgs {
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
    private readonly objective: Objective,
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
  /**
   * `finite` is false when the loss or its gradient at the returned params is not a finite number
   * (data beyond float64 arithmetic): the result is then no fit at all (issue 15).
   */
  minimize(params: Float64Array, maxIterations: number, tolerance: number): { iterations: number; converged: boolean; finite: boolean } {
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
      // A gradient whose length overflows (features near ±1e154 unstandardized) gives a step of 0
      // and a slope of −∞, which the line search would accept as a step and the ftol test as
      // convergence at the untouched start (issue 15): stop unconverged instead.
      if (!(step0 > 0) || !Number.isFinite(dphi)) break;
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
      converged = maxAbs(this.g) <= tolerance || (fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= FTOL;
    }
    params.set(this.p);
    const finite = Number.isFinite(f) && this.g.every(Number.isFinite) && this.p.every(Number.isFinite);
    return { iterations, converged, finite };
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
    let gs = 0;
    for (let i = 0; i < n; i++) {
      const si = pTrial[i]! - p[i]!;
      const yi = gTrial[i]! - g[i]!;
      sy += si * yi;
      yy += yi * yi;
      gs += g[i]! * si;
    }
    // L-BFGS-B's test (as scipy runs it for sklearn): sᵀy must exceed ε times the decrease −gᵀs the
    // step predicted. Both are in units of F, so rescaling features cannot make every pair look
    // flat — the former sᵀy > ε·yᵀy skipped every pair with features ×1e6 (yᵀy grows with the
    // square of the curvature), leaving steepest descent. Checked before writing: when memory is
    // full, the head slot still holds the oldest live pair.
    if (!(sy > Number.EPSILON * -gs)) return;
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
