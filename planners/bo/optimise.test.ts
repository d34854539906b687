import { describe, expect, it } from 'vitest';
import { minimiseBox } from './optimise.ts';

const rosenbrock = (x: Float64Array, g: Float64Array): number => {
  const a = x[0] as number;
  const b = x[1] as number;
  g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
  g[1] = 200 * (b - a * a);
  return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
};

describe('minimiseBox', () => {
  it('finds the minimum of the Rosenbrock function without bounds', () => {
    const result = minimiseBox(rosenbrock, [-1.2, 1], { maxIterations: 200 });
    expect(result.x[0]).toBeCloseTo(1, 4);
    expect(result.x[1]).toBeCloseTo(1, 4);
    expect(result.value).toBeLessThan(1e-8);
  });

  it('stops on an active bound and keeps pinned coordinates', () => {
    const result = minimiseBox(rosenbrock, [0.2, 0.3], {
      lower: [-2, -2],
      upper: [0.5, 0.3],
      maxIterations: 200,
    });
    // The constrained optimum satisfies KKT: zero gradient on free coordinates, pushing outwards on active ones.
    expect(result.x[0]).toBeLessThanOrEqual(0.5);
    expect(result.x[1]).toBeLessThanOrEqual(0.3);
    const g = new Float64Array(2);
    rosenbrock(result.x, g);
    for (let i = 0; i < 2; i++) {
      const atUpper = (result.x[i] as number) >= (i === 0 ? 0.5 : 0.3) - 1e-12;
      if (!atUpper) expect(Math.abs(g[i] as number)).toBeLessThan(1e-4);
      else expect(g[i]).toBeLessThanOrEqual(1e-8);
    }
    const pinned = minimiseBox(rosenbrock, [0, 0.7], { lower: [-2, 0.7], upper: [2, 0.7] });
    expect(pinned.x[1]).toBe(0.7);
    expect(pinned.x[0]).toBeCloseTo(Math.sqrt(0.7) - 0.002, 2);
  });

  it('steps back from regions where the objective is not finite', () => {
    const result = minimiseBox(
      (x, g) => {
        const v = x[0] as number;
        g[0] = 2 * (v - 3);
        return v > 2 ? Number.POSITIVE_INFINITY : (v - 3) ** 2;
      },
      [0],
    );
    expect(result.x[0]).toBeLessThanOrEqual(2);
    expect(result.x[0]).toBeGreaterThan(1.5);
  });

  it('backtracks straight to the step a steep quadratic wants, and honours a short first step', () => {
    // Curvature 400 in each coordinate, minimum 0.005 away: the unit first step overshoots 100-fold.
    const steep = (x: Float64Array, g: Float64Array): number => {
      let f = 0;
      for (let i = 0; i < x.length; i++) {
        const d = (x[i] as number) - 0.005;
        g[i] = 400 * d;
        f += 200 * d * d;
      }
      return f;
    };
    const plain = minimiseBox(steep, [0, 0], { maxIterations: 1 });
    // Halving from the first step (0.71 per coordinate) takes 7 tries to get below 0.01; interpolation,
    // shrinking by at most 10 a try, takes 3.
    expect(plain.evaluations).toBeLessThanOrEqual(4);
    expect(plain.x[0]).toBeGreaterThan(0);
    expect(plain.x[0]).toBeLessThan(0.01);
    const short = minimiseBox(steep, [0, 0], { maxIterations: 1, firstStep: 0.002 });
    expect(short.x[0]).toBeCloseTo(0.002, 12);
    expect(short.evaluations).toBe(2);
  });
});
