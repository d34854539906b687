import { z } from 'zod';
import { ContractError, parseWith } from '../contracts/index.ts';
import { BoPlanner, BoPlannerStateSchema } from './bo/bo-planner.ts';
import { PlannerStateError } from './errors.ts';
import { type Planner, type PlannerSpecInput, PlannerSpecSchema, type PlannerState } from './planner.ts';
import { RandomPlanner, RandomPlannerStateSchema } from './random-planner.ts';
import { SobolPlanner, SobolPlannerStateSchema } from './sobol-planner.ts';

const SavedStateSchema = z.discriminatedUnion('strategy', [
  RandomPlannerStateSchema,
  SobolPlannerStateSchema,
  BoPlannerStateSchema,
]);

/**
 * Creates a planner from the `space`, `objectives` and `planner` sections of a campaign file and a seed.
 * Throws a `ContractError` naming every bad field of the spec.
 *
 * @example
 * const planner = createPlanner({
 *   space: [{ name: 'T', type: 'continuous', low: 20, high: 80 }],
 *   objectives: [{ name: 'yield', goal: 'maximise' }],
 *   planner: { strategy: 'sobol' },
 *   seed: 7,
 * });
 */
export function createPlanner(spec: PlannerSpecInput): Planner {
  const parsed = parseWith(PlannerSpecSchema, spec, 'planner spec');
  switch (parsed.planner.strategy) {
    case 'random':
      return new RandomPlanner(parsed);
    case 'sobol':
      return new SobolPlanner(parsed);
    case 'bo':
      return new BoPlanner(parsed);
  }
}

/**
 * Rebuilds a planner from `planner.toJSON()` (possibly after a JSON round trip); it continues exactly where
 * the saved one was. Throws a `PlannerStateError` for a state that does not parse.
 */
export function restorePlanner(state: PlannerState): Planner {
  let saved: z.infer<typeof SavedStateSchema>;
  try {
    saved = parseWith(SavedStateSchema, state, 'saved planner state');
  } catch (error) {
    if (error instanceof ContractError) throw new PlannerStateError(error.message, { cause: error });
    throw error;
  }
  switch (saved.strategy) {
    case 'random':
      return new RandomPlanner(saved.spec, saved);
    case 'sobol':
      return new SobolPlanner(saved.spec, saved);
    case 'bo':
      return new BoPlanner(saved.spec, saved);
  }
}
