import { describe, expect, it } from 'vitest';
import type { DesignSpace } from '../../contracts/index.ts';
import { createPlanner } from '../create-planner.ts';
import { BoPlannerStateSchema } from '../state.ts';
import { createFeatureSpace } from './features.ts';
import {
  incumbentBox,
  initialTrustRegion,
  TRUST_REGION,
  trustRegionBox,
  updateTrustRegion,
} from './trust-region.ts';

describe('trust region', () => {
  it('doubles after three successes, halves after enough failures, restarts when it collapses', () => {
    let tr = updateTrustRegion(initialTrustRegion(), [1, 2], 4, 1);
    expect(tr).toMatchObject({ best: 2, seen: 2, length: 0.8 });
    const values = [1, 2];
    for (const v of [3, 4, 5]) {
      values.push(v);
      tr = updateTrustRegion(tr, values, 4, 1);
    }
    expect(tr.length).toBe(1.6);
    // max(4, d)/batch = 4 failures in a row halve it.
    for (let i = 0; i < 4; i++) {
      values.push(0);
      tr = updateTrustRegion(tr, values, 4, 1);
    }
    expect(tr.length).toBe(0.8);
    for (let i = 0; i < 4 * 7; i++) {
      values.push(5);
      tr = updateTrustRegion(tr, values, 4, 1);
    }
    expect(tr).toMatchObject({ length: TRUST_REGION.initial, restarts: 1 });
    // Nothing new: unchanged.
    expect(updateTrustRegion(tr, values, 4, 1)).toBe(tr);
  });

  it('scales the box by lengthscale and leaves categorical parameters free', () => {
    const space = createFeatureSpace([
      { name: 'a', type: 'continuous', low: 0, high: 1, scale: 'linear' },
      { name: 'c', type: 'categorical', choices: ['x', 'y'] },
      { name: 'b', type: 'continuous', low: 0, high: 1, scale: 'linear' },
    ]);
    // Features: a, c=x, c=y, b; lengthscales 0.5 for a and 2 for b (geometric mean 1).
    const box = trustRegionBox(space, [0.5, 0.25, 0.5], [0.5, 1, 1, 2], 0.4);
    expect([...box.lower]).toEqual([expect.closeTo(0.4, 12), 0, expect.closeTo(0.1, 12)]);
    expect([...box.upper]).toEqual([expect.closeTo(0.6, 12), 1, expect.closeTo(0.9, 12)]);
    const edge = trustRegionBox(space, [0.95, 0.25, 0.5], [0.5, 1, 1, 2], 0.4);
    expect(edge.upper[0]).toBe(1);
  });

  it('boxes the incumbent one lengthscale wide, clipped to the cube, categorical parameters free', () => {
    const space = createFeatureSpace([
      { name: 'a', type: 'continuous', low: 0, high: 1, scale: 'linear' },
      { name: 'c', type: 'categorical', choices: ['x', 'y'] },
      { name: 'b', type: 'continuous', low: 0, high: 1, scale: 'linear' },
    ]);
    const box = incumbentBox(space, [0.5, 0.25, 0.9], [0.2, 1, 1, 0.4]);
    expect([...box.lower]).toEqual([expect.closeTo(0.4, 12), 0, expect.closeTo(0.7, 12)]);
    expect([...box.upper]).toEqual([expect.closeTo(0.6, 12), 1, 1]);
  });

  it('is used by the bo planner from 10 parameters, and saved with it', async () => {
    const space: DesignSpace = Array.from({ length: 10 }, (_, i) => ({
      name: `x${i}`,
      type: 'continuous' as const,
      low: 0,
      high: 1,
      scale: 'linear' as const,
    }));
    const planner = createPlanner({
      space,
      objectives: [{ name: 'f', goal: 'minimise' }],
      planner: { strategy: 'bo', initial: 12 },
      seed: 1,
    });
    const f = (p: Record<string, number | string>) =>
      space.reduce((s, q) => s + ((p[q.name] as number) - 0.3) ** 2, 0);
    const initial = await planner.ask(12);
    planner.tell(initial.map((p) => ({ parameters: p.parameters, values: { f: f(p.parameters) } })));
    const [next] = await planner.ask(1);
    const state = BoPlannerStateSchema.parse(planner.toJSON());
    expect(state.trustRegion).toMatchObject({ length: 0.8, seen: 12 });
    // The proposal lies in the box around the incumbent, scaled by the fitted lengthscales.
    const best = planner.observations.reduce((a, b) =>
      (a.values.f as number) <= (b.values.f as number) ? a : b,
    );
    const centre = space.map((q) => best.parameters[q.name] as number);
    const lengthscales = (state.theta ?? []).slice(0, 10).map(Math.exp);
    const box = trustRegionBox(createFeatureSpace(space), centre, lengthscales, 0.8);
    space.forEach((q, j) => {
      const v = next?.parameters[q.name] as number;
      expect(v).toBeGreaterThanOrEqual((box.lower[j] as number) - 1e-12);
      expect(v).toBeLessThanOrEqual((box.upper[j] as number) + 1e-12);
    });
    expect(
      Math.min(...space.map((_, j) => (box.upper[j] as number) - (box.lower[j] as number))),
    ).toBeLessThan(1);
    const small = createPlanner({
      space: space.slice(0, 3),
      objectives: [{ name: 'f', goal: 'minimise' }],
      planner: { strategy: 'bo' },
    });
    expect(BoPlannerStateSchema.parse(small.toJSON()).trustRegion).toBeNull();
  });
});
