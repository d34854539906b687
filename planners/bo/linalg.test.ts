import { describe, expect, it } from 'vitest';
import { createRng } from '../../contracts/index.ts';
import { ModelFitError } from '../errors.ts';
import { choleskyInverse, choleskySolve, choleskyWithJitter } from './linalg.ts';

function randomSpd(n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const b = Float64Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += (b[i * n + k] as number) * (b[j * n + k] as number);
      a[i * n + j] = s;
    }
  return a;
}

describe('linalg', () => {
  it('factors, solves and inverts a symmetric positive definite matrix', () => {
    const n = 12;
    const a = randomSpd(n, 1);
    const { factor, jitter } = choleskyWithJitter(a, n);
    expect(jitter).toBe(0);
    const b = Float64Array.from({ length: n }, (_, i) => i - 3);
    const x = choleskySolve(factor, n, b);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += (a[i * n + k] as number) * (x[k] as number);
      expect(s).toBeCloseTo(b[i] as number, 9);
    }
    const inv = choleskyInverse(factor, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += (a[i * n + k] as number) * (inv[k * n + j] as number);
        expect(s).toBeCloseTo(i === j ? 1 : 0, 10);
      }
  });

  it('adds the smallest jitter that makes a singular matrix factorable', () => {
    // Two identical rows: the all-ones 3×3 matrix has rank 1.
    const a = new Float64Array(9).fill(1);
    const { jitter } = choleskyWithJitter(a, 3);
    expect(jitter).toBeGreaterThan(0);
    expect(jitter).toBeLessThanOrEqual(1e-4);
  });

  it('fails with ModelFitError, saying what it got, when jitter cannot help', () => {
    const a = Float64Array.from([1, 2, 2, 1]);
    expect(() => choleskyWithJitter(a, 2)).toThrow(ModelFitError);
    expect(() => choleskyWithJitter(Float64Array.from([Number.NaN]), 1)).toThrow(/1×1, mean diagonal NaN/);
  });
});
