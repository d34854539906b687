import { describe, expect, it } from 'vitest';
import type { Objective } from '../contracts/index.ts';
import { hypervolume, paretoFront } from './pareto.ts';
import type { Observation } from './planner.ts';

const objectives: Objective[] = [
  { name: 'yield', goal: 'maximise' },
  { name: 'cost', goal: 'minimise' },
];
const obs = (y: number, c: number): Observation => ({ parameters: {}, values: { yield: y, cost: c } });

describe('pareto front and hypervolume', () => {
  it('keeps only non-dominated observations', () => {
    const front = paretoFront([obs(1, 5), obs(2, 6), obs(1, 7), obs(0.5, 1), obs(2, 6)], objectives);
    // (1, 7) is dominated by (1, 5); the duplicate (2, 6) points do not dominate each other.
    expect(front.map((o) => [o.values.yield, o.values.cost])).toEqual([
      [1, 5],
      [2, 6],
      [0.5, 1],
      [2, 6],
    ]);
  });

  it('computes the area dominated above the reference in 2-D', () => {
    // Reference (yield 0, cost 10). Boxes: (1, 5) → 1×5, (2, 6) → 2×4, union = 5 + 8 − 4 = 9.
    expect(hypervolume([obs(1, 5), obs(2, 6)], objectives, { yield: 0, cost: 10 })).toBeCloseTo(9, 12);
    // A dominated point or one beyond the reference adds nothing.
    expect(
      hypervolume([obs(1, 5), obs(2, 6), obs(0.5, 7), obs(3, 11)], objectives, { yield: 0, cost: 10 }),
    ).toBeCloseTo(9, 12);
  });

  it('matches inclusion–exclusion in 3-D', () => {
    const three: Objective[] = [
      { name: 'a', goal: 'maximise' },
      { name: 'b', goal: 'maximise' },
      { name: 'c', goal: 'maximise' },
    ];
    const p = (a: number, b: number, c: number): Observation => ({ parameters: {}, values: { a, b, c } });
    // Boxes 2×1×1 and 1×2×1 overlap in 1×1×1: 2 + 2 − 1 = 3; with 1×1×3 added: + 3 − 1 − 1 + 1 = 5.
    expect(hypervolume([p(2, 1, 1), p(1, 2, 1)], three, { a: 0, b: 0, c: 0 })).toBeCloseTo(3, 12);
    expect(hypervolume([p(2, 1, 1), p(1, 2, 1), p(1, 1, 3)], three, { a: 0, b: 0, c: 0 })).toBeCloseTo(5, 12);
  });

  it('says which reference value is missing', () => {
    expect(() => hypervolume([obs(1, 5)], objectives, { yield: 0 })).toThrow(
      /reference needs a finite value for cost, got undefined/,
    );
  });
});
