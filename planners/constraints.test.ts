import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContractError, type DesignSpace, pointError } from '../contracts/index.ts';
import { createConstraintMap } from './constraints.ts';
import { createPlanner } from './create-planner.ts';

const mixture: DesignSpace = [
  { name: 'red', type: 'continuous', low: 0, high: 1, scale: 'linear' },
  { name: 'yellow', type: 'continuous', low: 0.1, high: 1, scale: 'linear' },
  { name: 'blue', type: 'continuous', low: 0, high: 0.3, scale: 'linear' },
  { name: 'T', type: 'integer', low: 20, high: 30 },
  { name: 'solvent', type: 'categorical', choices: ['water', 'ethanol'] },
];
const sum = { type: 'sum' as const, parameters: ['red', 'yellow', 'blue'], equals: 1 };
const total = (p: Record<string, unknown>) => (p.red as number) + (p.yellow as number) + (p.blue as number);

describe('sum (mixture) constraints', () => {
  it('projects any point onto the sum and the bounds (fast-check)', () => {
    const map = createConstraintMap(mixture, [sum]);
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 3, maxLength: 3 }),
        (xs) => {
          const p = map.project({
            red: xs[0] as number,
            yellow: xs[1] as number,
            blue: xs[2] as number,
            T: 20,
            solvent: 'water',
          });
          expect(total(p)).toBeCloseTo(1, 12);
          expect(pointError(mixture, p)).toBeUndefined();
          expect(map.violation(p)).toBeUndefined();
        },
      ),
    );
  });

  it('leaves a feasible point where it is and names the sum a point misses', () => {
    const map = createConstraintMap(mixture, [sum]);
    const feasible = { red: 0.5, yellow: 0.3, blue: 0.2, T: 25, solvent: 'water' };
    const p = map.project(feasible);
    for (const k of ['red', 'yellow', 'blue'] as const) expect(p[k]).toBeCloseTo(feasible[k], 12);
    expect(map.violation({ ...feasible, red: 0.6 })).toMatch(
      /^red \+ yellow \+ blue must equal 1, got 1\.09+/,
    );
  });

  it.each(['sobol', 'random', 'bo'] as const)(
    '%s proposals satisfy the sum and stay in a mixed space',
    async (strategy) => {
      const planner = createPlanner({
        space: mixture,
        objectives: [{ name: 'f', goal: 'minimise' }],
        constraints: [sum],
        planner: { strategy, initial: 6 },
        seed: 4,
      });
      for (let round = 0; round < 4; round++) {
        const proposals = await planner.ask(3);
        for (const { parameters } of proposals) {
          expect(pointError(mixture, parameters)).toBeUndefined();
          expect(Math.abs(total(parameters) - 1)).toBeLessThan(1e-9);
        }
        planner.tell(
          proposals.map(({ parameters }) => ({
            parameters,
            values: {
              f: ((parameters.red as number) - 0.6) ** 2 + (parameters.solvent === 'water' ? 0 : 0.1),
            },
          })),
        );
      }
    },
  );

  it('bo finds the optimum of a mixture better than its initial design', async () => {
    const planner = createPlanner({
      space: mixture.slice(0, 3),
      objectives: [{ name: 'f', goal: 'minimise' }],
      constraints: [sum],
      planner: { strategy: 'bo', initial: 6 },
      seed: 1,
    });
    const f = (p: Record<string, unknown>) =>
      ((p.red as number) - 0.2) ** 2 + ((p.blue as number) - 0.25) ** 2;
    let initial = Number.POSITIVE_INFINITY;
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 20; i++) {
      const [p] = await planner.ask(1);
      if (!p) throw new Error('no proposal');
      const v = f(p.parameters);
      if (i < 6) initial = Math.min(initial, v);
      best = Math.min(best, v);
      planner.tell([{ parameters: p.parameters, values: { f: v } }]);
    }
    expect(best).toBeLessThan(1e-3);
    expect(best).toBeLessThan(initial / 5);
  });

  it('rejects sums over unknown, log-scale or categorical parameters, and infeasible totals', () => {
    const spec = (constraints: unknown[]) => () =>
      createPlanner({
        space: [...mixture, { name: 'rate', type: 'continuous', low: 1, high: 10, scale: 'log' }],
        objectives: [{ name: 'f', goal: 'minimise' }],
        constraints: constraints as never,
        planner: { strategy: 'sobol' },
      });
    expect(spec([{ type: 'sum', parameters: ['red', 'nope'], equals: 1 }])).toThrow(
      /constraints\[0\]\.parameters\[1\].*no such parameter/s,
    );
    expect(spec([{ type: 'sum', parameters: ['red', 'rate'], equals: 2 }])).toThrow(
      /rate must be a linear-scale continuous parameter.*log/s,
    );
    expect(spec([{ type: 'sum', parameters: ['red', 'solvent'], equals: 1 }])).toThrow(/categorical/);
    expect(spec([{ type: 'sum', parameters: ['red', 'blue'], equals: 2 }])).toThrow(
      /allow sums 0–1.3, got equals 2/,
    );
    expect(spec([sum, { type: 'sum', parameters: ['red', 'T'], equals: 1 }])).toThrow(ContractError);
  });
});

