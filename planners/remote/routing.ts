import type { RemoteRoute } from '../../contracts/index.ts';

/** What the routing policy looks at for one `ask`. */
export interface AskSituation {
  observations: number;
  dimensions: number;
  objectives: number;
  /** Proposals asked for. */
  count: number;
}

/** Where one `ask` goes: a route's index, or `undefined` for the local planner, and why. */
export interface RouteChoice {
  route: number | undefined;
  reason: string;
}

/** A route's name in messages: `route 1 (sagemaker gp-planner)`. */
export function describeRoute(route: RemoteRoute, index: number): string {
  return `route ${index} (${route.adapter} ${route.model ?? route.endpoint})`;
}

/** The first condition of `route` that does not hold, or `undefined` when all hold. */
function unmet(route: RemoteRoute, s: AskSituation, spent: number): string | undefined {
  const w = route.when;
  if (s.observations < w.minObservations)
    return `${s.observations} observations < minObservations ${w.minObservations}`;
  if (w.maxObservations !== undefined && s.observations > w.maxObservations)
    return `${s.observations} observations > maxObservations ${w.maxObservations}`;
  if (w.minDimensions !== undefined && s.dimensions < w.minDimensions)
    return `${s.dimensions} parameters < minDimensions ${w.minDimensions}`;
  if (w.minObjectives !== undefined && s.objectives < w.minObjectives)
    return `${s.objectives} objectives < minObjectives ${w.minObjectives}`;
  if (w.minBatch !== undefined && s.count < w.minBatch) return `${s.count} asked < minBatch ${w.minBatch}`;
  if (route.maxCost !== undefined && spent >= route.maxCost)
    return `spent ${spent.toFixed(4)} ≥ maxCost ${route.maxCost}`;
  return undefined;
}

/**
 * The routing policy: the first route whose `when` holds (and whose `maxCost` is not spent) takes the ask;
 * otherwise it stays local. The reason names the deciding facts, for the decision log.
 *
 * @example
 * chooseRoute([llmRoute, gpuRoute], { observations: 250, dimensions: 6, objectives: 1, count: 4 }, [0, 0])
 * // { route: 1, reason: 'route 1 (sagemaker gp-planner): when holds (250 observations, 6 parameters, 1 objective, 4 asked)' }
 */
export function chooseRoute(
  routes: readonly RemoteRoute[],
  situation: AskSituation,
  spent: readonly number[],
): RouteChoice {
  const misses: string[] = [];
  for (const [index, route] of routes.entries()) {
    const miss = unmet(route, situation, spent[index] ?? 0);
    if (miss === undefined)
      return {
        route: index,
        reason: `${describeRoute(route, index)}: when holds (${situation.observations} observations, ${situation.dimensions} parameters, ${situation.objectives} objective${situation.objectives === 1 ? '' : 's'}, ${situation.count} asked)`,
      };
    misses.push(`${describeRoute(route, index)}: ${miss}`);
  }
  return { route: undefined, reason: `local: ${misses.join('; ')}` };
}
