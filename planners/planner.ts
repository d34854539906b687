import { z } from 'zod';
import {
  DesignSpaceSchema,
  ObjectiveSchema,
  type ObjectiveValues,
  type ParameterValues,
  PlannerConfigSchema,
} from '../contracts/index.ts';

/** What `createPlanner` takes: the design space, objectives and planner sections of a campaign file, plus a seed. */
export const PlannerSpecSchema = z.object({
  space: DesignSpaceSchema,
  objectives: z.array(ObjectiveSchema).min(1),
  planner: PlannerConfigSchema,
  seed: z.int().nonnegative().default(0),
});
export type PlannerSpec = z.infer<typeof PlannerSpecSchema>;
export type PlannerSpecInput = z.input<typeof PlannerSpecSchema>;

/** A point the planner wants measured. */
export interface Proposal {
  parameters: ParameterValues;
}

/** A measured point told back to the planner. */
export interface Observation {
  parameters: ParameterValues;
  values: ObjectiveValues;
}

/** A planner's whole state as plain JSON: `restorePlanner(planner.toJSON())` continues where it was. */
export interface PlannerState {
  spec: PlannerSpec;
  strategy: string;
  [key: string]: unknown;
}

/**
 * The ask/tell interface every strategy implements.
 *
 * @example
 * const planner = createPlanner({ space, objectives, planner: { strategy: 'sobol' }, seed: 7 });
 * const [first] = await planner.ask(1);
 * planner.tell([{ parameters: first.parameters, values: { yield: 0.42 } }]);
 */
export interface Planner {
  readonly strategy: string;
  /** Proposes `count` new points, taking into account points still being measured. */
  ask(count: number, pending?: readonly ParameterValues[]): Promise<Proposal[]>;
  /** Records measured points. */
  tell(observations: readonly Observation[]): void;
  toJSON(): PlannerState;
}
