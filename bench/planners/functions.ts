import type { DesignSpace, ParameterValues } from '../../contracts/index.ts';

/** A test function to minimise, with its design space and known minimum. */
export interface TestFunction {
  name: string;
  space: DesignSpace;
  minimum: number;
  evaluate(values: ParameterValues): number;
}

/** Branin–Hoo on [−5, 10] × [0, 15]: three global minima of 0.397887. */
export const branin: TestFunction = {
  name: 'branin',
  space: [
    { name: 'x1', type: 'continuous', low: -5, high: 10, scale: 'linear' },
    { name: 'x2', type: 'continuous', low: 0, high: 15, scale: 'linear' },
  ],
  minimum: 0.39788735772973816,
  evaluate(values) {
    const x1 = values.x1 as number;
    const x2 = values.x2 as number;
    const b = 5.1 / (4 * Math.PI ** 2);
    const c = 5 / Math.PI;
    const t = 1 / (8 * Math.PI);
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
  },
};

const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];
const H6_ALPHA = [1, 1.2, 3, 3.2];

/** Hartmann-6 on [0, 1]^6: global minimum −3.32237. */
export const hartmann6: TestFunction = {
  name: 'hartmann6',
  space: Array.from({ length: 6 }, (_, i) => ({
    name: `x${i + 1}`,
    type: 'continuous' as const,
    low: 0,
    high: 1,
    scale: 'linear' as const,
  })),
  minimum: -3.322368011391339,
  evaluate(values) {
    let sum = 0;
    for (let i = 0; i < 4; i++) {
      let inner = 0;
      for (let j = 0; j < 6; j++) {
        const x = values[`x${j + 1}`] as number;
        inner += (H6_A[i]?.[j] as number) * (x - (H6_P[i]?.[j] as number) * 1e-4) ** 2;
      }
      sum += (H6_ALPHA[i] as number) * Math.exp(-inner);
    }
    return -sum;
  },
};
