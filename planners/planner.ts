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
import { constraintIssues } from './constraints.ts';

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
    const objectives = spec.objectives.map((o) => o.name);
    for (const issue of constraintIssues(spec.space, spec.constraints, objectives))
      ctx.addIssue({ code: 'custom', message: issue.message, path: ['constraints', ...issue.path] });
    const outcome = spec.constraints.findIndex((c) => c.type === 'outcome');
    if (outcome >= 0 && spec.planner.strategy === 'bo' && spec.planner.acquisition === 'ucb')
      ctx.addIssue({
        code: 'custom',
        message: 'outcome constraints need the logei acquisition (constrained expected improvement), got ucb',
        path: ['planner', 'acquisition'],
      });
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

/** The saved state every planner shares: its spec and what it was told. Each strategy extends it. */
export const PlannerStateBaseSchema = z.object({
  spec: PlannerSpecSchema,
  observations: z.array(ObservationSchema),
});

/** The state of a seeded random stream (`Rng.state()`), saved so a restored planner draws the same numbers. */
export const RngStateSchema = z.tuple([z.int(), z.int(), z.int(), z.int()]);

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
