import { z } from 'zod';
import { DesignSpaceSchema, ObjectiveSchema, ParameterValuesSchema } from '../../contracts/index.ts';
import { ObservationSchema } from '../planner.ts';

/** The protocol name and version every plan request carries; a response may echo it. */
export const PLAN_PROTOCOL = 'labloop.plan/v1';

/**
 * What a planning endpoint receives (`http`, `kserve`, `sagemaker` adapters): everything it needs to propose,
 * so the endpoint keeps no state between calls. `requestId` is the same on every retry of one ask, so an
 * endpoint may deduplicate.
 */
export const PlanRequestSchema = z.object({
  protocol: z.literal(PLAN_PROTOCOL),
  requestId: z.string().min(1).max(128),
  space: DesignSpaceSchema,
  objectives: z.array(ObjectiveSchema).min(1),
  observations: z.array(ObservationSchema),
  /** Points still being measured: propose something else. */
  pending: z.array(ParameterValuesSchema),
  /** How many proposals are wanted. */
  count: z.int().min(1),
  /** Seed for the endpoint's randomness, so a replayed campaign asks the same question. */
  seed: z.int().nonnegative(),
  /** Which model to use and its options; the endpoint's default when absent. */
  model: z
    .object({ kind: z.string().min(1).optional(), options: z.record(z.string(), z.unknown()).optional() })
    .optional(),
});
export type PlanRequest = z.infer<typeof PlanRequestSchema>;

/** The model's prediction for one objective at a proposed point. */
export const PlanPredictionSchema = z.object({ mean: z.number(), sd: z.number().nonnegative() });
export type PlanPrediction = z.infer<typeof PlanPredictionSchema>;

/** What the endpoint reports it used; the client prices it with the route's `price`. */
export const UsageSchema = z.object({
  inputTokens: z.number().nonnegative().optional(),
  outputTokens: z.number().nonnegative().optional(),
  /** s of accelerator time the call used. */
  computeSeconds: z.number().nonnegative().optional(),
});
export type Usage = z.infer<typeof UsageSchema>;

/**
 * What a planning endpoint answers with status 200. Proposals are screened after parsing: any outside the
 * design space, duplicated, or beyond `count` is rejected with a reason and the local planner fills in.
 */
export const PlanResponseSchema = z.object({
  protocol: z.literal(PLAN_PROTOCOL).optional(),
  requestId: z.string().optional(),
  proposals: z
    .array(
      z.object({
        parameters: ParameterValuesSchema,
        /** Objective name → predicted mean and standard deviation. */
        predictions: z.record(z.string(), PlanPredictionSchema).optional(),
      }),
    )
    .max(10_000),
  /** What the endpoint used, e.g. `{ "name": "saasbo", "version": "3" }`; recorded as is. */
  model: z.record(z.string(), z.unknown()).optional(),
  usage: UsageSchema.optional(),
});
export type PlanResponse = z.infer<typeof PlanResponseSchema>;

/** The body of a non-200 answer, errors as data; optional, since a proxy in front may answer otherwise. */
export const PlanErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    retryable: z.boolean().optional(),
  }),
});
export type PlanErrorBody = z.infer<typeof PlanErrorBodySchema>;
