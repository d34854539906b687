/**
 * Real experimental datasets (Olympus, in ../shared/datasets) as emulated experiments: a proposal is answered
 * with the measurement of the nearest recorded experiment (unit-cube distance; a different choice counts 1),
 * so a planner explores the real response surface and reaches zero regret when it finds the best recorded
 * experiment. Datasets with several objectives are left out (the suite's multi-objective case is BraninCurrin).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DesignSpace, ParameterValues, SumConstraint } from '../../contracts/index.ts';
import { createSpaceEncoding } from '../../planners/index.ts';

/** A recorded dataset turned into a problem to minimise (maximised measurements are negated). */
export interface DatasetProblem {
  name: string;
  space: DesignSpace;
  constraints: SumConstraint[];
  /** Lowest value of the (minimised) emulator: the best recorded experiment. */
  minimum: number;
  rows: number;
  evaluate(values: ParameterValues): number;
}

interface OlympusParameter {
  name: string;
  type: 'continuous' | 'categorical' | 'discrete';
  low?: number;
  high?: number;
  options?: string[];
}

interface OlympusConfig {
  constraints?: { parameters?: string };
  parameters: OlympusParameter[];
  measurements: Array<{ name: string }>;
  default_goal: string | string[];
}

/** Where the datasets live, relative to the repository root. */
export const DATASETS_DIR = new URL('../../../shared/datasets/olympus/', import.meta.url);

/** Loads every single-objective dataset; an empty list, and the reason, when the folder is absent. */
export function loadDatasets(): { problems: DatasetProblem[]; skipped: string[] } {
  const dir = DATASETS_DIR.pathname;
  if (!existsSync(dir)) return { problems: [], skipped: [`${dir} is absent: no dataset benchmarks`] };
  const problems: DatasetProblem[] = [];
  const skipped: string[] = [];
  for (const name of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    const folder = join(dir, name.name);
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as OlympusConfig;
    if (Array.isArray(config.default_goal) || config.measurements.length !== 1) {
      skipped.push(`${name.name}: ${config.measurements.length} objectives (single-objective suite)`);
      continue;
    }
    problems.push(datasetProblem(name.name, config, readFileSync(join(folder, 'data.csv'), 'utf8')));
  }
  return { problems, skipped };
}

function datasetProblem(name: string, config: OlympusConfig, csv: string): DatasetProblem {
  const space: DesignSpace = config.parameters.map((p) =>
    p.type === 'continuous'
      ? { name: p.name, type: 'continuous', low: p.low as number, high: p.high as number, scale: 'linear' }
      : { name: p.name, type: 'categorical', choices: p.options as string[] },
  );
  const sign = config.default_goal === 'maximize' ? -1 : 1;
  const rows = csv
    .trim()
    .split('\n')
    .map((line) => line.split(','));
  const width = space.length;
  const points = rows.map((cells) => {
    const values: ParameterValues = {};
    space.forEach((p, i) => {
      values[p.name] = p.type === 'categorical' ? (cells[i] as string) : Number(cells[i]);
    });
    return values;
  });
  const measured = rows.map((cells) => sign * Number(cells[width]));
  // A simplex dataset whose recorded points sum to one is searched on that simplex.
  const sums = points.map((v) => space.reduce((s, p) => s + (v[p.name] as number), 0));
  const onSimplex = config.constraints?.parameters === 'simplex' && sums.every((s) => Math.abs(s - 1) < 1e-3);
  const constraints: SumConstraint[] = onSimplex
    ? [{ type: 'sum', parameters: space.map((p) => p.name), equals: 1 }]
    : [];
  const encoding = createSpaceEncoding(space);
  const encoded = points.map((v) => encoding.encode(v));
  const categorical = space.map((p) => p.type === 'categorical');
  return {
    name,
    space,
    constraints,
    minimum: Math.min(...measured),
    rows: rows.length,
    evaluate(values) {
      const u = encoding.encode(values);
      let best = 0;
      let bestDistance = Number.POSITIVE_INFINITY;
      encoded.forEach((row, r) => {
        let d = 0;
        for (let i = 0; i < width; i++)
          d += categorical[i]
            ? Number((u[i] as number) !== (row[i] as number))
            : ((u[i] as number) - (row[i] as number)) ** 2;
        if (d < bestDistance) {
          bestDistance = d;
          best = r;
        }
      });
      return measured[best] as number;
    },
  };
}
