/**
 * Box-constrained L-BFGS: two-loop recursion on the free variables, a projected backtracking (Armijo) line
 * search with quadratic interpolation, memory reset when the active set changes direction. Used for GP
 * hyperparameters (unbounded) and for acquisition functions (the unit cube, with some coordinates pinned by
 * lower = upper).
 */

/** Writes the gradient of the objective at `x` into `gradient` and returns its value (may be non-finite). */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

/** Options of {@link minimiseBox}. */
export interface MinimiseOptions {
  /** Lower bounds, -Infinity for none. @default unbounded */
  lower?: ArrayLike<number>;
  /** Upper bounds, Infinity for none. @default unbounded */
  upper?: ArrayLike<number>;
  /** @default 100 */
  maxIterations?: number;
  /** Pairs kept for the inverse-Hessian estimate. @default 8 */
  memory?: number;
  /** Stops when the projected gradient's largest component is below this. @default 1e-6 */
  gradientTolerance?: number;
  /** Stops when an iteration improves the value by less than this, relative to max(1, |f|). @default 1e-10 */
  valueTolerance?: number;
  /**
   * Largest change of any coordinate in the first step. A start near the optimum (a warm start) knows
   * nothing of the curvature yet, and a small first step saves the backtracking from a long one.
   * @default no limit: a unit-length step
   */
  firstStep?: number;
  /**
   * The objective's value alone, where that is cheaper than value and gradient (a GP likelihood, whose
   * gradient needs K⁻¹): the line search tries steps with it and asks `f` for the gradient of the step it
   * takes, at the same point. @default `f`
   */
  value?: (x: Float64Array) => number;
}

/** Where {@link minimiseBox} ended. */
export interface MinimiseResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/**
 * Minimises `f` from `x0` inside the box `[lower, upper]`. A non-finite value makes the line search step back,
 * so an objective may return `Infinity` where it is undefined (a failed Cholesky).
 *
 * @example
 * const { x } = minimiseBox((x, g) => { g[0] = 2 * (x[0] - 3); return (x[0] - 3) ** 2; }, new Float64Array([0]));
 */
