import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import {
  checkExperimentExecutionNames,
  EXPERIMENT_EXECUTION_NAME,
  experimentExecutionName,
  experimentExecutionPattern,
  experimentIdOf,
} from './execution-names.ts';

/** The JSONata as the Map's ItemSelector evaluates it. */
const inMap = (experimentId: string, enteredAt: number) =>
  jsonata(EXPERIMENT_EXECUTION_NAME).evaluate(
    {},
    {
      item: { experimentId },
      states: { context: { State: { EnteredTime: new Date(enteredAt).toISOString() } } },
    },
  );

describe('experiment execution names', () => {
  const entered = Date.parse('2025-01-01T00:00:00.123Z');

  it('are the experiment id and when the Map was entered (ms, base 36), the same in JSONata and TypeScript', async () => {
    expect(experimentExecutionName('colour-1-e0003', entered)).toBe('colour-1-e0003-m5d4rurf');
    expect(await inMap('colour-1-e0003', entered)).toBe('colour-1-e0003-m5d4rurf');
    // Another run of the Map, a millisecond later: another name.
    expect(await inMap('colour-1-e0003', entered + 1)).toBe('colour-1-e0003-m5d4rurg');
  });

  it('fail, naming the name, past 80 characters', async () => {
    const id = `${'c'.repeat(66)}-e0001`;
    expect(() => experimentExecutionName(id, entered)).toThrow(
      expect.objectContaining({
        name: 'ExecutionNameError',
        message: expect.stringMatching(/has 81 characters/),
      }),
    );
    await expect(inMap(id, entered)).rejects.toThrow(/has 81 characters, Step Functions takes at most 80/);
    expect(experimentExecutionName(`${'c'.repeat(65)}-e0001`, entered)).toHaveLength(80);
  });

  it('fit for every campaign id the API takes (a 63-character slug) and every budget up to 100,000', () => {
    expect(checkExperimentExecutionNames('c'.repeat(63), 100_000)).toHaveLength(80);
    expect(() => checkExperimentExecutionNames('c'.repeat(64), 100_000)).toThrow(/81 characters/);
  });

  it("are told apart from another campaign's whose id starts the same", () => {
    const mine = experimentExecutionPattern('colour-1');
    expect(mine.test('colour-1-e0003-m5d4rurf')).toBe(true);
    expect(mine.test('colour-1-e0003')).toBe(false);
    expect(mine.test('colour-1-2-e0003-m5d4rurf')).toBe(false);
    expect(mine.test('colour-10-e0003-m5d4rurf')).toBe(false);
    expect(experimentIdOf('colour-1-e0003-m5d4rurf')).toBe('colour-1-e0003');
    expect(experimentIdOf('colour-1-e0003')).toBeUndefined();
  });
});
