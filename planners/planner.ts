import { z } from 'zod';
import {
  ConstraintSchema,
  DesignSpaceSchema,
  ObjectiveSchema,
  ObjectiveValuesSchema,
  type ParameterValues,
  ParameterValuesSchema,
  PlannerConfigSchema,
} from '../contracts/index.ts';
import { specIssues } from './constraints.ts';

/**
 * What `createPlanner` takes: the design space, objectives, constraints and planner sections of a campaign
 * file, plus a seed. `constraints` lists sums of parameters (mixtures) and bounds on measured outcomes.
 */
export const PlannerSpecSchema = z
  .object({
    space: DesignSpaceSchema,
    objectives: z.array(ObjectiveSchema).min(1),
    constraints: z.array(ConstraintSchema).default([]),
    planner: PlannerConfigSchema,
    seed: z.int().nonnegative().default(0),
  })
  .superRefine((spec, ctx) => {
    for (const issue of specIssues(spec)) ctx.addIssue({ code: 'custom', ...issue });
  });
export type PlannerSpec = z.infer<typeof PlannerSpecSchema>;
export type PlannerSpecInput = z.input<typeof PlannerSpecSchema>;

/** A point the planner wants measured. */
export const ProposalSchema = z.object({ parameters: ParameterValuesSchema });
export type Proposal = z.infer<typeof ProposalSchema>;

/** A measured point told back to the planner: every objective's value, finite. */
export const ObservationSchema = z.object({
  parameters: ParameterValuesSchema,
  values: ObjectiveValuesSchema,
});
export type Observation = z.infer<typeof ObservationSchema>;

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
  /**
   * Proposes `count` new points, taking into account points still being measured (`pending`): a model-based
   * strategy avoids proposing them again. Every proposal is a point of the design space.
   */
  ask(count: number, pending?: readonly ParameterValues[]): Promise<Proposal[]>;
  /** Records measured points; throws `InvalidObservationError` for a point outside the space or a non-finite value. */
  tell(observations: readonly Observation[]): void;
  /** Every observation told so far, in order. */
  readonly observations: readonly Observation[];
  toJSON(): PlannerState;
}
