import { ContractError, parseWith } from '../contracts/index.ts';
import { PlannerStateError } from './errors.ts';
import { localPlanner } from './local-planners.ts';
import { type Planner, type PlannerSpecInput, PlannerSpecSchema, type PlannerState } from './planner.ts';
import {
  createRemotePlanner,
  localSpecOf,
  type RemoteDeps,
  RemotePlannerStateSchema,
} from './remote/index.ts';
import { LocalStateSchema } from './state.ts';

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
  return localPlanner(parsed);
}

/**
 * Rebuilds a planner from `planner.toJSON()` (possibly after a JSON round trip); it continues exactly where
 * the saved one was. Throws a `PlannerStateError` for a state that does not parse.
 */
export function restorePlanner(state: PlannerState, deps?: RemoteDeps): Planner {
  const subject = 'saved planner state';
  try {
    if (state?.strategy === 'remote') {
      const saved = parseWith(RemotePlannerStateSchema, state, subject);
      return createRemotePlanner(saved.spec, restorePlanner(saved.local as PlannerState), deps, saved);
    }
    const spec = parseWith(PlannerSpecSchema, state?.spec, `${subject}: spec`);
    return localPlanner(spec, parseWith(LocalStateSchema, state, subject));
  } catch (error) {
    if (error instanceof ContractError) throw new PlannerStateError(error.message, { cause: error });
    throw error;
  }
}
