import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../contracts/index.ts';
import {
  BEST_BONDING_TEMPERATURE,
  bondingQuality,
  compressionResponse,
  type LatticeDesign,
  printOutcome,
  relativeDensity,
} from './lattice.ts';
import { withNoise } from './noise.ts';

const standard = { strain: 60, maxForce: 20_000 };
const toughness = (d: LatticeDesign) => compressionResponse(d, standard).toughness;
const envelope = { strutThickness: [0.4, 3], cellSize: [2, 20], nozzleTemperature: [180, 260] } as const;

describe('lattice model', () => {
  it('grows denser with thicker struts and sparser with larger cells, solid once struts fill the cell', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.4, max: 2.9, noNaN: true }),
        fc.double({ min: 3, max: 20, noNaN: true }),
        (t, L) => {
          expect(relativeDensity(t + 0.1, L)).toBeGreaterThan(relativeDensity(t, L));
          expect(relativeDensity(t, L + 0.5)).toBeLessThan(relativeDensity(t, L));
        },
      ),
    );
    expect(relativeDensity(3, 2)).toBe(1);
  });

  it('prints heavier, slower specimens as density rises, within 20–60 min', () => {
    const light = printOutcome({ strutThickness: 0.4, cellSize: 20, nozzleTemperature: 220 });
    const heavy = printOutcome({ strutThickness: 3, cellSize: 2, nozzleTemperature: 220 });
    expect(light.mass).toBeLessThan(heavy.mass);
    expect(heavy.mass).toBeCloseTo(9.92, 2);
    expect(light.printTime).toBeGreaterThanOrEqual(20 * 60);
    expect(heavy.printTime).toBeLessThanOrEqual(60 * 60);
  });

  it('bonds layers best at an interior nozzle temperature', () => {
    expect(BEST_BONDING_TEMPERATURE).toBeGreaterThan(190);
    expect(BEST_BONDING_TEMPERATURE).toBeLessThan(250);
    expect(bondingQuality(BEST_BONDING_TEMPERATURE)).toBe(1);
    expect(bondingQuality(180)).toBeLessThan(0.5);
    expect(bondingQuality(260)).toBeLessThan(0.5);
  });

  it('has its toughness optimum strictly inside the envelope in every parameter', () => {
    let best = { value: -1, design: { strutThickness: 0, cellSize: 0, nozzleTemperature: 0 } };
    for (let t = 0.4; t <= 3.0001; t += 0.1)
      for (let L = 2; L <= 20.0001; L += 0.5)
        for (let T = 180; T <= 260.0001; T += 5) {
          const design = { strutThickness: t, cellSize: L, nozzleTemperature: T };
          const value = toughness(design);
          if (value > best.value) best = { value, design };
        }
    for (const [name, [low, high]] of Object.entries(envelope)) {
      const v = best.design[name as keyof LatticeDesign];
      expect(v, name).toBeGreaterThan(low + 1e-6);
      expect(v, name).toBeLessThan(high - 1e-6);
    }
    // Every corner of the envelope is far worse than the optimum.
    for (const t of envelope.strutThickness)
      for (const L of envelope.cellSize)
        for (const T of envelope.nozzleTemperature)
          expect(toughness({ strutThickness: t, cellSize: L, nozzleTemperature: T })).toBeLessThan(
            best.value / 2,
          );
  });

  it('fails brittlely at high density, absorbing less energy than a mid-density lattice', () => {
    const dense = compressionResponse({ strutThickness: 3, cellSize: 3, nozzleTemperature: 226 }, standard);
    const mid = compressionResponse({ strutThickness: 1.2, cellSize: 4, nozzleTemperature: 226 }, standard);
    expect(dense.fractured).toBe(true);
    expect(dense.peakForce).toBeGreaterThan(mid.peakForce);
    expect(dense.toughness).toBeLessThan(mid.toughness);
  });

  it('resists a higher peak force with thicker struts', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.4, max: 2.8, noNaN: true }),
        fc.double({ min: 4, max: 20, noNaN: true }),
        (t, L) => {
          const design = { strutThickness: t, cellSize: L, nozzleTemperature: 226 };
          const thicker = { ...design, strutThickness: t + 0.2 };
          expect(compressionResponse(thicker, standard).peakForce).toBeGreaterThan(
            compressionResponse(design, standard).peakForce,
          );
        },
      ),
    );
  });

  it('stops at the force limit and never reports more than it', () => {
    const design = { strutThickness: 3, cellSize: 2, nozzleTemperature: 226 };
    const limited = compressionResponse(design, { strain: 60, maxForce: 500 });
    expect(limited.stoppedBy).toBe('force');
    expect(limited.peakForce).toBeLessThanOrEqual(500 + 1e-9);
    expect(limited.toughness).toBeLessThan(compressionResponse(design, standard).toughness);
  });

  it('adds noise that a seed reproduces and that has the asked spread', () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 2000 }, () => withNoise(10, 0.03, rng));
    };
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
    const values = draw(5);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    expect(mean).toBeCloseTo(10, 1);
    expect(sd / 10).toBeGreaterThan(0.025);
    expect(sd / 10).toBeLessThan(0.035);
  });
});
