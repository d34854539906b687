import { ModelFitError } from '../errors.ts';

/**
 * Dense linear algebra on row-major `Float64Array`s, just what a GP needs: Cholesky with adaptive jitter,
 * triangular solves, and the inverse from a Cholesky factor.
 */

/**
 * Overwrites the lower triangle of `a` (n×n, symmetric) with its Cholesky factor L (a = L·Lᵀ) and zeroes the
 * upper triangle. Returns false, leaving `a` partly overwritten, when `a` is not numerically positive definite.
 */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let diag = a[rowJ + j] as number;
    for (let k = 0; k < j; k++) diag -= (a[rowJ + k] as number) ** 2;
    if (!(diag > 0) || !Number.isFinite(diag)) return false;
    const ljj = Math.sqrt(diag);
    a[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = a[rowI + j] as number;
      for (let k = 0; k < j; k++) s -= (a[rowI + k] as number) * (a[rowJ + k] as number);
      a[rowI + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) a[rowJ + k] = 0;
  }
  return true;
}

/** A Cholesky factor and the jitter that was added to the diagonal to obtain it. */
export interface CholeskyResult {
  factor: Float64Array;
  jitter: number;
}

/**
 * Cholesky of `a` + jitter·I, trying no jitter first and then 1e-10, 1e-9, … (relative to the mean diagonal)
 * up to `maxRelativeJitter`, the way GPyTorch's `psd_safe_cholesky` does: duplicate or very close points make
 * a kernel matrix singular in floating point, and a tiny jitter is an honest fix for it.
 *
 * @throws {ModelFitError} when even the largest jitter fails (a NaN in the matrix, or a matrix far from PSD).
 */
export function choleskyWithJitter(a: Float64Array, n: number, maxRelativeJitter = 1e-4): CholeskyResult {
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += a[i * n + i] as number;
  meanDiag = n > 0 ? meanDiag / n : 1;
  const work = new Float64Array(a.length);
  const tries = [0];
  for (let r = 1e-10; r < maxRelativeJitter * 1.001; r *= 10) tries.push(r);
  for (const relative of tries) {
    work.set(a);
    const jitter = relative * meanDiag;
    for (let i = 0; i < n; i++) work[i * n + i] = (work[i * n + i] as number) + jitter;
    if (choleskyInPlace(work, n)) return { factor: work, jitter };
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
  out = new Float64Array(n),
): Float64Array {
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (l[row + k] as number) * (out[k] as number);
    out[i] = s / (l[row + i] as number);
  }
  return out;
}

/** Solves Lᵀ·x = b for lower-triangular L (n×n); `out` may alias `b`. */
export function solveUpperT(
  l: Float64Array,
  n: number,
  b: ArrayLike<number>,
  out = new Float64Array(n),
): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i] as number;
    for (let k = i + 1; k < n; k++) s -= (l[k * n + i] as number) * (out[k] as number);
    out[i] = s / (l[i * n + i] as number);
  }
  return out;
}

/** Solves (L·Lᵀ)·x = b. */
export function choleskySolve(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  return solveUpperT(l, n, solveLower(l, n, b));
}

/** (L·Lᵀ)⁻¹ as a dense symmetric n×n matrix, via M = L⁻¹ and Mᵀ·M (n³/3 flops, row-contiguous loops). */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  // Row i of M solves L·M = I: M_i = (e_i − Σ_{k<i} L_ik·M_k) / L_ii, an axpy over contiguous rows.
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k] as number;
      if (lik === 0) continue;
      const rk = k * n;
      for (let j = 0; j <= k; j++) m[ri + j] = (m[ri + j] as number) - lik * (m[rk + j] as number);
    }
    m[ri + i] = (m[ri + i] as number) + 1;
    const inv = 1 / (l[ri + i] as number);
    for (let j = 0; j <= i; j++) m[ri + j] = (m[ri + j] as number) * inv;
  }
  // (Mᵀ·M)_ij = Σ_k M_ki·M_kj: accumulate each row's outer product into the lower triangle.
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    for (let i = 0; i <= k; i++) {
      const mki = m[rk + i] as number;
      if (mki === 0) continue;
      const ri = i * n;
      for (let j = 0; j <= i; j++) out[ri + j] = (out[ri + j] as number) + mki * (m[rk + j] as number);
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) out[j * n + i] = out[i * n + j] as number;
  return out;
}
