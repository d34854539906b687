import { z } from 'zod';
import { DesignSpaceSchema, IdentifierSchema, ObjectiveSchema } from './design-space.ts';
import { SlugSchema } from './device.ts';

/**
 * How a planner proposes experiments. `batch` proposals are run in parallel. `bo` is Bayesian optimisation
 * (a GP surrogate and an acquisition function), after `initial` Sobol points.
 */
export const PlannerConfigSchema = z.object({
  strategy: z.enum(['random', 'sobol', 'bo']),
  batch: z.int().min(1).max(96).default(1),
  /** `bo`: Sobol points proposed before the model takes over; 2·(parameters + 1) when absent. */
  initial: z.int().min(1).max(10_000).optional(),
  /** `bo`: `logei` (expected improvement, in log space) or `ucb` (upper confidence bound); `logei` when absent. */
  acquisition: z.enum(['logei', 'ucb']).optional(),
  /** `bo` with `ucb`: exploration weight β in μ + √β·σ, on standardised outcomes; 4 when absent. */
  beta: z.number().positive().max(1000).optional(),
});
export type PlannerConfig = z.infer<typeof PlannerConfigSchema>;

/**
 * One device step of the protocol. `input` is a JSONata expression that builds the command's parameters
 * from `{ proposal, experiment, steps }` (see docs/campaign-files.md).
 */
export const ProtocolStepSchema = z.object({
  name: IdentifierSchema,
  /** The device kind that runs the step; any online device of that kind may take it. */
  device: SlugSchema,
  command: z.string().min(1),
  input: z.string().min(1).default('{}'),
  /** s; the step fails with `StepTimeout` when no result arrives in time. */
  timeout: z
    .number()
    .positive()
    .max(7 * 24 * 3600),
  retry: z
    .object({
      /** Tries in all, the first included. */
      attempts: z.int().min(1).max(10).default(1),
      /** s between tries. */
      backoff: z.number().nonnegative().default(0),
    })
    .prefault({}),
});
export type ProtocolStep = z.infer<typeof ProtocolStepSchema>;

/** A simulated fault, injected by a simulator's fault plan. */
export const FaultPlanEntrySchema = z.object({
  command: z.string().optional(),
  /** Fails every n-th command the device executes (1-based count of executions). */
  every: z.int().min(1).optional(),
  /** Fails each execution with this probability (seeded). */
  probability: z.number().min(0).max(1).optional(),
  code: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'must be a PascalCase error name'),
  message: z.string().default('simulated fault'),
  retryable: z.boolean().default(true),
});
export type FaultPlanEntry = z.infer<typeof FaultPlanEntrySchema>;

/** Simulated instruments the local runtime starts for the campaign. */
export const SimulatorConfigSchema = z.object({
  kind: SlugSchema,
  count: z.int().min(1).max(32).default(1),
  /** Relative standard deviation of measurement noise; the simulator's own default when absent. */
  noise: z.number().min(0).max(1).optional(),
  faults: z.array(FaultPlanEntrySchema).default([]),
  /** Multiplies every simulated duration; 0 makes steps take no simulated time. */
  durationScale: z.number().min(0).default(1),
});
export type SimulatorConfig = z.infer<typeof SimulatorConfigSchema>;

/** A campaign file: what to search, what to optimise, how to run one experiment, when to stop. */
export const CampaignSchema = z
  .object({
    name: SlugSchema,
    lab: SlugSchema.default('local-lab'),
    description: z.string().optional(),
    space: DesignSpaceSchema,
    objectives: z.array(ObjectiveSchema).length(1, 'exactly one objective is supported by the local runtime'),
    budget: z.object({
      experiments: z.int().min(1).max(100_000),
      /** Stops the campaign once this many experiments have failed. */
      failures: z.int().min(1).optional(),
    }),
    planner: PlannerConfigSchema,
    protocol: z.object({
      steps: z.array(ProtocolStepSchema).min(1),
      /** JSONata expression that turns `{ proposal, experiment, steps }` into objective name → value. */
      output: z.string().min(1),
    }),
    approval: z
      .object({
        /** What the policy gate does with a proposal outside a device's envelope. */
        outsideEnvelope: z.enum(['reject']).default('reject'),
      })
      .prefault({}),
    simulators: z.array(SimulatorConfigSchema).default([]),
    seed: z.int().nonnegative().optional(),
  })
  .superRefine((campaign, ctx) => {
    const names = new Set<string>();
    campaign.protocol.steps.forEach((step, i) => {
      if (names.has(step.name))
        ctx.addIssue({
          code: 'custom',
          message: `duplicate step name "${step.name}"`,
          path: ['protocol', 'steps', i, 'name'],
        });
      names.add(step.name);
    });
  });
export type Campaign = z.infer<typeof CampaignSchema>;
/** A campaign file as written, before defaults are applied. */
export type CampaignInput = z.input<typeof CampaignSchema>;
