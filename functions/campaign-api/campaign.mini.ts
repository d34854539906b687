import * as z from 'zod/mini';
import { ObjectiveSchema, ProtocolStepSchema } from '../shared/contracts.mini.ts';

// `CampaignSchema` (contracts/campaign.ts) as zod/mini, for the one Lambda that reads campaign files. ADR 0006's
// generator cannot write it: the campaign's refinements (low < high, distinct names, remote routes) are functions.
// So this module restates them, and `campaign.mini.test.ts` holds it to the classic schema on a corpus of real
// and damaged campaigns: the same data, defaults and error messages on every one. Classic Zod would cost
// ~190 KB of the 300 KB a bundle may weigh.

const IDENTIFIER = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z][A-Za-z0-9_]{0,63}$/,
      'must start with a letter and contain only letters, digits and _',
    ),
  );
const SLUG = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9][a-z0-9-]{0,62}$/,
      'must be lowercase letters, digits and -, starting with a letter or digit',
    ),
  );
const distinct = (values: readonly unknown[]) => new Set(values).size === values.length;

const ContinuousParameterSchema = z
  .object({
    name: IDENTIFIER,
    type: z.literal('continuous'),
    low: z.number(),
    high: z.number(),
    scale: z._default(z.enum(['linear', 'log']), 'linear'),
    unit: z.optional(z.string()),
  })
  .check(
    z.refine((p) => p.low < p.high, { message: 'low must be less than high', path: ['high'] }),
    z.refine((p) => p.scale !== 'log' || p.low > 0, {
      message: 'a log-scale parameter needs low > 0',
      path: ['low'],
    }),
  );

const IntegerParameterSchema = z
  .object({
    name: IDENTIFIER,
    type: z.literal('integer'),
    low: z.int(),
    high: z.int(),
    unit: z.optional(z.string()),
  })
  .check(z.refine((p) => p.low < p.high, { message: 'low must be less than high', path: ['high'] }));

const CategoricalParameterSchema = z.object({
  name: IDENTIFIER,
  type: z.literal('categorical'),
  choices: z
    .array(z.string().check(z.minLength(1)))
    .check(z.minLength(2, 'needs at least two choices'), z.refine(distinct, 'choices must be distinct')),
});

const DesignSpaceSchema = z
  .array(
    z.discriminatedUnion('type', [
      ContinuousParameterSchema,
      IntegerParameterSchema,
      CategoricalParameterSchema,
    ]),
  )
  .check(
    z.minLength(1, 'a design space needs at least one parameter'),
    z.superRefine((space, ctx) => {
      const seen = new Set<string>();
      space.forEach((p, i) => {
        if (seen.has(p.name))
          ctx.addIssue({
            code: 'custom',
            message: `duplicate parameter name "${p.name}"`,
            path: [i, 'name'],
          });
        seen.add(p.name);
      });
    }),
  );

const ConstraintSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('sum'),
    parameters: z
      .array(IDENTIFIER)
      .check(
        z.minLength(2, 'a sum constraint needs at least two parameters'),
        z.refine(distinct, 'parameters must be distinct'),
      ),
    equals: z.number(),
  }),
  z
    .object({
      type: z.literal('outcome'),
      name: IDENTIFIER,
      atLeast: z.optional(z.number()),
      atMost: z.optional(z.number()),
    })
    .check(
      z.refine((c) => c.atLeast !== undefined || c.atMost !== undefined, {
        message: 'an outcome constraint needs atLeast, atMost or both',
      }),
      z.refine((c) => c.atLeast === undefined || c.atMost === undefined || c.atLeast <= c.atMost, {
        message: 'atLeast must not exceed atMost',
        path: ['atMost'],
      }),
    ),
]);

const NonNegative = z.number().check(z.gte(0));

