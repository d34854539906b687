import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWith } from '../contracts/index.ts';
import { ObservationSchema } from './planner.ts';
import { SavedObservationSchema } from './state.ts';

const outcome = (f: () => unknown) => {
  try {
    return { ok: f() };
  } catch (error) {
    return { error: (error as Error).message };
  }
};

describe('SavedObservationSchema', () => {
  it('accepts, rejects and explains as ObservationSchema does (its zod/mini restatement)', () => {
    const value = fc.oneof(fc.double(), fc.string(), fc.boolean(), fc.constant(null), fc.integer());
    const record = fc.oneof(fc.dictionary(fc.string(), value), value, fc.array(value));
    fc.assert(
      fc.property(fc.oneof(fc.record({ parameters: record, values: record }), record), (input) => {
        expect(outcome(() => parseWith(SavedObservationSchema, input, 'observation'))).toEqual(
          outcome(() => parseWith(ObservationSchema, input, 'observation')),
        );
      }),
      { numRuns: 500 },
    );
  });
});
