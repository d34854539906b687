/**
 * The ARD Matérn-5/2 kernel, k(x, y) = s²·(1 + √5 r + 5r²/3)·exp(−√5 r) with r² = Σ_i (x_i − y_i)²/ℓ_i²:
 * twice differentiable, so it models physical responses that are smooth but not analytic, the default of
 * BoTorch and most BO libraries.
 */

const SQRT5 = Math.sqrt(5);

/** Kernel value for a scaled distance r at unit signal variance. */
export function matern52(r: number): number {
  return (1 + SQRT5 * r + (5 / 3) * r * r) * Math.exp(-SQRT5 * r);
}

/**
 * −(1/r)·d matern52/dr = (5/3)(1 + √5 r)·exp(−√5 r): finite at r = 0, and the factor that every derivative of
 * the kernel with respect to an input or a log-lengthscale carries.
 */
export function matern52Slope(r: number): number {
  return (5 / 3) * (1 + SQRT5 * r) * Math.exp(-SQRT5 * r);
}

/**
 * Scaled distance r between `x` and row `row` of the row-major matrix `points` (width `dim`), with
 * `inverseSquaredLengthscales` = 1/ℓ².
 */
export function scaledDistance(
  x: ArrayLike<number>,
  points: Float64Array,
  row: number,
  dim: number,
  inverseSquaredLengthscales: Float64Array,
): number {
  let r2 = 0;
  const base = row * dim;
  for (let i = 0; i < dim; i++) {
    const d = (x[i] as number) - (points[base + i] as number);
    r2 += d * d * (inverseSquaredLengthscales[i] as number);
  }
  return Math.sqrt(r2);
}