export function minimiseBox(
  f: Objective,
  x0: ArrayLike<number>,
  options: MinimiseOptions = {},
): MinimiseResult {
  const n = x0.length;
  const lower = options.lower ?? new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  const upper = options.upper ?? new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const maxIterations = options.maxIterations ?? 100;
  const memory = options.memory ?? 8;
  const gtol = options.gradientTolerance ?? 1e-6;
  const ftol = options.valueTolerance ?? 1e-10;
  const project = (v: Float64Array): Float64Array => {
    for (let i = 0; i < n; i++)
      v[i] = Math.min(upper[i] as number, Math.max(lower[i] as number, v[i] as number));
    return v;
  };

  let x = project(Float64Array.from(x0));
  let g = new Float64Array(n);
  let fx = f(x, g);
  let evaluations = 1;
  if (!Number.isFinite(fx)) return { x, value: fx, iterations: 0, evaluations };
  const sList: Float64Array[] = [];
  const yList: Float64Array[] = [];
  const rhoList: number[] = [];
  const free = new Uint8Array(n);
  const d = new Float64Array(n);
  const alpha = new Float64Array(memory);
  let iterations = 0;

  for (; iterations < maxIterations; iterations++) {
    let pgMax = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i] as number;
      const pinned = (lower[i] as number) === (upper[i] as number);
      const atLower = (x[i] as number) <= (lower[i] as number) && gi > 0;
      const atUpper = (x[i] as number) >= (upper[i] as number) && gi < 0;
      free[i] = pinned || atLower || atUpper ? 0 : 1;
      if (free[i]) pgMax = Math.max(pgMax, Math.abs(gi));
    }
    if (pgMax < gtol) break;

    // Two-loop recursion on the free subspace.
    for (let i = 0; i < n; i++) d[i] = free[i] ? -(g[i] as number) : 0;
    for (let k = sList.length - 1; k >= 0; k--) {
      let a = 0;
      const s = sList[k] as Float64Array;
      for (let i = 0; i < n; i++) if (free[i]) a += (s[i] as number) * (d[i] as number);
      a *= rhoList[k] as number;
      alpha[k] = a;
      const y = yList[k] as Float64Array;
      for (let i = 0; i < n; i++) if (free[i]) d[i] = (d[i] as number) - a * (y[i] as number);
    }
    if (sList.length > 0) {
      const s = sList[sList.length - 1] as Float64Array;
      const y = yList[yList.length - 1] as Float64Array;
      const gamma = dot(s, y) / dot(y, y);
      for (let i = 0; i < n; i++) d[i] = (d[i] as number) * gamma;
    }
    for (let k = 0; k < sList.length; k++) {
      const y = yList[k] as Float64Array;
      let b = 0;
      for (let i = 0; i < n; i++) if (free[i]) b += (y[i] as number) * (d[i] as number);
      b *= rhoList[k] as number;
      const s = sList[k] as Float64Array;
      for (let i = 0; i < n; i++)
        if (free[i]) d[i] = (d[i] as number) + ((alpha[k] as number) - b) * (s[i] as number);
    }
    let slope = 0;
    for (let i = 0; i < n; i++) slope += (g[i] as number) * (d[i] as number);
    if (!(slope < 0)) {
      // Not a descent direction (the curvature estimate is stale): fall back to steepest descent.
      sList.length = 0;
      yList.length = 0;
      rhoList.length = 0;
      slope = 0;
      for (let i = 0; i < n; i++) {
        d[i] = free[i] ? -(g[i] as number) : 0;
        slope -= (d[i] as number) ** 2;
      }
    }

    let t = sList.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    if (iterations === 0 && options.firstStep !== undefined) {
      let largest = 0;
      for (let i = 0; i < n; i++) largest = Math.max(largest, Math.abs(d[i] as number));
      if (largest > 0) t = Math.min(t, options.firstStep / largest);
    }
    let accepted = false;
    const xNew = new Float64Array(n);
    const gNew = new Float64Array(n);
    let fNew = fx;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = (x[i] as number) + t * (d[i] as number);
      project(xNew);
      fNew = options.value ? options.value(xNew) : f(xNew, gNew);
      evaluations++;
      let decrease = 0;
      for (let i = 0; i < n; i++) decrease += (g[i] as number) * ((xNew[i] as number) - (x[i] as number));
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * decrease) {
        accepted = true;
        // The gradient only where the step is taken (the objective may reuse the value's work).
        if (options.value) fNew = f(xNew, gNew);
        break;
      }
      // Backtrack to the minimum of the quadratic through f(x), its slope and f(x + t·d), kept within
      // [0.1t, 0.5t]: where the function is nearly quadratic (a likelihood near its optimum) the first
      // backtrack lands close to the right step instead of halving towards it.
      const curvature = fNew - fx - decrease;
      t *= Number.isFinite(fNew)
        ? Math.min(0.5, Math.max(0.1, curvature > 0 ? -decrease / (2 * curvature) : 0.5))
        : 0.1;
    }
    if (!accepted) break;

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = (xNew[i] as number) - (x[i] as number);
      y[i] = (gNew[i] as number) - (g[i] as number);
    }
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(y, y) * dot(s, s))) {
      sList.push(s);
      yList.push(y);
      rhoList.push(1 / sy);
      if (sList.length > memory) {
        sList.shift();
        yList.shift();
        rhoList.shift();
      }
    }
    const improvement = fx - fNew;
    x = xNew;
    g = gNew;
    fx = fNew;
    if (improvement < ftol * Math.max(1, Math.abs(fx))) {
      iterations++;
      break;
    }
  }
  return { x, value: fx, iterations, evaluations };
}
