import { BoPlanner } from './bo/bo-planner.ts';
import { PlannerStateError, UnsupportedSpecError } from './errors.ts';
import type { Planner, PlannerSpec } from './planner.ts';
import { RandomPlanner } from './random-planner.ts';
import { SobolPlanner } from './sobol-planner.ts';
import type { LocalState } from './state.ts';

/**
 * A `random`, `sobol` or `bo` planner for a spec that was already validated, new or continuing from `saved`
 * (a `toJSON()` without its spec, parsed by `LocalStateSchema`). No Zod here: `createPlanner` and
 * `restorePlanner` validate and come here, and so does the plan-next Lambda, whose bundle must stay small
 * (ADR 0006). Remote routes are `createPlanner`'s.
 */
export function localPlanner(spec: PlannerSpec, saved?: LocalState): Planner {
  if (spec.planner.remote !== undefined)
    throw new UnsupportedSpecError('a spec with planner.remote needs createPlanner (planners/index.ts)');
  if (saved && saved.strategy !== spec.planner.strategy)
    throw new PlannerStateError(
      `saved state is of a ${saved.strategy} planner, but the spec asks for ${spec.planner.strategy}`,
    );
  // The check above makes each `saved` below either the strategy's own state or undefined.
  switch (spec.planner.strategy) {
    case 'random':
      return new RandomPlanner(spec, saved?.strategy === 'random' ? saved : undefined);
    case 'sobol':
      return new SobolPlanner(spec, saved?.strategy === 'sobol' ? saved : undefined);
    case 'bo':
      return new BoPlanner(spec, saved?.strategy === 'bo' ? saved : undefined);
  }
}
