import type { Objective } from '../contracts/index.ts';
import { InvalidRequestError } from './errors.ts';
import type { Observation } from './planner.ts';

/** Objective values oriented so that larger is better for every objective. */
function oriented(o: Observation, objectives: readonly Objective[]): number[] {
  return objectives.map((ob) => (ob.goal === 'minimise' ? -1 : 1) * (o.values[ob.name] as number));
}

function dominates(a: readonly number[], b: readonly number[]): boolean {
  let strictly = false;
  for (let i = 0; i < a.length; i++) {
    if ((a[i] as number) < (b[i] as number)) return false;
    if ((a[i] as number) > (b[i] as number)) strictly = true;
  }
  return strictly;
}

/**
 * The observations no other observation dominates (at least as good in every objective, better in one), in
 * their original order: the trade-offs a multi-objective campaign has found.
 *
 * @example
 * paretoFront(planner.observations, spec.objectives)
 */
export function paretoFront(
  observations: readonly Observation[],
  objectives: readonly Objective[],
): Observation[] {
  const points = observations.map((o) => oriented(o, objectives));
  return observations.filter(
    (_, i) => !points.some((p, j) => j !== i && dominates(p, points[i] as number[])),
  );
}

/** Volume of the union of boxes [0, p] (all coordinates positive), by slicing along the last axis. */
function unionVolume(points: number[][]): number {
  if (points.length === 0) return 0;
  const m = (points[0] as number[]).length;
  if (m === 1) return Math.max(...points.map((p) => p[0] as number));
  const sorted = [...points].sort((a, b) => (b[m - 1] as number) - (a[m - 1] as number));
  let volume = 0;
  for (let k = 0; k < sorted.length; k++) {
    const top = sorted[k]?.[m - 1] as number;
    const below = k + 1 < sorted.length ? (sorted[k + 1]?.[m - 1] as number) : 0;
    if (top > below)
      volume += (top - below) * unionVolume(sorted.slice(0, k + 1).map((p) => p.slice(0, m - 1)));
  }
  return volume;
}

/**
 * The hypervolume the observations dominate above `reference` (a point worse than any of interest, one value
 * per objective, in the objectives' units): the standard single number for the progress of a multi-objective
 * campaign, which grows whenever the Pareto front improves. Exact; fine for fronts of a few hundred points in
 * 2–3 objectives.
 *
 * @example
 * hypervolume(observations, [{ name: 'yield', goal: 'maximise' }, { name: 'cost', goal: 'minimise' }], { yield: 0, cost: 100 })
 */
export function hypervolume(
  observations: readonly Observation[],
  objectives: readonly Objective[],
  reference: Readonly<Record<string, number>>,
): number {
  const ref = objectives.map((ob) => {
    const r = reference[ob.name];
    if (typeof r !== 'number' || !Number.isFinite(r))
      throw new InvalidRequestError(
        `hypervolume reference needs a finite value for ${ob.name}, got ${String(r)}`,
      );
    return (ob.goal === 'minimise' ? -1 : 1) * r;
  });
  const shifted = paretoFront(observations, objectives)
    .map((o) => oriented(o, objectives).map((v, i) => v - (ref[i] as number)))
    .filter((p) => p.every((v) => v > 0));
  return unionVolume(shifted);
}
