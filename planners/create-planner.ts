import { z } from 'zod';
import { ContractError, parseWith } from '../contracts/index.ts';
import { BoPlanner, BoPlannerStateSchema } from './bo/bo-planner.ts';
import { PlannerStateError } from './errors.ts';
import { type Planner, type PlannerSpecInput, PlannerSpecSchema, type PlannerState } from './planner.ts';
import { RandomPlanner, RandomPlannerStateSchema } from './random-planner.ts';
import {
  createRemotePlanner,
  localSpecOf,
  type RemoteDeps,
  RemotePlannerStateSchema,
} from './remote/index.ts';
import { SobolPlanner, SobolPlannerStateSchema } from './sobol-planner.ts';

const SavedStateSchema = z.discriminatedUnion('strategy', [
  RandomPlannerStateSchema,
  SobolPlannerStateSchema,
  BoPlannerStateSchema,
  RemotePlannerStateSchema,
]);

/**
 * Creates a planner from the `space`, `objectives` and `planner` sections of a campaign file and a seed.
 * Throws a `ContractError` naming every bad field of the spec. A spec with `planner.remote` gives a planner that
 * sends some asks to remote endpoints (`deps` injects their transports; see docs/planners-remote.md).
 *
 * @example
 * const planner = createPlanner({
 *   space: [{ name: 'T', type: 'continuous', low: 20, high: 80 }],
 *   objectives: [{ name: 'yield', goal: 'maximise' }],
 *   planner: { strategy: 'sobol' },
 *   seed: 7,
 * });
 */
export function createPlanner(spec: PlannerSpecInput, deps?: RemoteDeps): Planner {
  const parsed = parseWith(PlannerSpecSchema, spec, 'planner spec');
  if (parsed.planner.remote !== undefined)
    return createRemotePlanner(parsed, createPlanner(localSpecOf(parsed)), deps);
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
export function restorePlanner(state: PlannerState, deps?: RemoteDeps): Planner {
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
    case 'remote':
      return createRemotePlanner(saved.spec, restorePlanner(saved.local as PlannerState), deps, saved);
  }
}
