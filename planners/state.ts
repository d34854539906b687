import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import type { PlannerSpec } from './planner.ts';
import { SOBOL_BITS, SOBOL_MAX_DIMENSION, SOBOL_MAX_POINTS } from './sobol.ts';

/**
 * The saved states of the local strategies (`random`, `sobol`, `bo`), without their spec, in zod/mini: the
 * plan-next Lambda restores a planner from DynamoDB with these alone, without bundling classic Zod (ADR 0006),
 * and takes the spec from the campaign it already validated. `restorePlanner` parses the spec with
 * `PlannerSpecSchema` and the rest with these.
 */

// Classic Zod configures English messages on import; mini leaves it to the application (as contracts.mini.ts).
z.config(en());

/** The state of a seeded random stream (`Rng.state()`), saved so a restored planner draws the same numbers. */
export const RngStateSchema = z.tuple([z.int(), z.int(), z.int(), z.int()]);

/** A Sobol sequence's whole state as plain JSON: the (scrambled) direction numbers, the shift and the position. */
export const SobolStateSchema = z.object({
  dimension: z.int().check(z.gte(1), z.lte(SOBOL_MAX_DIMENSION)),
  /** How many points have been drawn. */
  index: z.int().check(z.gte(0), z.lte(SOBOL_MAX_POINTS)),
  /** Direction numbers as `SOBOL_BITS`-bit integers, `dimension` rows of `SOBOL_BITS`. */
  directions: z.array(z.array(z.int().check(z.gte(0), z.lt(SOBOL_MAX_POINTS))).check(z.length(SOBOL_BITS))),
  /** Digital shift per dimension; all zero when unscrambled. */
  shift: z.array(z.int().check(z.gte(0), z.lt(SOBOL_MAX_POINTS))),
});
export type SobolState = z.infer<typeof SobolStateSchema>;

/** The trust region's state (`bo` in 10 or more dimensions). */
export const TrustRegionStateSchema = z.object({
  /** Edge length before per-dimension scaling. */
  length: z.number().check(z.gt(0)),
  successes: z.int().check(z.gte(0)),
  failures: z.int().check(z.gte(0)),
  /** Best value so far (maximisation orientation), null before any observation. */
  best: z.nullable(z.number()),
  /** Observations already accounted for. */
  seen: z.int().check(z.gte(0)),
  /** Times the region collapsed and restarted. */
  restarts: z.int().check(z.gte(0)),
});
export type TrustRegionState = z.infer<typeof TrustRegionStateSchema>;

/** An observation as saved: `planner.ts`'s `ObservationSchema` restated (`state.test.ts` holds the two equal). */
export const SavedObservationSchema = z.object({
  parameters: z.record(z.string(), z.union([z.number(), z.string()])),
  values: z.record(z.string(), z.number()),
});

const observations = z.array(SavedObservationSchema);

export const RandomPlannerStateSchema = z.object({
  strategy: z.literal('random'),
  observations,
  rng: RngStateSchema,
});

export const SobolPlannerStateSchema = z.object({
  strategy: z.literal('sobol'),
  observations,
  sobol: SobolStateSchema,
});

export const BoPlannerStateSchema = z.object({
  strategy: z.literal('bo'),
  observations,
  sobol: SobolStateSchema,
  rng: RngStateSchema,
  /** The last fit's GP hyperparameters, the warm start of the next fit; null before the first fit. */
  theta: z.nullable(z.array(z.number())),
  /** The trust region, for spaces of 10 or more parameters; null otherwise. */
  trustRegion: z._default(z.nullable(TrustRegionStateSchema), null),
  /** Two objectives: each objective's GP hyperparameters, the warm starts of the next fits. */
  objectiveThetas: z._default(z.array(z.nullable(z.array(z.number()))), []),
});

/** The saved state of any local strategy, without its spec. */
export const LocalStateSchema = z.discriminatedUnion('strategy', [
  RandomPlannerStateSchema,
  SobolPlannerStateSchema,
  BoPlannerStateSchema,
]);
export type LocalState = z.infer<typeof LocalStateSchema>;

/** A strategy's whole saved state: `toJSON()`'s value. */
type WithSpec<S> = S & { spec: PlannerSpec };
export type RandomPlannerState = WithSpec<z.infer<typeof RandomPlannerStateSchema>>;
export type SobolPlannerState = WithSpec<z.infer<typeof SobolPlannerStateSchema>>;
export type BoPlannerState = WithSpec<z.infer<typeof BoPlannerStateSchema>>;
