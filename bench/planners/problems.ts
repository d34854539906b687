/**
 * The benchmark problems of `npm run bench:planners`, each with its budget, batch size, checkpoints and the
 * published anchor it is compared with.
 */
import type { Constraint, DesignSpace, ParameterValues } from '../../contracts/index.ts';
import { loadDatasets } from './datasets.ts';
import { ackley, branin, braninCurrin, hartmann3, hartmann6, levy, sixHumpCamel } from './functions.ts';

/** One benchmark problem: minimise one objective (simple regret) or grow a hypervolume (two objectives). */
export interface Problem {
  name: string;
  space: DesignSpace;
  constraints: Constraint[];
  /** Objective names; several means a hypervolume problem. */
  objectives: string[];
  evaluate(values: ParameterValues): Record<string, number>;
  metric: 'regret' | 'hypervolume';
  /** Known minimum (regret problems). */
  minimum?: number;
  /** Reference point and best reachable value (hypervolume problems). */
  reference?: Record<string, number>;
  maxHypervolume?: number;
  budget: number;
  batch: number;
  checkpoints: number[];
  /** Regret threshold whose first crossing is reported (evaluations to regret ≤ threshold). */
  threshold?: number;
  /** The target and its published anchor, printed beside the result. */
  target?: string;
  /** Part of the quick run (otherwise full only). */
  quick: boolean;
}

function single(
  fn: { name: string; space: DesignSpace; minimum: number; evaluate(v: ParameterValues): number },
  rest: Omit<Problem, 'name' | 'space' | 'objectives' | 'evaluate' | 'metric' | 'minimum' | 'constraints'>,
): Problem {
  return {
    name: fn.name,
    space: fn.space,
    constraints: [],
    objectives: ['f'],
    evaluate: (v) => ({ f: fn.evaluate(v) }),
    metric: 'regret',
    minimum: fn.minimum,
    ...rest,
  };
}

/** Every problem of the suite, and the datasets that were skipped with the reason. */
export function problems(): { list: Problem[]; skipped: string[] } {
  const list: Problem[] = [
    single(branin, {
      budget: 40,
      batch: 1,
      checkpoints: [10, 20, 25, 30, 40],
      threshold: 1e-3,
      target: 'median evaluations to regret ≤ 1e-3 ≤ 25 (scikit-optimize: 33)',
      quick: true,
    }),
    // Low-dimensional multimodal checks: a rule that refines the incumbent must not leave these in a local optimum.
    single(hartmann3, { budget: 40, batch: 1, checkpoints: [10, 20, 30, 40], threshold: 1e-3, quick: true }),
    single(sixHumpCamel, {
      budget: 40,
      batch: 1,
      checkpoints: [10, 20, 30, 40],
      threshold: 1e-3,
      quick: true,
    }),
    single(hartmann6, {
      budget: 100,
      batch: 1,
      checkpoints: [25, 50, 75, 100],
      threshold: 0.02,
      target: 'median regret at 100 ≤ 0.02 (scikit-optimize: 0.023 after 200)',
      quick: true,
    }),
    single(levy(5), { budget: 80, batch: 1, checkpoints: [20, 40, 60, 80], quick: true }),
    single(ackley(10), { budget: 120, batch: 1, checkpoints: [30, 60, 90, 120], quick: false }),
    single(ackley(20), {
      budget: 464,
      batch: 4,
      checkpoints: [100, 200, 300, 464],
      target: 'median best at 464 ≤ 3.2 (BoTorch qLogEI 3.17, TuRBO 0.99)',
      quick: false,
    }),
    {
      name: braninCurrin.name,
      space: braninCurrin.space,
      constraints: [],
      objectives: braninCurrin.objectives,
      evaluate: (v) => braninCurrin.evaluate(v),
      metric: 'hypervolume',
      reference: braninCurrin.reference,
      maxHypervolume: braninCurrin.maxHypervolume,
      budget: 86,
      batch: 4,
      checkpoints: [22, 46, 66, 86],
      target: `hypervolume at 86 ≥ 56 of ${braninCurrin.maxHypervolume.toFixed(2)} (BoTorch qEHVI 56.0, qNEHVI 57.8)`,
      quick: true,
    },
  ];
  const { problems: datasets, skipped } = loadDatasets();
  for (const d of datasets)
    list.push({
      name: `data:${d.name}`,
      space: d.space,
      constraints: d.constraints,
      objectives: ['f'],
      evaluate: (v) => ({ f: d.evaluate(v) }),
      metric: 'regret',
      minimum: d.minimum,
      budget: 40,
      batch: 1,
      checkpoints: [10, 20, 30, 40],
      quick: true,
    });
  return { list, skipped };
}
