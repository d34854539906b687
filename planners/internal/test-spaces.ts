import fc from 'fast-check';
import type { DesignSpace, Parameter } from '../../contracts/index.ts';

/** Arbitrary mixed design spaces (continuous linear/log, integer, categorical) with unique names, for tests. */
export const designSpaceArb: fc.Arbitrary<DesignSpace> = fc
  .array(
    fc.oneof(
      fc
        .tuple(
          fc.double({ min: -1e6, max: 1e6, noNaN: true }),
          fc.double({ min: 1e-9, max: 1e6, noNaN: true }),
        )
        .map(
          ([low, width]): Parameter => ({
            name: 'p',
            type: 'continuous',
            low,
            high: low + width,
            scale: 'linear',
          }),
        ),
      fc
        .tuple(
          fc.double({ min: 1e-6, max: 1e3, noNaN: true }),
          fc.double({ min: 1.001, max: 1e6, noNaN: true }),
        )
        .map(
          ([low, ratio]): Parameter => ({
            name: 'p',
            type: 'continuous',
            low,
            high: low * ratio,
            scale: 'log',
          }),
        ),
      fc
        .tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 50 }))
        .map(([low, width]): Parameter => ({ name: 'p', type: 'integer', low, high: low + width })),
      fc.integer({ min: 2, max: 6 }).map(
        (k): Parameter => ({
          name: 'p',
          type: 'categorical',
          choices: Array.from({ length: k }, (_, i) => `c${i}`),
        }),
      ),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((params) => params.map((p, i) => ({ ...p, name: `x${i}` })));