describe('outcome constraints', () => {
  const space: DesignSpace = [
    { name: 'x', type: 'continuous', low: 0, high: 1, scale: 'linear' },
    { name: 'y', type: 'continuous', low: 0, high: 1, scale: 'linear' },
  ];
  // The unconstrained maximum (1, 1) is infeasible: cost = x must stay ≤ 0.4, so the answer is (0.4, 1).
  const measure = (p: Record<string, unknown>) => ({
    f: (p.x as number) + (p.y as number),
    cost: p.x as number,
  });

  it('proposes where the constraint is likely to hold and finds the constrained optimum', async () => {
    const planner = createPlanner({
      space,
      objectives: [{ name: 'f', goal: 'maximise' }],
      constraints: [{ type: 'outcome', name: 'cost', atMost: 0.4 }],
      planner: { strategy: 'bo', initial: 6 },
      seed: 2,
    });
    let bestFeasible = Number.NEGATIVE_INFINITY;
    let infeasibleLate = 0;
    for (let i = 0; i < 22; i++) {
      const [p] = await planner.ask(1);
      if (!p) throw new Error('no proposal');
      const values = measure(p.parameters);
      if (values.cost <= 0.4) bestFeasible = Math.max(bestFeasible, values.f);
      else if (i >= 12) infeasibleLate++;
      planner.tell([{ parameters: p.parameters, values }]);
    }
    expect(bestFeasible).toBeGreaterThan(1.35);
    expect(infeasibleLate).toBeLessThanOrEqual(5);
    expect(planner.observations.at(-1)?.values.cost).toBeTypeOf('number');
  });

  it('looks for a feasible point first when none has been measured', async () => {
    const planner = createPlanner({
      space,
      objectives: [{ name: 'f', goal: 'maximise' }],
      constraints: [{ type: 'outcome', name: 'cost', atLeast: 0.9 }],
      planner: { strategy: 'bo', initial: 4 },
      seed: 5,
    });
    planner.tell(
      [
        { x: 0.1, y: 0.5 },
        { x: 0.3, y: 0.2 },
        { x: 0.5, y: 0.9 },
        { x: 0.6, y: 0.1 },
      ].map((parameters) => ({ parameters, values: measure(parameters) })),
    );
    const [p] = await planner.ask(1);
    expect(p?.parameters.x as number).toBeGreaterThan(0.7);
  });

  it('needs the constrained outcome in every observation, and rejects ucb and constraints on objectives', () => {
    const make = (extra: Record<string, unknown>) =>
      createPlanner({
        space,
        objectives: [{ name: 'f', goal: 'maximise' }],
        constraints: [{ type: 'outcome', name: 'cost', atMost: 0.4 }],
        planner: { strategy: 'bo' },
        ...extra,
      });
    expect(() => make({}).tell([{ parameters: { x: 0, y: 0 }, values: { f: 1, cost: Number.NaN } }])).toThrow(
      /constrained outcome cost must be a finite number, got NaN/,
    );
    expect(() => make({ planner: { strategy: 'bo', acquisition: 'ucb' } })).toThrow(/planner\.acquisition/);
    expect(() => make({ constraints: [{ type: 'outcome', name: 'f', atLeast: 1 }] })).toThrow(
      /f is an objective/,
    );
    expect(() => make({ constraints: [{ type: 'outcome', name: 'cost' }] })).toThrow(
      /atLeast, atMost or both/,
    );
  });
});
