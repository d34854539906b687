import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DesignSpace, pointError } from '../contracts/index.ts';
import { designSpaceArb } from './internal/test-spaces.ts';
import { createSpaceEncoding } from './space.ts';

const space: DesignSpace = [
  { name: 'T', type: 'continuous', low: 20, high: 80, scale: 'linear' },
  { name: 'conc', type: 'continuous', low: 0.001, high: 10, scale: 'log' },
  { name: 'n', type: 'integer', low: 1, high: 4 },
  { name: 'solvent', type: 'categorical', choices: ['water', 'ethanol', 'dmso'] },
];

describe('createSpaceEncoding', () => {
  it('maps the unit cube linearly, logarithmically and into equal-width bins', () => {
    const enc = createSpaceEncoding(space);
    expect(enc.dimension).toBe(4);
    expect(enc.decode([0.5, 0.5, 0.5, 0.5])).toEqual({
      T: 50,
      conc: expect.closeTo(0.1, 12),
      n: 3,
      solvent: 'ethanol',
    });
    expect(enc.decode([0, 0, 0, 0])).toEqual({ T: 20, conc: 0.001, n: 1, solvent: 'water' });
    expect(enc.decode([1, 1, 1, 1])).toEqual({ T: 80, conc: 10, n: 4, solvent: 'dmso' });
    expect(enc.decode([0.2499, 0.3, 0.2501, 0.3334])).toMatchObject({ n: 2, solvent: 'ethanol' });
    expect(enc.decode([-3, 7, -1, 2])).toEqual({ T: 20, conc: 10, n: 1, solvent: 'dmso' });
  });

  it('gives every integer value and choice an equal share of the cube', () => {
    const enc = createSpaceEncoding(space);
    const counts = new Map<string, number>();
    for (let i = 0; i < 1200; i++) {
      const v = enc.decode([0, 0, (i + 0.5) / 1200, (i + 0.5) / 1200]);
      counts.set(`n${v.n}`, (counts.get(`n${v.n}`) ?? 0) + 1);
      counts.set(String(v.solvent), (counts.get(String(v.solvent)) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({
      n1: 300,
      n2: 300,
      n3: 300,
      n4: 300,
      water: 400,
      ethanol: 400,
      dmso: 400,
    });
  });

  it('encodes points to bin centres and decodes them back unchanged', () => {
    const enc = createSpaceEncoding(space);
    const point = { T: 35, conc: 0.5, n: 2, solvent: 'dmso' };
    const unit = enc.encode(point);
    expect([...unit]).toEqual([0.25, expect.closeTo(0.6747, 3), 0.375, 5 / 6]);
    expect(enc.decode(unit)).toEqual({ ...point, conc: expect.closeTo(0.5, 12) });
  });

  it('never leaves a mixed design space, whatever the unit point (fast-check)', () => {
    fc.assert(
      fc.property(
        designSpaceArb,
        fc.array(fc.double({ min: -0.5, max: 1.5, noNaN: true }), { minLength: 8, maxLength: 8 }),
        (s, u) => {
          const enc = createSpaceEncoding(s);
          const values = enc.decode(u);
          expect(pointError(s, values)).toBeUndefined();
          // A decoded point re-encodes into the same bins and range.
          expect(enc.decode(enc.encode(values))).toEqual(
            Object.fromEntries(
              s.map((p) => [
                p.name,
                p.type === 'continuous' ? expect.closeTo(values[p.name] as number, 6) : values[p.name],
              ]),
            ),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
