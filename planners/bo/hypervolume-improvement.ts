import type { AcquisitionFunction } from './acquisition.ts';
import type { GaussianProcess } from './gp.ts';
import { logH } from './normal.ts';

/**
 * Expected hypervolume improvement (EHVI) for two objectives, exact and in log space, with its gradient.
 *
 * Both objectives are maximised and modelled by independent GPs. The region the front P already dominates
 * above the reference point r is a staircase; sorting P by the first objective (a_1 < … < a_k, so
 * b_1 > … > b_k) and adding a_0 = r_1, a_{k+1} = ∞, b_{k+1} = r_2, the improvement of a new point y splits into
 * vertical strips, and by independence (Emmerich et al. 2006; Yang et al. 2019)
 *
 *   EHVI = Σ_{i=0..k} E[(min(y_1, a_{i+1}) − a_i)⁺] · E[(y_2 − b_{i+1})⁺]
 *        = Σ_i σ_1·(h(z_1(a_i)) − h(z_1(a_{i+1}))) · σ_2·h(z_2(b_{i+1})),   z_j(c) = (μ_j − c)/σ_j,
 *
 * with h(z) = φ(z) + zΦ(z), the function of expected improvement. Each term is summed in log space (log h
 * stays finite where h underflows, as in LogEI), so the acquisition keeps a useful gradient far from the front.
 */

/** Points (oriented: larger is better in every coordinate) that no other point dominates, sorted by the first. */
export function nondominated(points: readonly (readonly number[])[]): number[][] {
  const sorted = [...points].map((p) => [...p]).sort((p, q) => (q[0] as number) - (p[0] as number));
  const front: number[][] = [];
  let bestSecond = Number.NEGATIVE_INFINITY;
  // Sweep from the largest first objective down: a point survives when its second beats everything to its right.
  for (const p of sorted) {
    if ((p[1] as number) > bestSecond) {
      const last = front.at(-1);
      if (last && last[0] === p[0]) front.pop();
      front.push(p);
      bestSecond = p[1] as number;
    }
  }
  return front.reverse();
}

/**
 * A reference point inferred from the front, the way Ax does when none is given: the nadir (the worst value
 * of each objective over the front) moved back by 10% of the front's range, or of all the values' range when
 * the front is a single point, so that the extreme points of the front still add volume.
 */
export function inferReference(
  front: readonly (readonly number[])[],
  all: readonly (readonly number[])[],
): number[] {
  return [0, 1].map((j) => {
    const onFront = front.map((p) => p[j] as number);
    const values = all.map((p) => p[j] as number);
    const nadir = Math.min(...onFront);
    let range = Math.max(...onFront) - nadir;
    if (!(range > 0)) range = Math.max(...values) - Math.min(...values);
    if (!(range > 0)) range = Math.max(1, Math.abs(nadir));
    return nadir - 0.1 * range;
  });
}

/** log(e^a − e^b) for a ≥ b, −∞ when they are equal. */
function logDiffExp(a: number, b: number): number {
  return a + Math.log1p(-Math.exp(b - a));
}

/** Options of {@link createLogEhvi}. */
export interface EhviOptions {
  /** One GP per objective, each fitted to the oriented (maximised) values, in the GP's own standardisation. */
  models: readonly [GaussianProcess, GaussianProcess];
  /** The current front in the same (oriented, unstandardised) units, as from {@link nondominated}. */
  front: readonly (readonly number[])[];
  reference: readonly number[];
}

/**
 * log EHVI of a point, in the GPs' input space, with its gradient. The front may include believed values of
 * pending points, which makes the next point of a batch aim at a different part of the front.
 *
 * @example
 * const acq = createLogEhvi({ models: [gpA, gpB], front: nondominated(points), reference: [0, 0] });
 */
