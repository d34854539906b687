import { describe, expect, it } from 'vitest';
import { createRng } from '../../contracts/index.ts';
import { GaussianProcess, GP_DEFAULTS, negLogPosterior, priorMode } from './gp.ts';
import { matern52 } from './kernel.ts';
import { choleskySolve, choleskyWithJitter } from './linalg.ts';

/** θ with the given lengthscale, signal variance and (total) noise variance. */
function thetaOf(dim: number, lengthscale: number, signal: number, noise: number): Float64Array {
  const theta = new Float64Array(dim + 2).fill(Math.log(lengthscale));
  theta[dim] = Math.log(signal);
  theta[dim + 1] = Math.log(noise - GP_DEFAULTS.minNoise);
  return theta;
}

describe('Matérn-5/2 kernel', () => {
  it('has its closed-form values', () => {
    expect(matern52(0)).toBe(1);
    expect(matern52(1)).toBeCloseTo((1 + Math.sqrt(5) + 5 / 3) * Math.exp(-Math.sqrt(5)), 15);
    expect(matern52(1)).toBeCloseTo(0.5239941088318203, 14);
    expect(matern52(40)).toBeLessThan(1e-30);
  });
});

describe('GaussianProcess', () => {
  const rng = createRng(1);

  it('interpolates its training points with tiny noise (mean = y, variance ≈ 0)', () => {
    const points = [[0.1], [0.4], [0.7], [0.95]];
    const y = [1, -2, 0.5, 3];
    const gp = GaussianProcess.fit(points, y, { rng, fixed: true, warmStart: thetaOf(1, 0.3, 1, 2e-6) });
    points.forEach((p, a) => {
      const { mean, variance } = gp.predict(p);
      expect(mean * gp.yStd + gp.yMean).toBeCloseTo(y[a] as number, 4);
      expect(variance).toBeLessThan(1e-5);
    });
    // Far from the data the posterior reverts to the prior: mean 0, variance s².
    const far = gp.predict([50]);
    expect(far.mean).toBeCloseTo(0, 10);
    expect(far.variance).toBeCloseTo(1, 10);
  });

  it('matches the closed-form two-point posterior in 1-D', () => {
    const ell = 0.5;
    const noise = 0.01;
    const gp = GaussianProcess.fit([[0], [1]], [1, -1], {
      rng,
      fixed: true,
      warmStart: thetaOf(1, ell, 1, noise),
    });
    // Standardised outcomes: mean 0, sample std √2, so ys = [1/√2, −1/√2].
    const [y0, y1] = [1 / Math.SQRT2, -1 / Math.SQRT2];
    const k01 = matern52(1 / ell);
    const det = (1 + noise) ** 2 - k01 ** 2;
    const [i00, i01] = [(1 + noise) / det, -k01 / det];
    const xStar = 0.3;
    const [k0, k1] = [matern52(xStar / ell), matern52((1 - xStar) / ell)];
    const mean = k0 * (i00 * y0 + i01 * y1) + k1 * (i01 * y0 + i00 * y1);
    const quad = k0 * (i00 * k0 + i01 * k1) + k1 * (i01 * k0 + i00 * k1);
    const got = gp.predict([xStar]);
    expect(got.mean).toBeCloseTo(mean, 12);
    expect(got.variance).toBeCloseTo(1 - quad, 12);
  });

  it('has analytic gradients that agree with finite differences', () => {
    const data = Array.from({ length: 15 }, () => [rng.next(), rng.next(), rng.next()]);
    const ys = Float64Array.from(data, (p) => Math.sin(5 * (p[0] as number)) + (p[1] as number) ** 2);
    const x = Float64Array.from(data.flat());
    const f = negLogPosterior(x, 15, 3, ys);
    const theta = Float64Array.from([-1, -0.5, 0.2, 0.3, -3]);
    const grad = new Float64Array(5);
    f(theta, grad);
    for (let j = 0; j < 5; j++) {
      const h = 1e-6;
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[j] = (up[j] as number) + h;
      down[j] = (down[j] as number) - h;
      const scratch = new Float64Array(5);
      const numeric = (f(up, scratch) - f(down, scratch)) / (2 * h);
      expect(grad[j]).toBeCloseTo(numeric, 4);
    }
    // The value alone, then the gradient at the same θ from the factor it left: the same numbers.
    const fresh = negLogPosterior(x, 15, 3, ys);
    const valueOnly = fresh(theta);
    const again = new Float64Array(5);
    expect(fresh(theta, again)).toBe(valueOnly);
    expect(f(theta, new Float64Array(5))).toBe(valueOnly);
    expect([...again]).toEqual([...grad]);
    const gp = GaussianProcess.fit(data, ys, { rng, fixed: true, warmStart: theta });
    const point = [0.3, 0.6, 0.2];
    const dm = new Float64Array(3);
    const dv = new Float64Array(3);
    gp.predict(point, dm, dv);
    for (let i = 0; i < 3; i++) {
      const h = 1e-6;
      const up = [...point];
      const down = [...point];
      up[i] = (up[i] as number) + h;
      down[i] = (down[i] as number) - h;
      expect(dm[i]).toBeCloseTo((gp.predict(up).mean - gp.predict(down).mean) / (2 * h), 5);
      expect(dv[i]).toBeCloseTo((gp.predict(up).variance - gp.predict(down).variance) / (2 * h), 5);
    }
  });

  it('fits hyperparameters that predict held-out points of a smooth function', () => {
    const rng = createRng(2);
    const f = (p: number[]) => Math.sin(6 * (p[0] as number)) + 0.5 * Math.cos(4 * (p[1] as number));
    const train = Array.from({ length: 40 }, () => [rng.next(), rng.next()]);
    const gp = GaussianProcess.fit(train, train.map(f), { rng });
    let sq = 0;
    for (let t = 0; t < 50; t++) {
      const p = [rng.next(), rng.next()];
      sq += (gp.predict(p).mean * gp.yStd + gp.yMean - f(p)) ** 2;
    }
    // The function's standard deviation over the square is about 0.8.
    expect(Math.sqrt(sq / 50)).toBeLessThan(0.05);
    // Noise-free data: the fit drives the noise well below its prior mode.
    expect(gp.noise).toBeLessThan(Math.exp(GP_DEFAULTS.noisePrior.mean));
    expect(gp.theta).not.toEqual(priorMode(2));
  });

  it('survives duplicate points and all-equal outcomes', () => {
    const gp = GaussianProcess.fit([[0.5], [0.5], [0.5], [0.2]], [2, 2, 2, 2], { rng });
    const { mean, variance } = gp.predict([0.3]);
    expect(mean * gp.yStd + gp.yMean).toBeCloseTo(2, 6);
    expect(Number.isFinite(variance)).toBe(true);
    const dup = GaussianProcess.fit([[0.5], [0.5]], [1, 3], { rng });
    expect(dup.predict([0.5]).mean * dup.yStd + dup.yMean).toBeCloseTo(2, 1);
  });

  it('extends its factor for fantasies to the same posterior as a model built on all points', () => {
    const rng = createRng(4);
    const data = Array.from({ length: 30 }, () => [rng.next(), rng.next()]);
    const y = data.map((p) => Math.cos(4 * (p[0] as number)) * (p[1] as number));
    const theta = thetaOf(2, 0.3, 1.2, 1e-4);
    const base = GaussianProcess.fit(data.slice(0, 26), y.slice(0, 26), {
      rng,
      fixed: true,
      warmStart: theta,
    });
    const extra = data.slice(26);
    const extended = base.condition(
      extra,
      y.slice(26).map((v) => (v - base.yMean) / base.yStd),
    );
    // The reference: the dense posterior on all 30 points with the same θ and standardisation.
    const ys = y.map((v) => (v - base.yMean) / base.yStd);
    const kernel = (p: number[], q: number[]) =>
      1.2 *
      matern52(Math.hypot((p[0] as number) - (q[0] as number), (p[1] as number) - (q[1] as number)) / 0.3);
    const k = new Float64Array(30 * 30);
    data.forEach((p, i) => {
      data.forEach((q, j) => {
        k[i * 30 + j] = kernel(p, q) + (i === j ? base.noise + base.jitter : 0);
      });
    });
    const { factor } = choleskyWithJitter(k, 30, 0);
    const alpha = choleskySolve(factor, 30, ys);
    for (let t = 0; t < 10; t++) {
      const p = [rng.next(), rng.next()];
      const kStar = data.map((q) => kernel(p, q));
      const mean = kStar.reduce((sum, v, i) => sum + v * (alpha[i] as number), 0);
      const w = choleskySolve(factor, 30, kStar);
      const variance = 1.2 - kStar.reduce((sum, v, i) => sum + v * (w[i] as number), 0);
      const got = extended.predict(p);
      expect(got.mean).toBeCloseTo(mean, 9);
      expect(got.variance).toBeCloseTo(variance, 9);
    }
  });

  it('gives the posterior mean at training points in O(1), equal to predict there', () => {
    const data = Array.from({ length: 12 }, () => [rng.next()]);
    const gp = GaussianProcess.fit(
      data,
      data.map((p) => Math.sin(6 * (p[0] as number))),
      { rng, fixed: true, warmStart: thetaOf(1, 0.2, 1, 0.05) },
    );
    data.forEach((p, a) => {
      expect(gp.trainingMean(a)).toBeCloseTo(gp.predict(p).mean, 10);
    });
  });

  it('conditions on fantasies without refitting, shrinking variance there', () => {
    const gp = GaussianProcess.fit([[0.1], [0.9]], [0, 1], { rng });
    const before = gp.predict([0.5]);
    const fantasy = gp.condition([[0.5]], [before.mean]);
    const after = fantasy.predict([0.5]);
    expect(after.mean).toBeCloseTo(before.mean, 4);
    // What remains is about the fitted noise variance: a fantasy is a noisy observation like any other.
    expect(after.variance).toBeLessThan(0.2 * before.variance);
    expect(after.variance).toBeLessThan(1.5 * gp.noise);
    expect(fantasy.theta).toEqual(gp.theta);
  });
});
