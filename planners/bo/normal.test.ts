import { describe, expect, it } from 'vitest';
import { erfc, logH, normalCdf } from './normal.ts';

/** log h(z) and Φ(z)/h(z), computed with mpmath at 50 digits. */
const REFERENCE: ReadonlyArray<readonly [number, number, number]> = [
  [-1000, -500014.7344520912, 1000.001999994],
  [-40, -808.29856835662, 40.04990665764852],
  [-20, -206.9178385094251, 20.099262811101283],
  [-6, -22.578879392169796, 6.309840773209832],
  [-5, -16.74430116266099, 5.361816241288088],
  [-4.9, -16.212816407897737, 5.267910100563279],
  [-2, -4.768783523917114, 2.679416883955586],
  [-1, -2.4851210257126413, 1.9042712333296918],
  [-0.5, -1.6205162643873199, 1.5598731483480797],
  [0, -0.9189385332046728, 1.2533141373155003],
  [1, 0.08002621884930694, 0.7766387252017393],
  [5, 1.6094379231264313, 0.19999994053122006],
  [40, 3.6888794541139363, 0.025],
];

describe('normal helpers', () => {
  it('computes erfc to near double precision, including its tail', () => {
    expect(erfc(0.3)).toBeCloseTo(0.6713732405408726, 14);
    expect(erfc(2.9) / 4.109787809945886e-5).toBeCloseTo(1, 12);
    expect(erfc(3.5) / 7.430983723414128e-7).toBeCloseTo(1, 12);
    expect(erfc(10) / 2.088487583762545e-45).toBeCloseTo(1, 12);
    expect(erfc(-1) + erfc(1)).toBeCloseTo(2, 15);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 14);
  });

  it.each(REFERENCE)('log h(%d) and its derivative match 50-digit values', (z, value, gradient) => {
    const got = logH(z);
    expect(got.value).toBeCloseTo(value, Math.abs(value) > 100 ? 8 : 11);
    expect(got.gradient / gradient).toBeCloseTo(1, 9);
  });

  it('is continuous and increasing across its branch points', () => {
    for (const z of [-5, 0]) {
      const below = logH(z - 1e-9);
      const above = logH(z + 1e-9);
      expect(above.value - below.value).toBeGreaterThan(0);
      expect(above.value - below.value).toBeLessThan(1e-7);
      expect(above.gradient / below.gradient).toBeCloseTo(1, 6);
    }
  });
});