export function createLogEhvi(options: EhviOptions): AcquisitionFunction {
  const [m1, m2] = options.models;
  const [r1, r2] = options.reference as [number, number];
  const front = options.front.filter((p) => (p[0] as number) > r1 && (p[1] as number) > r2);
  // Strip i spans first-objective values (a_i, a_{i+1}] above height b_{i+1}.
  const a = [r1, ...front.map((p) => p[0] as number), Number.POSITIVE_INFINITY];
  const b = [...front.map((p) => p[1] as number), r2];
  const dim = m1.dim;
  const dMean = [new Float64Array(dim), new Float64Array(dim)] as const;
  const dVar = [new Float64Array(dim), new Float64Array(dim)] as const;
  const terms = new Float64Array(b.length);
  // Per strip: d term / d(μ_1, σ_1, μ_2, σ_2), in original units.
  const partials = new Float64Array(4 * b.length);

  return (x, gradient) => {
    const moments = [m1, m2].map((gp, j) => {
      const p = gradient ? gp.predict(x, dMean[j], dVar[j]) : gp.predict(x);
      return { mean: gp.yMean + gp.yStd * p.mean, sd: gp.yStd * Math.sqrt(p.variance) };
    }) as [{ mean: number; sd: number }, { mean: number; sd: number }];
    const [y1, y2] = moments;
    const logSd = Math.log(y1.sd) + Math.log(y2.sd);
    let largest = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < b.length; i++) {
      const za = (y1.mean - (a[i] as number)) / y1.sd;
      const upper = a[i + 1] as number;
      const ha = logH(za);
      // Second factor: E[(y_2 − b)⁺] = σ_2·h(z_b).
      const zb = (y2.mean - (b[i] as number)) / y2.sd;
      const hb = logH(zb);
      let width: number;
      // d log(first factor)/dz at each end: weights of dz_a and dz_u.
      let wa: number;
      let wu = 0;
      let zu = 0;
      if (Number.isFinite(upper)) {
        zu = (y1.mean - upper) / y1.sd;
        const hu = logH(zu);
        width = logDiffExp(ha.value, hu.value);
        // d/dz log(h_a − h_u) = (Φ_a dz_a − Φ_u dz_u)/(h_a − h_u), Φ = h·(d log h/dz).
        const ratio = Math.exp(hu.value - width);
        wa = ha.gradient * Math.exp(ha.value - width);
        wu = hu.gradient * ratio;
      } else {
        width = ha.value;
        wa = ha.gradient;
      }
      const term = width + hb.value;
      terms[i] = term;
      largest = Math.max(largest, term);
      if (gradient) {
        // z = (μ − c)/σ: dz/dμ = 1/σ, dz/dσ = −z/σ; plus log σ_1 + log σ_2 outside the sum.
        partials[4 * i] = (wa - wu) / y1.sd;
        partials[4 * i + 1] = -(wa * za - wu * zu) / y1.sd;
        partials[4 * i + 2] = hb.gradient / y2.sd;
        partials[4 * i + 3] = (-hb.gradient * zb) / y2.sd;
      }
    }
    if (!Number.isFinite(largest)) {
      if (gradient) gradient.fill(0);
      return Number.NEGATIVE_INFINITY;
    }
    let sum = 0;
    for (let i = 0; i < b.length; i++) sum += Math.exp((terms[i] as number) - largest);
    const value = largest + Math.log(sum) + logSd;
    if (gradient) {
      // Softmax weights of the strips, then the chain rule through (μ_j, σ_j) to x.
      const d = [0, 0, 0, 0];
      for (let i = 0; i < b.length; i++) {
        const w = Math.exp((terms[i] as number) - largest) / sum;
        for (let k = 0; k < 4; k++) d[k] = (d[k] as number) + w * (partials[4 * i + k] as number);
      }
      d[1] = (d[1] as number) + 1 / y1.sd;
      d[3] = (d[3] as number) + 1 / y2.sd;
      for (let i = 0; i < dim; i++) {
        let g = 0;
        [m1, m2].forEach((gp, j) => {
          const { sd } = moments[j] as { sd: number };
          const dm = gp.yStd * ((dMean[j] as Float64Array)[i] as number);
          // σ = yStd·√v: dσ = yStd²·dv/(2σ).
          const ds = (gp.yStd * gp.yStd * ((dVar[j] as Float64Array)[i] as number)) / (2 * sd);
          g += (d[2 * j] as number) * dm + (d[2 * j + 1] as number) * ds;
        });
        gradient[i] = g;
      }
    }
    return value;
  };
}
