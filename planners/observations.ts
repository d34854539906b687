import { pointError } from '../contracts/design-point.ts';
import type { DesignSpace, Objective, OutcomeConstraint, ParameterValues } from '../contracts/index.ts';
import { outcomeConstraints } from './constraints.ts';
import { InvalidObservationError, InvalidRequestError } from './errors.ts';
import type { Observation, PlannerSpec } from './planner.ts';

/** The most points one `ask` may request; a guard against a runaway loop, far above any plate's batch. */
export const MAX_ASK = 10_000;

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}

/**
 * Checks observations before a planner records them, and returns copies it may keep. A value is checked
 * before any schema so `NaN` and `Infinity` are named as such (JSON would turn them into `null`).
 */
export function checkObservations(
  space: DesignSpace,
  objectives: readonly Objective[],
  observations: readonly Observation[],
  outcomes: readonly OutcomeConstraint[] = [],
): Observation[] {
  if (!Array.isArray(observations))
    throw new InvalidObservationError(
      0,
      `tell takes an array of observations, got ${describe(observations)}`,
    );
  return observations.map((o, i) => {
    if (o === null || typeof o !== 'object' || typeof o.parameters !== 'object' || o.parameters === null)
      throw new InvalidObservationError(i, `expected { parameters, values }, got ${describe(o)}`);
    const outside = pointError(space, o.parameters);
    if (outside !== undefined)
      throw new InvalidObservationError(i, `point is outside the design space: ${outside}`);
    const values: Record<string, number> = {};
    const measured = [
      ...objectives.map((ob) => ({ name: ob.name, what: 'objective' })),
      ...outcomes.map((c) => ({ name: c.name, what: 'constrained outcome' })),
    ];
    for (const { name, what } of measured) {
      const v = o.values?.[name];
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new InvalidObservationError(
          i,
          `${what} ${name} must be a finite number, got ${v === undefined ? 'nothing' : describe(v)}`,
        );
      values[name] = v;
    }
    return { parameters: { ...o.parameters }, values };
  });
}

/** {@link checkObservations} against a planner spec's space, objectives and outcome constraints. */
export function checkTold(spec: PlannerSpec, observations: readonly Observation[]): Observation[] {
  return checkObservations(spec.space, spec.objectives, observations, outcomeConstraints(spec.constraints));
}

/** Checks `ask`'s arguments. */
export function checkAsk(space: DesignSpace, count: number, pending: readonly ParameterValues[]): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_ASK)
    throw new InvalidRequestError(`ask count must be an integer 1–${MAX_ASK}, got ${describe(count)}`);
  pending.forEach((p, i) => {
    const outside = pointError(space, p);
    if (outside !== undefined)
      throw new InvalidRequestError(`pending point ${i} is outside the design space: ${outside}`);
  });
}