const RemoteRouteSchema = z
  .object({
    adapter: z.enum(['http', 'kserve', 'sagemaker', 'openai']),
    endpoint: z.string().check(z.minLength(1)),
    model: z.optional(z.string().check(z.minLength(1))),
    options: z.optional(z.record(z.string(), z.unknown())),
    region: z.optional(z.string().check(z.minLength(1))),
    apiKeyEnv: z.optional(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/))),
    when: z.prefault(
      z.object({
        minObservations: z._default(z.int().check(z.gte(0)), 0),
        maxObservations: z.optional(z.int().check(z.gte(0))),
        minDimensions: z.optional(z.int().check(z.gte(1))),
        minObjectives: z.optional(z.int().check(z.gte(1))),
        minBatch: z.optional(z.int().check(z.gte(1))),
      }),
      {},
    ),
    timeout: z._default(z.number().check(z.gt(0), z.lte(3600)), 60),
    retries: z._default(z.int().check(z.gte(0), z.lte(10)), 2),
    backoff: z._default(NonNegative.check(z.lte(600)), 1),
    price: z.prefault(
      z.object({
        call: z._default(NonNegative, 0),
        inputTokens: z._default(NonNegative, 0),
        outputTokens: z._default(NonNegative, 0),
        hour: z._default(NonNegative, 0),
      }),
      {},
    ),
    maxCost: z.optional(NonNegative),
  })
  .check(
    z.superRefine((route, ctx) => {
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
    }),
  );

const PlannerConfigSchema = z.object({
  strategy: z.enum(['random', 'sobol', 'bo']),
  batch: z._default(z.int().check(z.gte(1), z.lte(96)), 1),
  initial: z.optional(z.int().check(z.gte(1), z.lte(10_000))),
  acquisition: z.optional(z.enum(['logei', 'ucb'])),
  beta: z.optional(z.number().check(z.gt(0), z.lte(1000))),
  remote: z.optional(
    z.union([RemoteRouteSchema, z.array(RemoteRouteSchema).check(z.minLength(1), z.maxLength(8))]),
  ),
});

const SimulatorConfigSchema = z.object({
  kind: SLUG,
  count: z._default(z.int().check(z.gte(1), z.lte(32)), 1),
  noise: z.optional(z.number().check(z.gte(0), z.lte(1))),
  faults: z._default(
    z.array(
      z.object({
        command: z.optional(z.string()),
        every: z.optional(z.int().check(z.gte(1))),
        probability: z.optional(z.number().check(z.gte(0), z.lte(1))),
        code: z.string().check(z.regex(/^[A-Z][A-Za-z0-9]*$/, 'must be a PascalCase error name')),
        message: z._default(z.string(), 'simulated fault'),
        retryable: z._default(z.boolean(), true),
      }),
    ),
    [],
  ),
  durationScale: z._default(NonNegative, 1),
});

const ApprovalPolicySchema = z.object({
  require: z._default(z.enum(['never', 'always', 'outside-limits']), 'never'),
  limits: z._default(
    z.array(
      z.object({ parameter: IDENTIFIER, min: z.optional(z.number()), max: z.optional(z.number()) }).check(
        z.refine((l) => l.min !== undefined || l.max !== undefined, {
          message: 'a limit needs min, max or both',
        }),
      ),
    ),
    [],
  ),
  timeout: z._default(z.number().check(z.gt(0)), 3600),
});

/** A campaign file, as `CampaignSchema` parses it (defaults applied), in zod/mini. */
export const CampaignSpecSchema = z
  .object({
    name: SLUG,
    lab: z._default(SLUG, 'local-lab'),
    description: z.optional(z.string()),
    space: DesignSpaceSchema,
    objectives: z
      .array(ObjectiveSchema)
      .check(z.length(1, 'exactly one objective is supported by the local runtime')),
    constraints: z._default(z.array(ConstraintSchema), []),
    budget: z.object({
      experiments: z.int().check(z.gte(1), z.lte(100_000)),
      failures: z.optional(z.int().check(z.gte(1))),
    }),
    planner: PlannerConfigSchema,
    protocol: z.object({
      steps: z.array(ProtocolStepSchema).check(z.minLength(1)),
      output: z.string().check(z.minLength(1)),
    }),
    approval: z.prefault(ApprovalPolicySchema, {}),
    simulators: z._default(z.array(SimulatorConfigSchema), []),
    seed: z.optional(z.int().check(z.gte(0))),
  })
  .check(
    z.superRefine((campaign, ctx) => {
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
    }),
  );
/** A parsed {@link CampaignSpecSchema}. */
export type CampaignSpec = z.output<typeof CampaignSpecSchema>;
