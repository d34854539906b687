/**
 * The standard normal distribution and the log of the expected-improvement function h(z) = φ(z) + zΦ(z),
 * accurate to ~1e-13 relative across the whole line, including far into the left tail where EI underflows.
 * This is what makes LogEI (Ament et al., "Unexpected improvements to expected improvement", NeurIPS 2023)
 * optimisable: its value and gradient stay finite and informative where EI is exactly 0.
 */

const SQRT2 = Math.SQRT2;
const SQRT_PI = Math.sqrt(Math.PI);
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const SQRT_HALF_PI = Math.sqrt(Math.PI / 2);

/** Standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z - LOG_SQRT_2PI);
}

/** exp(x²)·erfc(x) for x ≥ 0: a positive series below 2, a continued fraction above (no cancellation). */
export function erfcx(x: number): number {
  if (x < 0) throw new RangeError(`erfcx is implemented for x ≥ 0, got ${x}`);
  if (x < 2) {
    // erf(x) = 2/√π · e^{-x²} · Σ 2^n x^{2n+1} / (1·3·…·(2n+1)): every term positive.
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return Math.exp(x * x) - (2 / SQRT_PI) * sum;
  }
  // erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail.
  let tail = x;
  for (let k = 120; k >= 1; k--) tail = x + k / 2 / tail;
  return 1 / (SQRT_PI * tail);
}

/** erfc(x) on the whole line. */
export function erfc(x: number): number {
  if (x >= 0) return Math.exp(-x * x) * erfcx(x);
  return 2 - Math.exp(-x * x) * erfcx(-x);
}

/** Standard normal cumulative distribution Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / SQRT2);
}

/**
 * T(x) = 1/(x + 2/(x + 3/(x + …))): with the Mills ratio R(x) = 1/(x + T(x)), h(−x)/φ(x) = T/(x + T)
 * without the cancellation of 1 − xR(x). Converges quickly for x ≥ 5, where it is used.
 */
function millsTail(x: number): number {
  let tail = x;
  for (let k = 80; k >= 2; k--) tail = x + k / tail;
  return 1 / tail;
}

/**
 * log h(z) with h(z) = φ(z) + zΦ(z) (expected improvement at unit scale), and its derivative
 * d log h / dz = Φ(z)/h(z).
 *
 * @example
 * logH(-40).value // ≈ -808.2986, where h itself underflows to 0
 */
export function logH(z: number): { value: number; gradient: number } {
  if (z >= 0) {
    const cdf = normalCdf(z);
    const h = normalPdf(z) + z * cdf;
    return { value: Math.log(h), gradient: cdf / h };
  }
  const x = -z;
  const logPdf = -0.5 * z * z - LOG_SQRT_2PI;
  if (x < 5) {
    // h/φ = 1 − xR(x), R(x) = √(π/2)·erfcx(x/√2); at x = 5 it loses under two digits to cancellation.
    const mills = SQRT_HALF_PI * erfcx(x / SQRT2);
    const ratio = 1 - x * mills;
    return { value: logPdf + Math.log(ratio), gradient: mills / ratio };
  }
  const t = millsTail(x);
  // h/φ = T/(x + T) and Φ/h = R/(h/φ) = 1/T.
  return { value: logPdf + Math.log(t) - Math.log(x + t), gradient: 1 / t };
}

/**
 * log Φ(z) and its derivative φ(z)/Φ(z), finite far into the left tail (the log probability that a constraint
 * holds, where Φ itself underflows): for z < 0, Φ(z) = ½·erfcx(−z/√2)·e^{−z²/2}.
 *
 * @example
 * logNormalCdf(-40).value // ≈ -804.6084
 */
export function logNormalCdf(z: number): { value: number; gradient: number } {
  if (z >= 0) {
    const cdf = normalCdf(z);
    return { value: Math.log(cdf), gradient: normalPdf(z) / cdf };
  }
  const scaled = erfcx(-z / SQRT2);
  return { value: Math.log(0.5 * scaled) - 0.5 * z * z, gradient: 1 / (SQRT_HALF_PI * scaled) };
}
