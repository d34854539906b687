import { describe, expect, it } from 'vitest';
import { createRng } from '../../contracts/index.ts';
import { createPlanner } from '../create-planner.ts';
import { createAcquisition, escapeBasin, incumbent } from './acquisition.ts';
import { createFeatureSpace } from './features.ts';
import { GaussianProcess } from './gp.ts';
import { logNormalCdf, normalCdf, normalPdf } from './normal.ts';
import { optimiseAcquisition } from './optimise-acquisition.ts';

const rng = createRng(9);

describe('acquisition edge cases', () => {
  it('log Φ is accurate where Φ is representable and finite far beyond', () => {
    for (const z of [-30, -8, -1, 0, 0.5, 3]) {
      expect(logNormalCdf(z).value).toBeCloseTo(Math.log(normalCdf(z)), 10);
      expect(logNormalCdf(z).gradient).toBeCloseTo(normalPdf(z) / normalCdf(z), 8);
    }
    // Φ(−40) underflows to ~1e-350; the asymptotic series gives log Φ(z) ≈ −z²/2 − log(−z·√(2π)) + log(1 − 1/z² + 3/z⁴).
    const series = -800 - Math.log(40 * Math.sqrt(2 * Math.PI)) + Math.log(1 - 1 / 1600 + 3 / 40 ** 4);
    expect(logNormalCdf(-40).value).toBeCloseTo(series, 6);
    expect(logNormalCdf(-40).gradient).toBeCloseTo(40, 1);
  });

  it('stays finite when every outcome is equal (no incumbent to beat)', () => {
    const gp = GaussianProcess.fit([[0.1], [0.5], [0.9]], [2, 2, 2], { rng });
    const logei = createAcquisition(gp, { kind: 'logei', best: incumbent(gp) });
    const ucb = createAcquisition(gp, { kind: 'ucb', best: 0 });
    for (const x of [0, 0.3, 0.7, 1]) {
      expect(Number.isFinite(logei(Float64Array.of(x)))).toBe(true);
      expect(Number.isFinite(ucb(Float64Array.of(x)))).toBe(true);
    }
  });

  it('with no feasible incumbent, maximises the probability of feasibility, with a correct gradient', () => {
    const points = [[0.1], [0.4], [0.6], [0.9]];
    const objective = GaussianProcess.fit(points, [1, 2, 3, 4], { rng });
    // The constrained outcome rises with x; it must reach 0.8 (threshold in the model's standardised units).
    const constraint = GaussianProcess.fit(points, [0.1, 0.4, 0.6, 0.9], { rng });
    const feasibility = [{ gp: constraint, threshold: (0.8 - constraint.yMean) / constraint.yStd }];
    const best = incumbent(objective, 4, () => false);
    expect(best).toBe(Number.NEGATIVE_INFINITY);
    const acquisition = createAcquisition(objective, { kind: 'logei', best, feasibility });
    expect(acquisition(Float64Array.of(0.95))).toBeGreaterThan(acquisition(Float64Array.of(0.2)));
    const x = Float64Array.of(0.7);
    const gradient = new Float64Array(1);
    acquisition(x, gradient);
    const h = 1e-6;
    const numeric = (acquisition(Float64Array.of(0.7 + h)) - acquisition(Float64Array.of(0.7 - h))) / (2 * h);
    expect(gradient[0]).toBeCloseTo(numeric, 4);
  });

  it('falls back to a point of the space when the acquisition is nowhere finite', () => {
    const space = createFeatureSpace([{ name: 'x', type: 'continuous', low: 0, high: 1, scale: 'linear' }]);
    const optimum = optimiseAcquisition(() => Number.NaN, space, { rng, around: [], rawSamples: 16 });
    expect(optimum.value).toBe(Number.NEGATIVE_INFINITY);
    expect(optimum.unit[0]).toBeGreaterThanOrEqual(0);
    expect(optimum.unit[0]).toBeLessThanOrEqual(1);
  });

  it('asks with no observations (initial design) and after a device reported NaN (rejected, nothing recorded)', async () => {
    const planner = createPlanner({
      space: [{ name: 'x', type: 'continuous', low: 0, high: 1 }],
      objectives: [{ name: 'f', goal: 'minimise' }],
      planner: { strategy: 'bo', initial: 2 },
      seed: 1,
    });
    const first = await planner.ask(2);
    expect(first).toHaveLength(2);
    expect(() =>
      planner.tell([
        { parameters: first[0]?.parameters ?? {}, values: { f: 1 } },
        { parameters: first[1]?.parameters ?? {}, values: { f: Number.NaN } },
      ]),
    ).toThrow(/observation 1.*NaN/s);
    expect(planner.observations).toHaveLength(0);
    planner.tell([{ parameters: first[0]?.parameters ?? {}, values: { f: 1 } }]);
    planner.tell([{ parameters: first[0]?.parameters ?? {}, values: { f: 1 } }]);
    const [next] = await planner.ask(1);
    expect(next?.parameters.x).toBeTypeOf('number');
  });

  it('steers the acquisition out of the incumbent basin, with a correct gradient', () => {
    const flat = () => 0;
    const steered = escapeBasin(flat, [0.5, 0.5], [0.1, 0.2]);
    expect(steered(Float64Array.of(0.5, 0.5))).toBe(Number.NEGATIVE_INFINITY);
    expect(steered(Float64Array.of(0.52, 0.5))).toBeLessThan(steered(Float64Array.of(0.9, 0.5)));
    expect(steered(Float64Array.of(0.95, 0.1))).toBeCloseTo(0, 4);
    const gradient = new Float64Array(2);
    steered(Float64Array.of(0.6, 0.55), gradient);
    const h = 1e-7;
    const dx = (steered(Float64Array.of(0.6 + h, 0.55)) - steered(Float64Array.of(0.6 - h, 0.55))) / (2 * h);
    expect(gradient[0]).toBeCloseTo(dx, 4);
  });
});
