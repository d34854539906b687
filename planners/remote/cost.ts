import { z } from 'zod';
import type { EndpointPriceSchema } from '../../contracts/index.ts';
import type { Usage } from './protocol.ts';

/** Prices of an endpoint with defaults applied (see `EndpointPriceSchema` in contracts). */
export type EndpointPrice = z.output<typeof EndpointPriceSchema>;

/** A price of zero for everything: calls are counted, but cost nothing. */
export const FREE: EndpointPrice = { call: 0, inputTokens: 0, outputTokens: 0, hour: 0 };

/**
 * What one call cost. `seconds` is the endpoint time billed: the compute seconds the endpoint reports, or else
 * the time the attempts took. A failed call pays for its time but not the per-call price.
 *
 * @example
 * callCost({ ...FREE, inputTokens: 0.15, outputTokens: 0.6 }, { inputTokens: 2000, outputTokens: 500 }, 1.2, true)
 * // 0.0006
 */
export function callCost(
  price: EndpointPrice,
  usage: Usage,
  elapsedSeconds: number,
  succeeded: boolean,
): number {
  const seconds = usage.computeSeconds ?? elapsedSeconds;
  return (
    (succeeded ? price.call : 0) +
    ((usage.inputTokens ?? 0) * price.inputTokens) / 1e6 +
    ((usage.outputTokens ?? 0) * price.outputTokens) / 1e6 +
    (seconds * price.hour) / 3600
  );
}

/** Cumulative totals of an endpoint's calls; plain JSON, kept in a planner's saved state. */
export const CostTotalsSchema = z.object({
  calls: z.int().nonnegative(),
  failures: z.int().nonnegative(),
  attempts: z.int().nonnegative(),
  inputTokens: z.number().nonnegative(),
  outputTokens: z.number().nonnegative(),
  /** s of endpoint time billed. */
  seconds: z.number().nonnegative(),
  cost: z.number().nonnegative(),
});
export type CostTotals = z.infer<typeof CostTotalsSchema>;

/** Totals before any call. */
export function emptyTotals(): CostTotals {
  return { calls: 0, failures: 0, attempts: 0, inputTokens: 0, outputTokens: 0, seconds: 0, cost: 0 };
}

/** One call's share of the totals. */
export interface CallCharge {
  succeeded: boolean;
  attempts: number;
  usage: Usage;
  elapsedSeconds: number;
  cost: number;
}

/** `totals` with one call added. */
export function addCharge(totals: CostTotals, charge: CallCharge): CostTotals {
  return {
    calls: totals.calls + 1,
    failures: totals.failures + (charge.succeeded ? 0 : 1),
    attempts: totals.attempts + charge.attempts,
    inputTokens: totals.inputTokens + (charge.usage.inputTokens ?? 0),
    outputTokens: totals.outputTokens + (charge.usage.outputTokens ?? 0),
    seconds: totals.seconds + (charge.usage.computeSeconds ?? charge.elapsedSeconds),
    cost: totals.cost + charge.cost,
  };
}

/** The difference `after − before`, one call's (or one ask's) share. */
export function diffTotals(after: CostTotals, before: CostTotals): CostTotals {
  return {
    calls: after.calls - before.calls,
    failures: after.failures - before.failures,
    attempts: after.attempts - before.attempts,
    inputTokens: after.inputTokens - before.inputTokens,
    outputTokens: after.outputTokens - before.outputTokens,
    seconds: after.seconds - before.seconds,
    cost: after.cost - before.cost,
  };
}
