import { ModelFitError } from '../errors.ts';

/**
 * Dense linear algebra on row-major `Float64Array`s, just what a GP needs: Cholesky with adaptive jitter,
 * triangular solves, the inverse from a Cholesky factor, and the factor of a matrix grown by a few rows.
 *
 * Every O(n³) and O(n²) loop is a dot product of two contiguous runs ({@link dot}), with four accumulators so
 * the multiply-adds do not wait on each other: about twice the speed of a plain loop in V8, and no strided
 * (column) access, which at n = 500 costs a cache miss per element.
 */

/** Σ a[ia + k]·b[ib + k] for k < len. */
export function dot(a: Float64Array, ia: number, b: Float64Array, ib: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    s0 += (a[ia + k] as number) * (b[ib + k] as number);
    s1 += (a[ia + k + 1] as number) * (b[ib + k + 1] as number);
    s2 += (a[ia + k + 2] as number) * (b[ib + k + 2] as number);
    s3 += (a[ia + k + 3] as number) * (b[ib + k + 3] as number);
  }
  for (; k < len; k++) s0 += (a[ia + k] as number) * (b[ib + k] as number);
  return s0 + s1 + (s2 + s3);
}

/**
 * Overwrites the lower triangle of `a` (n×n, symmetric; only the lower triangle is read) with its Cholesky
 * factor L (a = L·Lᵀ), row by row, and zeroes the upper triangle. Returns false, leaving `a` partly
 * overwritten, when `a` is not numerically positive definite. Rows before `from` must already hold L (used to
 * extend a factor by a few rows).
 */
export function choleskyInPlace(a: Float64Array, n: number, from = 0): boolean {
  for (let i = from; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      a[ri + j] = ((a[ri + j] as number) - dot(a, ri, a, rj, j)) / (a[rj + j] as number);
    }
    const diag = (a[ri + i] as number) - dot(a, ri, a, ri, i);
    if (!(diag > 0) || !Number.isFinite(diag)) return false;
    a[ri + i] = Math.sqrt(diag);
    a.fill(0, ri + i + 1, ri + n);
  }
  return true;
}

/** A Cholesky factor and the jitter that was added to the diagonal to obtain it. */
export interface CholeskyResult {
  factor: Float64Array;
  jitter: number;
}

/** The relative jitters {@link choleskyWithJitter} tries: 0, then 1e-10, 1e-9, … up to `maxRelativeJitter`. */
export function jitterSteps(maxRelativeJitter: number): number[] {
  const tries = [0];
  for (let r = 1e-10; r < maxRelativeJitter * 1.001; r *= 10) tries.push(r);
  return tries;
}

/**
 * Cholesky of `a` + jitter·I, trying no jitter first and then 1e-10, 1e-9, … (relative to the mean diagonal)
 * up to `maxRelativeJitter`, the way GPyTorch's `psd_safe_cholesky` does: duplicate or very close points make
 * a kernel matrix singular in floating point, and a tiny jitter is an honest fix for it. `a` is left as it was;
 * the factor goes to `out` when given.
 *
 * @throws {ModelFitError} when even the largest jitter fails (a NaN in the matrix, or a matrix far from PSD).
 */
export function choleskyWithJitter(
  a: Float64Array,
  n: number,
  maxRelativeJitter = 1e-4,
  out: Float64Array = new Float64Array(n * n),
): CholeskyResult {
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += a[i * n + i] as number;
  meanDiag = n > 0 ? meanDiag / n : 1;
  for (const relative of jitterSteps(maxRelativeJitter)) {
    out.set(a.subarray(0, n * n));
    const jitter = relative * meanDiag;
    for (let i = 0; i < n; i++) out[i * n + i] = (out[i * n + i] as number) + jitter;
    if (choleskyInPlace(out, n)) return { factor: out, jitter };
  }
  throw new ModelFitError(
    `covariance matrix (${n}×${n}, mean diagonal ${meanDiag}) is not positive definite even with jitter ${maxRelativeJitter}× its mean diagonal`,
  );
}

/** Solves L·x = b for lower-triangular L (n×n); `out` may alias `b`. */
export function solveLower(
  l: Float64Array,
  n: number,
  b: ArrayLike<number>,
  out: Float64Array = new Float64Array(n),
): Float64Array {
  for (let i = 0; i < n; i++) {
    const row = i * n;
    out[i] = ((b[i] as number) - dot(l, row, out, 0, i)) / (l[row + i] as number);
  }
  return out;
}

/**
 * Solves Lᵀ·x = b for lower-triangular L (n×n); `out` may alias `b`. Column-oriented: once x_i is known, row i
 * of L (contiguous) is subtracted from what remains of b.
 */
export function solveUpperT(
  l: Float64Array,
  n: number,
  b: ArrayLike<number>,
  out: Float64Array = new Float64Array(n),
): Float64Array {
  if (out !== b) for (let i = 0; i < n; i++) out[i] = b[i] as number;
  for (let i = n - 1; i >= 0; i--) {
    const row = i * n;
    const xi = (out[i] as number) / (l[row + i] as number);
    out[i] = xi;
    for (let k = 0; k < i; k++) out[k] = (out[k] as number) - (l[row + k] as number) * xi;
  }
  return out;
}

/** Solves (L·Lᵀ)·x = b. */
export function choleskySolve(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  return solveUpperT(l, n, solveLower(l, n, b));
}

/**
 * (L·Lᵀ)⁻¹ as a dense symmetric n×n matrix: U = L⁻ᵀ row by row (row j of U is column j of L⁻¹, the forward
 * substitution L·u = e_j), then (L·Lᵀ)⁻¹_ij = Σ_{k ≥ i} U_ik·U_jk for j ≤ i, each a dot product of two rows of
 * U. With `lowerOnly` the upper triangle is left at whatever `out` held. `work` (n×n) is scratch space.
 */
export function choleskyInverse(
  l: Float64Array,
  n: number,
  out: Float64Array = new Float64Array(n * n),
  work: Float64Array = new Float64Array(n * n),
  lowerOnly = false,
): Float64Array {
  const u = work;
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    u[rj + j] = 1 / (l[rj + j] as number);
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      u[rj + i] = -dot(l, ri + j, u, rj + j, i - j) / (l[ri + i] as number);
    }
  }
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) out[ri + j] = dot(u, ri + i, u, j * n + i, n - i);
  }
  if (!lowerOnly)
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) out[j * n + i] = out[i * n + j] as number;
  return out;
}
