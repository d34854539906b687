import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DesignSpace, pointError } from '../../contracts/index.ts';
import { designSpaceArb } from '../internal/test-spaces.ts';
import { createSpaceEncoding } from '../space.ts';
import { pointKey, screenProposals } from './screen.ts';

const space: DesignSpace = [
  { name: 'T', type: 'continuous', low: 20, high: 80, scale: 'linear', unit: '°C' },
  { name: 'n', type: 'integer', low: 1, high: 4 },
  { name: 'solvent', type: 'categorical', choices: ['water', 'ethanol'] },
];
const observed = { parameters: { T: 30, n: 2, solvent: 'water' } };

describe('screenProposals', () => {
  it('rejects each bad proposal with its reason and keeps the good ones in order', () => {
    const result = screenProposals(
      space,
      [
        { T: 95, n: 2, solvent: 'water' },
        { T: 30, n: 2, solvent: 'water' },
        { T: 50, n: 2.5, solvent: 'water' },
        { T: '50', n: 2, solvent: 'water' },
        { T: 50, n: 2, solvent: 'acetone' },
        { T: 50, n: 2, solvent: 'water', pressure: 3 },
        { T: 50, n: 3 },
        'T=50',
        { T: 60, n: 1, solvent: 'ethanol' },
        { T: 60, n: 1, solvent: 'ethanol' },
        { T: 40, n: 4, solvent: 'water' },
        { T: 70, n: 4, solvent: 'water' },
        { T: 45, n: 3, solvent: 'ethanol' },
      ],
      { observations: [observed], pending: [{ T: 40, n: 4, solvent: 'water' }], count: 2 },
    );
    expect(result.accepted).toEqual([
      { index: 8, parameters: { T: 60, n: 1, solvent: 'ethanol' } },
      { index: 11, parameters: { T: 70, n: 4, solvent: 'water' } },
    ]);
    expect(result.rejected.map((r) => r.reason)).toEqual([
      'proposal 0: outside the design space: T must be 20–80 °C, got 95',
      'proposal 1: duplicates observation 0',
      'proposal 2: outside the design space: n must be an integer, got 2.5',
      'proposal 3: outside the design space: T must be a number, got "50"',
      'proposal 4: outside the design space: solvent must be one of water, ethanol, got "acetone"',
      'proposal 5: outside the design space: pressure is not a parameter of the design space',
      'proposal 6: outside the design space: solvent is missing',
      'proposal 7: expected an object of parameter values, got "T=50"',
      'proposal 9: duplicates proposal 8',
      'proposal 10: duplicates pending point 0',
      'proposal 12: beyond the 2 proposals asked for',
    ]);
  });

  it('applies the extra check', () => {
    const result = screenProposals(space, [{ T: 75, n: 1, solvent: 'ethanol' }], {
      observations: [],
      pending: [],
      count: 1,
      check: (p) => ((p.T as number) > 70 ? 'ethanol above 70 °C is outside the oven envelope' : undefined),
    });
    expect(result.accepted).toEqual([]);
    expect(result.rejected[0]?.reason).toContain('refused by the check: ethanol above 70 °C');
  });

  it('never lets through a point outside the space, a repeat, or more than asked, whatever the endpoint says', () => {
    const caseArb = designSpaceArb.chain((s) => {
      const encoding = createSpaceEncoding(s);
      // A few valid points, so candidates repeat each other; some get a value pushed out of range.
      const pool = [0.1, 0.4, 0.7, 0.95].map((u) => encoding.decode(s.map(() => u)));
      const candidate = fc.oneof(
        fc.anything(),
        fc.constantFrom(...pool),
        fc.constantFrom(...pool).map((p) => {
          const first = s[0];
          return first === undefined || first.type === 'categorical'
            ? { ...p, extra: 1 }
            : { ...p, [first.name]: (p[first.name] as number) * 1e9 + 1e9 };
        }),
      );
      return fc.tuple(fc.constant(s), fc.array(candidate, { maxLength: 12 }), fc.integer({ min: 1, max: 5 }));
    });
    let acceptedSome = false;
    fc.assert(
      fc.property(caseArb, ([s, candidates, count]) => {
        const result = screenProposals(s, candidates, { observations: [], pending: [], count });
        expect(result.accepted.length + result.rejected.length).toBe(candidates.length);
        expect(result.accepted.length).toBeLessThanOrEqual(count);
        for (const a of result.accepted) expect(pointError(s, a.parameters)).toBeUndefined();
        const keys = result.accepted.map((a) => pointKey(s, a.parameters));
        expect(new Set(keys).size).toBe(keys.length);
        acceptedSome ||= result.accepted.length > 0;
      }),
      { numRuns: 200 },
    );
    expect(acceptedSome).toBe(true);
  });
});
