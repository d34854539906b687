/**
 * Outcome warping before the GP: a Yeo–Johnson power transform with λ fitted by maximum likelihood, applied
 * to standardised outcomes (as HEBO does, Cowen-Rivers et al. 2022). Lab and benchmark responses are often
 * skewed, with a long tail of bad values; a GP fitted to them spends its signal on the tail and models the
 * region near the optimum as noise. The transform is monotone, so it never moves the optimum, and λ ≈ 1 (the
 * identity) when the data already look Gaussian.
 */

function yeoJohnson(y: number, lambda: number): number {
  if (y >= 0) return Math.abs(lambda) < 1e-9 ? Math.log1p(y) : ((y + 1) ** lambda - 1) / lambda;
  return Math.abs(lambda - 2) < 1e-9 ? -Math.log1p(-y) : -((1 - y) ** (2 - lambda) - 1) / (2 - lambda);
}

function standardise(values: readonly number[]): number[] {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1);
  const std = variance > 1e-24 * Math.max(1, mean * mean) ? Math.sqrt(variance) : 1;
  return values.map((v) => (v - mean) / std);
}

/** Profile log-likelihood of λ for standardised `z` under a Gaussian after the transform. */
function logLikelihood(z: readonly number[], lambda: number): number {
  const t = z.map((v) => yeoJohnson(v, lambda));
  const mean = t.reduce((a, b) => a + b, 0) / t.length;
  const variance = t.reduce((a, b) => a + (b - mean) ** 2, 0) / t.length;
  if (!(variance > 0)) return Number.NEGATIVE_INFINITY;
  let jacobian = 0;
  for (const v of z) jacobian += Math.sign(v) * Math.log1p(Math.abs(v));
  return -0.5 * t.length * Math.log(variance) + (lambda - 1) * jacobian;
}

/**
 * Standardises `y`, applies the Yeo–Johnson transform with the maximum-likelihood λ in [−2, 4] (golden-section
 * search), and standardises again. With fewer than 4 distinct values it only standardises.
 *
 * @example
 * warpOutcomes([0.4, 1, 3, 250]).lambda // > 1: the long upper tail is compressed
 */
export function warpOutcomes(y: readonly number[]): { values: number[]; lambda: number } {
  const z = standardise(y);
  if (new Set(y).size < 4) return { values: z, lambda: 1 };
  let lo = -2;
  let hi = 4;
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = hi - ratio * (hi - lo);
  let b = lo + ratio * (hi - lo);
  let fa = logLikelihood(z, a);
  let fb = logLikelihood(z, b);
  for (let i = 0; i < 40; i++) {
    if (fa > fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = logLikelihood(z, a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = logLikelihood(z, b);
    }
  }
  const lambda = (lo + hi) / 2;
  return { values: standardise(z.map((v) => yeoJohnson(v, lambda))), lambda };
}
