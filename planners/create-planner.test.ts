import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContractError, type DesignSpace, pointError } from '../contracts/index.ts';
import { createPlanner, restorePlanner } from './create-planner.ts';
import { InvalidObservationError, InvalidRequestError, PlannerError, PlannerStateError } from './errors.ts';
import { designSpaceArb } from './internal/test-spaces.ts';
import type { PlannerSpecInput } from './planner.ts';

const space: DesignSpace = [
  { name: 'T', type: 'continuous', low: 20, high: 80, scale: 'linear' },
  { name: 'conc', type: 'continuous', low: 0.001, high: 10, scale: 'log' },
  { name: 'n', type: 'integer', low: 1, high: 4 },
  { name: 'solvent', type: 'categorical', choices: ['water', 'ethanol', 'dmso'] },
];
const objectives = [{ name: 'yield', goal: 'maximise' as const }];
const spec = (strategy: 'random' | 'sobol' | 'bo', seed = 7): PlannerSpecInput => ({
  space,
  objectives,
  planner: { strategy },
  seed,
});

describe.each(['random', 'sobol', 'bo'] as const)('%s planner', (strategy) => {
  it('is deterministic per seed', async () => {
    const a = await createPlanner(spec(strategy, 1)).ask(10);
    const b = await createPlanner(spec(strategy, 1)).ask(10);
    const c = await createPlanner(spec(strategy, 2)).ask(10);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('continues exactly where it was after toJSON → JSON → restorePlanner', async () => {
    const whole = createPlanner(spec(strategy));
    const expected = [...(await whole.ask(5)), ...(await whole.ask(7))];
    const first = createPlanner(spec(strategy));
    const head = await first.ask(5);
    first.tell([{ parameters: head[0]?.parameters ?? {}, values: { yield: 0.5 } }]);
    const resumed = restorePlanner(JSON.parse(JSON.stringify(first.toJSON())));
    expect(resumed.strategy).toBe(strategy);
    expect(resumed.observations).toEqual(first.observations);
    expect([...head, ...(await resumed.ask(7))]).toEqual(expected);
  });

  it('keeps every proposal inside mixed design spaces (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(designSpaceArb, fc.nat(), fc.integer({ min: 1, max: 20 }), async (s, seed, count) => {
        const planner = createPlanner({ space: s, objectives, planner: { strategy }, seed });
        const proposals = await planner.ask(count);
        expect(proposals).toHaveLength(count);
        for (const p of proposals) expect(pointError(s, p.parameters)).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });

  it('rejects NaN, Infinity, missing objectives and points outside the space with a clear error', () => {
    const planner = createPlanner(spec(strategy));
    const parameters = { T: 30, conc: 1, n: 2, solvent: 'water' };
    expect(() => planner.tell([{ parameters, values: { yield: Number.NaN } }])).toThrow(
      /observation 0: objective yield must be a finite number, got NaN/,
    );
    expect(() =>
      planner.tell([
        { parameters, values: { yield: 1 } },
        { parameters, values: { yield: Number.POSITIVE_INFINITY } },
      ]),
    ).toThrow(/observation 1: .*got Infinity/);
    expect(() => planner.tell([{ parameters, values: { purity: 1 } }])).toThrow(
      /yield must be .*got nothing/,
    );
    expect(() => planner.tell([{ parameters: { ...parameters, T: 90 }, values: { yield: 1 } }])).toThrow(
      InvalidObservationError,
    );
    expect(() => planner.tell([{ parameters: { ...parameters, T: 90 }, values: { yield: 1 } }])).toThrow(
      /outside the design space: T must be 20–80, got 90/,
    );
    // A rejected batch records nothing.
    expect(planner.observations).toHaveLength(0);
    planner.tell([{ parameters, values: { yield: 1, extra: 3 } }]);
    expect(planner.observations).toEqual([{ parameters, values: { yield: 1 } }]);
  });

  it('rejects a bad count or pending point', async () => {
    const planner = createPlanner(spec(strategy));
    await expect(planner.ask(0)).rejects.toThrow(/ask count must be an integer 1–10000, got 0/);
    await expect(planner.ask(1.5)).rejects.toThrow(InvalidRequestError);
    await expect(planner.ask(1, [{ T: 30 }])).rejects.toThrow(/pending point 0 .*conc is missing/);
  });
});

describe('createPlanner / restorePlanner', () => {
  it('names every bad field of a spec', () => {
    const bad = {
      space: [{ name: 'T', type: 'continuous', low: 5, high: 1 }],
      objectives: [],
      planner: { strategy: 'magic' },
    };
    expect(() => createPlanner(bad as unknown as PlannerSpecInput)).toThrow(ContractError);
    expect(() => createPlanner(bad as unknown as PlannerSpecInput)).toThrow(
      /space\[0\]\.high: low must be less than high/,
    );
    expect(() => createPlanner(bad as unknown as PlannerSpecInput)).toThrow(/planner\.strategy/);
  });

  it('refuses a state that does not parse, naming the bad field', () => {
    const state = createPlanner(spec('sobol')).toJSON();
    expect(() => restorePlanner({ ...state, strategy: 'quantum' })).toThrow(PlannerStateError);
    expect(() => restorePlanner({ ...state, sobol: { ...(state.sobol as object), index: -1 } })).toThrow(
      /sobol\.index/,
    );
    const wrongDimension = createPlanner({ ...spec('sobol'), space: space.slice(0, 2) }).toJSON();
    expect(() => restorePlanner({ ...state, sobol: wrongDimension.sobol })).toThrow(
      /2 dimensions, expected 4/,
    );
    expect(() => restorePlanner({ ...state, strategy: 'quantum' })).toThrow(PlannerError);
  });

  it("refuses a state whose strategy is not its spec's", () => {
    const state = createPlanner(spec('sobol')).toJSON();
    const bo = createPlanner(spec('bo')).toJSON();
    expect(() => restorePlanner({ ...state, spec: bo.spec })).toThrow(
      new PlannerStateError('saved state is of a sobol planner, but the spec asks for bo'),
    );
  });
});
