import { describe, expect, it } from 'vitest';
import { createRng } from '../../contracts/index.ts';
import { createPlanner } from '../create-planner.ts';
import { hypervolume } from '../pareto.ts';
import type { Observation } from '../planner.ts';
import { GaussianProcess, GP_DEFAULTS } from './gp.ts';
import { createLogEhvi, inferReference, nondominated } from './hypervolume-improvement.ts';

const rng = createRng(21);
const objectives = [
  { name: 'a', goal: 'maximise' as const },
  { name: 'b', goal: 'maximise' as const },
];
const asObservations = (points: readonly (readonly number[])[]): Observation[] =>
  points.map((p) => ({ parameters: {}, values: { a: p[0] as number, b: p[1] as number } }));

/** Two GPs on 1-D inputs with fixed hyperparameters, and the data they were fitted to. */
function models(): [GaussianProcess, GaussianProcess] {
  const xs = [[0.05], [0.3], [0.55], [0.8], [0.95]];
  const theta = (lengthscale: number) =>
    Float64Array.from([Math.log(lengthscale), 0, Math.log(1e-4 - GP_DEFAULTS.minNoise)]);
  return [
    GaussianProcess.fit(xs, [1, 2.5, 3, 2, 0.5], { rng, fixed: true, warmStart: theta(0.3) }),
    GaussianProcess.fit(xs, [4, 3.2, 1.5, 2.8, 3.9], { rng, fixed: true, warmStart: theta(0.25) }),
  ];
}

describe('expected hypervolume improvement (two objectives)', () => {
  it('keeps the non-dominated points, sorted by the first objective', () => {
    const front = nondominated([
      [1, 5],
      [2, 4],
      [2, 3],
      [1.5, 4],
      [3, 1],
      [0, 6],
      [3, 0.5],
    ]);
    expect(front).toEqual([
      [0, 6],
      [1, 5],
      [2, 4],
      [3, 1],
    ]);
  });

  it('infers a reference point just beyond the nadir of the front', () => {
    const front = [
      [0, 6],
      [3, 1],
    ];
    const [r1, r2] = inferReference(front, front);
    expect(r1).toBeCloseTo(-0.3, 12);
    expect(r2).toBeCloseTo(0.5, 12);
    // A single front point falls back to the range of all values.
    const single = inferReference(
      [[2, 2]],
      [
        [2, 2],
        [0, 1],
        [1, 0],
      ],
    );
    expect(single[0]).toBeCloseTo(1.8, 12);
    expect(single[1]).toBeCloseTo(1.8, 12);
  });

  it('equals a Monte Carlo estimate of the hypervolume improvement under the posterior', () => {
    const gps = models();
    const front = [
      [1, 4],
      [2.5, 3.2],
      [3, 1.5],
    ];
    const reference = [0, 0];
    const ehvi = createLogEhvi({ models: gps, front, reference });
    // The oracle: planners/pareto.ts's exact hypervolume, checked once, then a plain staircase sum for speed.
    const staircase = (points: readonly (readonly number[])[]) => {
      let volume = 0;
      let height = 0;
      for (const [a, b] of [...points].sort((p, q) => (q[0] as number) - (p[0] as number)))
        if ((b as number) > height) {
          volume += (a as number) * ((b as number) - height);
          height = b as number;
        }
      return volume;
    };
    const base = staircase(front);
    expect(base).toBeCloseTo(hypervolume(asObservations(front), objectives, { a: 0, b: 0 }), 12);
    for (const x of [0.2, 0.45, 0.7]) {
      const moments = gps.map((gp) => {
        const p = gp.predict([x]);
        return { mean: gp.yMean + gp.yStd * p.mean, sd: gp.yStd * Math.sqrt(p.variance) };
      });
      let sum = 0;
      const draws = 100_000;
      const sampler = createRng(x * 1000);
      for (let s = 0; s < draws; s++) {
        const y = moments.map((m) => Math.max(0, m.mean + m.sd * sampler.normal()));
        sum += staircase([...front, y]) - base;
      }
      const monteCarlo = sum / draws;
      expect(Math.exp(ehvi(Float64Array.of(x)))).toBeCloseTo(monteCarlo, 2);
      expect(Math.abs(Math.exp(ehvi(Float64Array.of(x))) / monteCarlo - 1)).toBeLessThan(0.03);
    }
  });

  it('has a gradient that agrees with finite differences', () => {
    const ehvi = createLogEhvi({
      models: models(),
      front: [
        [1, 4],
        [2.5, 3.2],
      ],
      reference: [0.5, 1],
    });
    for (const x of [0.15, 0.42, 0.66, 0.9]) {
      const gradient = new Float64Array(1);
      ehvi(Float64Array.of(x), gradient);
      const h = 1e-6;
      const numeric = (ehvi(Float64Array.of(x + h)) - ehvi(Float64Array.of(x - h))) / (2 * h);
      expect(gradient[0]).toBeCloseTo(numeric, 4);
    }
  });

  it('stays finite, with a gradient, far below the front where the improvement underflows', () => {
    const gps = models();
    const ehvi = createLogEhvi({ models: gps, front: [[60, 60]], reference: [-100, -100] });
    const gradient = new Float64Array(1);
    const value = ehvi(Float64Array.of(0.5), gradient);
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeLessThan(-100);
    expect(Number.isFinite(gradient[0])).toBe(true);
  });

  it('plans a batch for two objectives: inside the space, spread out, and restorable', async () => {
    const spec = {
      space: [
        { name: 'x', type: 'continuous' as const, low: 0, high: 1, scale: 'linear' as const },
        { name: 'y', type: 'continuous' as const, low: 0, high: 1, scale: 'linear' as const },
      ],
      objectives: [
        { name: 'f', goal: 'minimise' as const },
        { name: 'g', goal: 'minimise' as const },
      ],
      planner: { strategy: 'bo' as const, initial: 6 },
      seed: 4,
    };
    const planner = createPlanner(spec);
    const evaluate = (p: Record<string, unknown>) => {
      const x = p.x as number;
      const y = p.y as number;
      return { f: x * x + y, g: (1 - x) ** 2 + y };
    };
    const initial = await planner.ask(6);
    planner.tell(initial.map((p) => ({ parameters: p.parameters, values: evaluate(p.parameters) })));
    const batch = await planner.ask(4);
    for (const p of batch) {
      expect(p.parameters.x).toBeGreaterThanOrEqual(0);
      expect(p.parameters.x).toBeLessThanOrEqual(1);
      // The front is y = 0: every proposal should head there.
      expect(p.parameters.y).toBeLessThan(0.3);
    }
    const xs = batch.map((p) => p.parameters.x as number).sort((a, b) => a - b);
    // Four points along the front x ∈ [0, 1], not one point four times.
    expect((xs[3] as number) - (xs[0] as number)).toBeGreaterThan(0.2);
    const state = JSON.parse(JSON.stringify(planner.toJSON()));
    expect(state.objectiveThetas).toHaveLength(2);
  });
});
