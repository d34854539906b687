import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COLOUR_TARGET, COLOUR_TARGET_MIXTURE, colourDistance, transmittedLight } from './colour.ts';

const absorbance = (t: number) => -Math.log10(t);

describe('colour model', () => {
  it('lets nearly all light through plain water', () => {
    const water = transmittedLight({ water: 200 });
    for (const channel of [water.r, water.g, water.b]) expect(channel).toBeCloseTo(1, 6);
  });

  it('depends on the fractions of the mixture, not on its total volume', () => {
    fc.assert(
      fc.property(
        fc.record({
          red: fc.nat(100),
          yellow: fc.nat(100),
          blue: fc.nat(100),
          water: fc.integer({ min: 1, max: 100 }),
        }),
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        (mixture, factor) => {
          const scaled = Object.fromEntries(Object.entries(mixture).map(([k, v]) => [k, v * factor]));
          expect(colourDistance(transmittedLight(mixture), transmittedLight(scaled))).toBeLessThan(1e-9);
        },
      ),
    );
  });

  it('transmits less red the more blue dye a well holds (Beer–Lambert is monotone)', () => {
    fc.assert(
      fc.property(fc.nat(150), fc.nat(150), fc.integer({ min: 1, max: 50 }), (blue, water, extra) => {
        const less = transmittedLight({ blue, water: water + 1 });
        const more = transmittedLight({ blue: blue + extra, water: water + 1 });
        expect(more.r).toBeLessThan(less.r);
      }),
    );
  });

  it('absorbs sublinearly at high concentration (dye aggregation)', () => {
    const half = absorbance(transmittedLight({ red: 100, water: 100 }).g);
    const full = absorbance(transmittedLight({ red: 200 }).g);
    expect(full).toBeGreaterThan(half);
    expect(full).toBeLessThan(2 * half * 0.95);
  });

  it('reproduces the exported target from the exported mixture', () => {
    expect(colourDistance(transmittedLight(COLOUR_TARGET_MIXTURE), COLOUR_TARGET)).toBeLessThan(0.001);
    for (const volume of Object.values(COLOUR_TARGET_MIXTURE)) expect(volume).toBeGreaterThan(0);
  });

  it('puts the target out of reach of every mixture that leaves a reservoir out', () => {
    const names = ['red', 'yellow', 'blue', 'water'] as const;
    const steps = 60;
    for (const left of names) {
      const others = names.filter((n) => n !== left);
      let closest = Number.POSITIVE_INFINITY;
      for (let i = 0; i <= steps; i++)
        for (let j = 0; i + j <= steps; j++) {
          const k = steps - i - j;
          const mixture = { [others[0] as string]: i, [others[1] as string]: j, [others[2] as string]: k };
          closest = Math.min(closest, colourDistance(transmittedLight(mixture), COLOUR_TARGET));
        }
      expect(closest, `closest mixture without ${left}`).toBeGreaterThan(0.05);
    }
  });

  it('refuses an empty mixture', () => {
    expect(() => transmittedLight({ red: 0 })).toThrow(/positive total volume, got 0/);
  });
});
