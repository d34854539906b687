import { describe, expect, it } from 'vitest';
import { createRng } from '../contracts/index.ts';
import { SOBOL_MAX_DIMENSION, SobolSequence } from './sobol.ts';
import { SobolStateSchema } from './state.ts';

function draw(sequence: SobolSequence, n: number): Float64Array[] {
  return Array.from({ length: n }, () => sequence.next());
}

/** Centred L2 discrepancy (Hickernell): lower is more uniform. */
function centredDiscrepancy(points: readonly Float64Array[]): number {
  const n = points.length;
  const d = points[0]?.length ?? 0;
  let a = 0;
  for (const x of points) {
    let prod = 1;
    for (let k = 0; k < d; k++) {
      const z = Math.abs((x[k] as number) - 0.5);
      prod *= 1 + 0.5 * z - 0.5 * z * z;
    }
    a += prod;
  }
  let b = 0;
  for (const x of points)
    for (const y of points) {
      let prod = 1;
      for (let k = 0; k < d; k++) {
        const xi = x[k] as number;
        const yi = y[k] as number;
        prod *= 1 + 0.5 * Math.abs(xi - 0.5) + 0.5 * Math.abs(yi - 0.5) - 0.5 * Math.abs(xi - yi);
      }
      b += prod;
    }
  return Math.sqrt((13 / 12) ** d - (2 / n) * a + b / (n * n));
}

describe('SobolSequence', () => {
  it('reproduces the unscrambled Joe–Kuo sequence (reference values from SciPy qmc.Sobol, 30 bits)', () => {
    const sobol = SobolSequence.create(128);
    const points = draw(sobol, 8);
    expect([...(points[0] as Float64Array)].every((v) => v === 0)).toBe(true);
    expect([...(points[2] as Float64Array).slice(0, 6)]).toEqual([0.75, 0.25, 0.25, 0.25, 0.75, 0.75]);
    expect([...(points[5] as Float64Array).slice(0, 6)]).toEqual([0.875, 0.875, 0.125, 0.375, 0.875, 0.625]);
    expect([...(points[7] as Float64Array).slice(0, 6)]).toEqual([0.125, 0.625, 0.375, 0.125, 0.125, 0.375]);
    const deep = sobol.at(12345);
    expect([0, 1, 5, 20, 63, 127].map((d) => (deep[d] as number) * 2 ** 30)).toEqual([
      688193536, 873398272, 63242240, 213975040, 499974144, 689897472,
    ]);
    const other = sobol.at(777);
    expect([2, 20, 100, 127].map((d) => (other[d] as number) * 2 ** 30)).toEqual([
      175112192, 254803968, 904921088, 126877696,
    ]);
  });

  it('keeps the (0, m, 2)-net property in its first two coordinates when scrambled', () => {
    const points = draw(SobolSequence.create(2, { rng: createRng(3) }), 256);
    // Every elementary box 2^-a × 2^-b with a + b = 8 holds exactly one of the first 256 points.
    for (let a = 0; a <= 8; a++) {
      const b = 8 - a;
      const counts = new Map<number, number>();
      for (const p of points) {
        const key = Math.floor((p[0] as number) * 2 ** a) * 2 ** b + Math.floor((p[1] as number) * 2 ** b);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      expect(counts.size).toBe(256);
    }
  });

  it('stratifies every coordinate of a 21-dimensional scrambled sequence', () => {
    const points = draw(SobolSequence.create(21, { rng: createRng(11) }), 64);
    for (let d = 0; d < 21; d++) {
      const bins = new Set(points.map((p) => Math.floor((p[d] as number) * 64)));
      expect(bins.size).toBe(64);
    }
  });

  it('is more uniform than random points (centred L2 discrepancy, 256 points in 5-D)', () => {
    const sobol = draw(SobolSequence.create(5, { rng: createRng(5) }), 256);
    const rng = createRng(5);
    const random = Array.from({ length: 256 }, () => Float64Array.from({ length: 5 }, () => rng.next()));
    expect(centredDiscrepancy(sobol)).toBeLessThan(0.5 * centredDiscrepancy(random));
  });

  it('is deterministic per seed and differs between seeds', () => {
    const a = draw(SobolSequence.create(4, { rng: createRng(42) }), 16);
    const b = draw(SobolSequence.create(4, { rng: createRng(42) }), 16);
    const c = draw(SobolSequence.create(4, { rng: createRng(43) }), 16);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.every((p) => p.every((v) => v >= 0 && v < 1))).toBe(true);
  });

  it('continues the exact sequence after a JSON round trip of its state', () => {
    const whole = SobolSequence.create(6, { rng: createRng(9) });
    const expected = draw(whole, 40);
    const first = SobolSequence.create(6, { rng: createRng(9) });
    draw(first, 17);
    const state = SobolStateSchema.parse(JSON.parse(JSON.stringify(first.state())));
    const resumed = SobolSequence.restore(state);
    expect(resumed.position).toBe(17);
    expect(draw(resumed, 23)).toEqual(expected.slice(17));
  });

  it('refuses more dimensions than its direction-number table covers', () => {
    expect(SOBOL_MAX_DIMENSION).toBeGreaterThanOrEqual(21);
    expect(() => SobolSequence.create(SOBOL_MAX_DIMENSION + 1)).toThrow(/1–128 dimensions.*got 129/);
    expect(() => SobolSequence.create(0)).toThrow(/got 0/);
  });
});
