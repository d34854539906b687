import { z } from 'zod';
import { ConstraintSchema, DesignSpaceSchema, IdentifierSchema, ObjectiveSchema } from './design-space.ts';
import { SlugSchema } from './device.ts';

/**
 * Prices of a remote endpoint, in one currency of your choosing; a call costs the sum of the parts that apply.
 * GPU endpoints bill by the hour, LLM endpoints by the token.
 */
export const EndpointPriceSchema = z.object({
  /** Per successful call. */
  call: z.number().nonnegative().default(0),
  /** Per million input (prompt) tokens the endpoint reports. */
  inputTokens: z.number().nonnegative().default(0),
  /** Per million output (completion) tokens the endpoint reports. */
  outputTokens: z.number().nonnegative().default(0),
  /** Per hour of endpoint time: the compute seconds it reports, else the time the calls took. */
  hour: z.number().nonnegative().default(0),
});

/**
 * A remote endpoint a planner may send an `ask` to, and when: the first route whose `when` holds takes the ask;
 * otherwise, or when the endpoint fails, the local `strategy` answers. See docs/planners-remote.md.
 */
export const RemoteRouteSchema = z
  .object({
    /** `http`, `kserve` and `sagemaker` speak labloop's plan protocol; `openai` is a chat endpoint (LLM planner). */
    adapter: z.enum(['http', 'kserve', 'sagemaker', 'openai']),
    /** A URL (`http`, `kserve`; the base URL ending in `/v1` for `openai`) or a SageMaker endpoint name. */
    endpoint: z.string().min(1),
    /** The chat model (`openai`, required), the model name (`kserve`, required), or the model kind asked for. */
    model: z.string().min(1).optional(),
    /** Sent as the plan request's model options, or merged into the chat request (`temperature`, …). */
    options: z.record(z.string(), z.unknown()).optional(),
    /** `sagemaker`: the AWS region; the SDK's default when absent. */
    region: z.string().min(1).optional(),
    /** Name of the environment variable holding the bearer token; secrets stay out of campaign files. */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    when: z
      .object({
        minObservations: z.int().nonnegative().default(0),
        maxObservations: z.int().nonnegative().optional(),
        minDimensions: z.int().min(1).optional(),
        minObjectives: z.int().min(1).optional(),
        /** Fewest proposals asked for at once. */
        minBatch: z.int().min(1).optional(),
      })
      .prefault({}),
    /** s per attempt. */
    timeout: z.number().positive().max(3600).default(60),
    /** Further attempts after a retryable failure (5xx, 429, timeout, network). */
    retries: z.int().min(0).max(10).default(2),
    /** s before the first retry; doubles each retry, with jitter. */
    backoff: z.number().nonnegative().max(600).default(1),
    price: EndpointPriceSchema.prefault({}),
    /** Once the route's calls have cost this much in all, asks stay local. */
    maxCost: z.number().nonnegative().optional(),
  })
  .superRefine((route, ctx) => {
    if ((route.adapter === 'openai' || route.adapter === 'kserve') && route.model === undefined)
      ctx.addIssue({
        code: 'custom',
        message: `the ${route.adapter} adapter needs a model`,
        path: ['model'],
      });
    if (route.adapter !== 'sagemaker' && !/^https?:\/\/[^\s]+$/.test(route.endpoint))
      ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL', path: ['endpoint'] });
    if (route.adapter === 'sagemaker' && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(route.endpoint))
      ctx.addIssue({ code: 'custom', message: 'must be a SageMaker endpoint name', path: ['endpoint'] });
  });
export type RemoteRoute = z.infer<typeof RemoteRouteSchema>;

/**
 * How a planner proposes experiments. `batch` proposals are run in parallel. `bo` is Bayesian optimisation
 * (a GP surrogate and an acquisition function), after `initial` Sobol points.
 */
export const PlannerConfigSchema = z.object({
  strategy: z.enum(['random', 'sobol', 'bo']),
  batch: z.int().min(1).max(96).default(1),
  /**
   * `bo`: Sobol points proposed before the model takes over; for d parameters, max(2(d + 1), min(40, d² + 4))
   * when absent.
   */
  initial: z.int().min(1).max(10_000).optional(),
  /** `bo`: `logei` (expected improvement, in log space) or `ucb` (upper confidence bound); `logei` when absent. */
  acquisition: z.enum(['logei', 'ucb']).optional(),
  /** `bo` with `ucb`: exploration weight β in μ + √β·σ, on standardised outcomes; 4 when absent. */
  beta: z.number().positive().max(1000).optional(),
  /** Remote endpoints (GPU models, an LLM) that take some asks; the `strategy` is the local fallback. */
  remote: z.union([RemoteRouteSchema, z.array(RemoteRouteSchema).min(1).max(8)]).optional(),
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

/** A parameter range inside which the gate approves proposals on its own. */
export const ApprovalLimitSchema = z
  .object({ parameter: IdentifierSchema, min: z.number().optional(), max: z.number().optional() })
  .refine((l) => l.min !== undefined || l.max !== undefined, { message: 'a limit needs min, max or both' });

/**
 * When a person must approve a proposal before it runs. The safe operating envelope is not part of this: a
 * proposal outside a device's envelope is always rejected and no one can approve it.
 */
export const ApprovalPolicySchema = z.object({
  /** `never`: the gate decides alone; `always`: a person approves every proposal; `outside-limits`: a person
   * approves proposals outside `limits`. */
  require: z.enum(['never', 'always', 'outside-limits']).default('never'),
  limits: z.array(ApprovalLimitSchema).default([]),
  /** s of (simulated) time to wait for a decision; an unanswered proposal is rejected. */
  timeout: z.number().positive().default(3600),
});
export type ApprovalPolicy = z.infer<typeof ApprovalPolicySchema>;

/** A campaign file: what to search, what to optimise, how to run one experiment, when to stop. */
export const CampaignSchema = z
  .object({
    name: SlugSchema,
    lab: SlugSchema.default('local-lab'),
    description: z.string().optional(),
    space: DesignSpaceSchema,
    objectives: z.array(ObjectiveSchema).length(1, 'exactly one objective is supported by the local runtime'),
    /** Sums of parameters (mixtures) and bounds on measured outcomes; the planner keeps to them. */
    constraints: z.array(ConstraintSchema).default([]),
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
    approval: ApprovalPolicySchema.prefault({}),
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
