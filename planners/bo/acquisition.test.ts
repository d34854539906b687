import { describe, expect, it } from 'vitest';
import { createRng } from '../../contracts/index.ts';
import { createAcquisition, incumbent } from './acquisition.ts';
import { createFeatureSpace } from './features.ts';
import { GaussianProcess } from './gp.ts';
import { normalCdf, normalPdf } from './normal.ts';
import { warpOutcomes } from './outcome.ts';

function model(): GaussianProcess {
  const rng = createRng(4);
  const points = Array.from({ length: 12 }, () => [rng.next(), rng.next()]);
  return GaussianProcess.fit(
    points,
    points.map((p) => Math.sin(4 * (p[0] as number)) * (p[1] as number)),
    { rng },
  );
}

describe('acquisition functions', () => {
  const gp = model();
  const best = incumbent(gp);

  it('LogEI equals log of the closed-form EI where EI is representable', () => {
    const acq = createAcquisition(gp, { kind: 'logei', best });
    for (const x of [
      [0.1, 0.9],
      [0.5, 0.5],
      [0.95, 0.05],
    ]) {
      const { mean, variance } = gp.predict(x);
      const sigma = Math.sqrt(variance);
      const z = (mean - best) / sigma;
      const ei = sigma * (normalPdf(z) + z * normalCdf(z));
      expect(acq(Float64Array.from(x))).toBeCloseTo(Math.log(ei), 8);
    }
  });

  it('stays finite and ordered where EI underflows to 0', () => {
    const acq = createAcquisition(gp, { kind: 'logei', best: best + 50 });
    const a = acq(Float64Array.from([0.2, 0.2]));
    const b = acq(Float64Array.from([0.2, 0.21]));
    expect(Number.isFinite(a)).toBe(true);
    expect(a).toBeLessThan(-100);
    expect(a).not.toBe(b);
  });

  it.each(['logei', 'ucb'] as const)(
    '%s has an analytic gradient that matches finite differences',
    (kind) => {
      const acq = createAcquisition(gp, { kind, best, beta: 4 });
      const x = Float64Array.from([0.3, 0.7]);
      const g = new Float64Array(2);
      acq(x, g);
      for (let i = 0; i < 2; i++) {
        const h = 1e-6;
        const up = Float64Array.from(x);
        const down = Float64Array.from(x);
        up[i] = (up[i] as number) + h;
        down[i] = (down[i] as number) - h;
        expect(g[i]).toBeCloseTo((acq(up) - acq(down)) / (2 * h), 5);
      }
    },
  );

  it('UCB is μ + √β·σ', () => {
    const acq = createAcquisition(gp, { kind: 'ucb', best, beta: 9 });
    const { mean, variance } = gp.predict([0.4, 0.4]);
    expect(acq(Float64Array.from([0.4, 0.4]))).toBeCloseTo(mean + 3 * Math.sqrt(variance), 12);
  });
});

describe('feature space', () => {
  const space = createFeatureSpace([
    { name: 'x', type: 'continuous', low: 0, high: 10, scale: 'linear' },
    { name: 'n', type: 'integer', low: 1, high: 4 },
    { name: 'c', type: 'categorical', choices: ['a', 'b', 'c'] },
  ]);

  it('one-hot encodes choices and rounds relaxed points onto the design space', () => {
    expect(space.width).toBe(5);
    expect([...space.fromUnit([0.25, 0.5, 0.9])]).toEqual([0.25, 0.5, 0, 0, 1]);
    const rounded = space.round([0.3, 0.3, 0.2, 0.7, 0.1]);
    expect([...rounded]).toEqual([expect.closeTo(0.3, 12), 0.375, 0, 1, 0]);
    expect(space.encoding.decode(space.toUnit(rounded))).toEqual({ x: expect.closeTo(3, 12), n: 2, c: 'b' });
  });

  it('pins categorical blocks when optimising', () => {
    const { lower, upper } = space.bounds(space.fromUnit([0.5, 0.5, 0.1]));
    expect([...lower]).toEqual([0, 0, 1, 0, 0]);
    expect([...upper]).toEqual([1, 1, 1, 0, 0]);
  });
});

describe('warpOutcomes', () => {
  it('is monotone, standardised, and compresses a long tail', () => {
    // Minimising a skewed response: most values are far below the best (maximised) value.
    const y = [-300, -120, -50, -20, -9, -5, -2, -1, -0.6, -0.5];
    const { values, lambda } = warpOutcomes(y);
    for (let i = 1; i < y.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1] as number);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeCloseTo(0, 12);
    expect(lambda).toBeGreaterThan(1);
    // The best values are spread apart more than plain standardisation would.
    const top = (values[9] as number) - (values[8] as number);
    const m = y.reduce((a, b) => a + b, 0) / y.length;
    const sd = Math.sqrt(y.reduce((a, b) => a + (b - m) ** 2, 0) / (y.length - 1));
    expect(top).toBeGreaterThan((3 * (-0.5 - -0.6)) / sd);
  });

  it('only standardises when there are too few distinct values', () => {
    expect(warpOutcomes([2, 2, 2]).values).toEqual([0, 0, 0]);
    expect(warpOutcomes([1, 3]).lambda).toBe(1);
  });
});
