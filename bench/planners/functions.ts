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
const H_ALPHA = [1, 1.2, 3, 3.2];

/**
 * A Hartmann function on [0, 1]^d (d = the columns of `a`): −Σᵢ αᵢ exp(−Σⱼ aᵢⱼ (xⱼ − pᵢⱼ·10⁻⁴)²).
 */
function hartmann(name: string, a: number[][], p: number[][], minimum: number): TestFunction {
  const d = (a[0] as number[]).length;
  return {
    name,
    space: cube(d, 0, 1),
    minimum,
    evaluate(values) {
      const x = coordinates(values, d);
      let sum = 0;
      for (let i = 0; i < 4; i++) {
        let inner = 0;
        for (let j = 0; j < d; j++)
          inner += (a[i]?.[j] as number) * ((x[j] as number) - (p[i]?.[j] as number) * 1e-4) ** 2;
        sum += (H_ALPHA[i] as number) * Math.exp(-inner);
      }
      return -sum;
    },
  };
}

/** Hartmann-6 on [0, 1]^6: global minimum −3.32237. */
export const hartmann6 = hartmann('hartmann6', H6_A, H6_P, -3.322368011391339);

const H3_A = [
  [3, 10, 30],
  [0.1, 10, 35],
  [3, 10, 30],
  [0.1, 10, 35],
];
const H3_P = [
  [3689, 1170, 2673],
  [4699, 4387, 7470],
  [1091, 8732, 5547],
  [381, 5743, 8828],
];

/**
 * Hartmann-3 on [0, 1]^3: global minimum −3.86278 at (0.1146, 0.5556, 0.8525), a second basin near
 * (0.11, 0.87, 0.55) at about −3.08 and shallower ones.
 */
export const hartmann3 = hartmann('hartmann3', H3_A, H3_P, -3.86278214782076);

/**
 * Six-hump camel on [−3, 3] × [−2, 2]: six local minima, two of them global (−1.0316 at ±(0.0898, −0.7126)),
 * two at −0.2155 (regret 0.82) and two at 2.10.
 */
export const sixHumpCamel: TestFunction = {
  name: 'camel',
  space: [
    { name: 'x1', type: 'continuous', low: -3, high: 3, scale: 'linear' },
    { name: 'x2', type: 'continuous', low: -2, high: 2, scale: 'linear' },
  ],
  minimum: -1.0316284534898774,
  evaluate(values) {
    const x = values.x1 as number;
    const y = values.x2 as number;
    return (4 - 2.1 * x * x + x ** 4 / 3) * x * x + x * y + (-4 + 4 * y * y) * y * y;
  },
};

function cube(d: number, low: number, high: number): DesignSpace {
  return Array.from({ length: d }, (_, i) => ({
    name: `x${i + 1}`,
    type: 'continuous' as const,
    low,
    high,
    scale: 'linear' as const,
  }));
}

function coordinates(values: ParameterValues, d: number): number[] {
  return Array.from({ length: d }, (_, i) => values[`x${i + 1}`] as number);
}

/**
 * Ackley in `d` dimensions on [−5, 10]^d (the box of the TuRBO and BoTorch benchmarks, which puts the minimum
 * off-centre): global minimum 0 at the origin, surrounded by a regular field of local minima.
 */
export function ackley(d: number): TestFunction {
  return {
    name: `ackley${d}`,
    space: cube(d, -5, 10),
    minimum: 0,
    evaluate(values) {
      const x = coordinates(values, d);
      const squares = x.reduce((s, v) => s + v * v, 0) / d;
      const cosines = x.reduce((s, v) => s + Math.cos(2 * Math.PI * v), 0) / d;
      return -20 * Math.exp(-0.2 * Math.sqrt(squares)) - Math.exp(cosines) + 20 + Math.E;
    },
  };
}

/** Levy in `d` dimensions on [−10, 10]^d: global minimum 0 at (1, …, 1), many local minima. */
export function levy(d: number): TestFunction {
  return {
    name: `levy${d}`,
    space: cube(d, -10, 10),
    minimum: 0,
    evaluate(values) {
      const w = coordinates(values, d).map((v) => 1 + (v - 1) / 4);
      const first = w[0] as number;
      const last = w[d - 1] as number;
      let sum = Math.sin(Math.PI * first) ** 2;
      for (let i = 0; i < d - 1; i++) {
        const wi = w[i] as number;
        sum += (wi - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * wi + 1) ** 2);
      }
      return sum + (last - 1) ** 2 * (1 + Math.sin(2 * Math.PI * last) ** 2);
    },
  };
}

/** A test problem with several objectives, all minimised, and the reference point of its hypervolume. */
export interface MultiObjectiveFunction {
  name: string;
  space: DesignSpace;
  objectives: string[];
  reference: Record<string, number>;
  /** The largest hypervolume any set of points reaches. */
  maxHypervolume: number;
  evaluate(values: ParameterValues): Record<string, number>;
}

/**
 * BraninCurrin on [0, 1]² as in BoTorch (`botorch.test_functions.multi_objective.BraninCurrin`): Branin on the
 * rescaled square and the Currin exponential function, both minimised; reference point (18, 6), maximum
 * hypervolume 59.36011874867746.
 */
export const braninCurrin: MultiObjectiveFunction = {
  name: 'branincurrin',
  space: cube(2, 0, 1),
  objectives: ['branin', 'currin'],
  reference: { branin: 18, currin: 6 },
  maxHypervolume: 59.36011874867746,
  evaluate(values) {
    const [x1, x2] = coordinates(values, 2) as [number, number];
    const b = branin.evaluate({ x1: 15 * x1 - 5, x2: 15 * x2 });
    // Currin divides by x2; BoTorch's implementation has the same 0/0 limit handled by the exp factor → 0.
    const factor = x2 === 0 ? 1 : 1 - Math.exp(-1 / (2 * x2));
    const currin =
      (factor * (2300 * x1 ** 3 + 1900 * x1 ** 2 + 2092 * x1 + 60)) /
      (100 * x1 ** 3 + 500 * x1 ** 2 + 4 * x1 + 20);
    return { branin: b, currin };
  },
};
