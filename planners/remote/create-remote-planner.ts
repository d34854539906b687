import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import {
  type Clock,
  createRng,
  type ParameterValues,
  type RemoteRoute,
  seedFrom,
  systemClock,
} from '../../contracts/index.ts';
import type { Planner, PlannerSpec } from '../planner.ts';
import type { EndpointAdapter } from './adapter.ts';
import { type FetchLike, httpAdapter, openAiAdapter } from './adapters/http.ts';
import { kserveAdapter } from './adapters/kserve.ts';
import { sageMakerAdapter } from './adapters/sagemaker.ts';
import { InferenceClient } from './client.ts';
import type { CostTotals } from './cost.ts';
import { RemoteConfigError } from './errors.ts';
import { RemotePlanner, type RemotePlannerState, type RouteBinding, routesOf } from './remote-planner.ts';
import { LlmSource, PlanEndpointSource } from './sources.ts';

/** What a remote planner takes from its surroundings; every field has a default for production use. */
export interface RemoteDeps {
  /** @default globalThis.fetch */
  fetch?: FetchLike;
  /** Times attempts, timeouts and backoff. @default systemClock */
  clock?: Clock;
  /** Where `apiKeyEnv` names are looked up. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** The client of `sagemaker` routes; made on first use from the route's `region` when absent. */
  sageMakerClient?: SageMakerRuntimeClient;
  /** A further check every remote proposal must pass (a device envelope, a lab policy). */
  check?: (parameters: ParameterValues) => string | undefined;
  /** Replaces the adapter of a route, e.g. to add a proxy; return `undefined` to keep the default. */
  adapterFor?: (route: RemoteRoute, index: number) => EndpointAdapter | undefined;
  /** Most observations an LLM prompt shows. @default 100 */
  llmMaxHistory?: number;
}

function apiKeyOf(route: RemoteRoute, index: number, env: Readonly<Record<string, string | undefined>>) {
  if (route.apiKeyEnv === undefined) return {};
  const key = env[route.apiKeyEnv];
  if (key === undefined || key === '')
    throw new RemoteConfigError(
      `route ${index} (${route.adapter} ${route.endpoint}) reads its API key from $${route.apiKeyEnv}, which is not set`,
    );
  return { apiKey: key };
}

/** The adapter a route's settings describe. */
export function adapterOf(route: RemoteRoute, index: number, deps: RemoteDeps = {}): EndpointAdapter {
  const custom = deps.adapterFor?.(route, index);
  if (custom !== undefined) return custom;
  const http = {
    ...apiKeyOf(route, index, deps.env ?? process.env),
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
  };
  switch (route.adapter) {
    case 'http':
      return httpAdapter({ ...http, url: route.endpoint });
    case 'openai':
      return openAiAdapter({ ...http, baseUrl: route.endpoint });
    case 'kserve':
      return kserveAdapter({ ...http, baseUrl: route.endpoint, model: route.model ?? '' });
    case 'sagemaker':
      return sageMakerAdapter({
        endpointName: route.endpoint,
        ...(deps.sageMakerClient === undefined ? {} : { client: deps.sageMakerClient }),
        ...(route.region === undefined ? {} : { region: route.region }),
      });
  }
}

/** The client and source of each route of `spec`, continuing from `totals` when restoring. */
export function bindRoutes(
  spec: PlannerSpec,
  deps: RemoteDeps = {},
  totals: readonly CostTotals[] = [],
): RouteBinding[] {
  return routesOf(spec).map((route, index) => {
    const saved = totals[index];
    const client = new InferenceClient({
      adapter: adapterOf(route, index, deps),
      timeoutMs: route.timeout * 1000,
      retries: route.retries,
      backoffMs: route.backoff * 1000,
      price: route.price,
      clock: deps.clock ?? systemClock,
      rng: createRng(seedFrom('remote-jitter', spec.seed, index)),
      ...(saved === undefined ? {} : { totals: saved }),
    });
    const source =
      route.adapter === 'openai'
        ? new LlmSource(client, {
            model: route.model ?? '',
            ...(route.options === undefined ? {} : { options: route.options }),
            ...(deps.llmMaxHistory === undefined ? {} : { maxHistory: deps.llmMaxHistory }),
          })
        : new PlanEndpointSource(client, route.model, route.options);
    return { route, client, source };
  });
}

/**
 * A planner for a spec with `planner.remote`, over `local` (the spec's own strategy without `remote`), or its
 * continuation from a saved state. `createPlanner` and `restorePlanner` call this; call it directly to
 * inject dependencies.
 *
 * @example
 * const spec = parseWith(PlannerSpecSchema, input, 'planner spec');
 * const planner = createRemotePlanner(spec, new SobolPlanner(localSpecOf(spec)), { fetch: myFetch });
 */
export function createRemotePlanner(
  spec: PlannerSpec,
  local: Planner,
  deps: RemoteDeps = {},
  saved?: Pick<RemotePlannerState, 'asks' | 'decisions' | 'routes'>,
): RemotePlanner {
  if (routesOf(spec).length === 0)
    throw new RemoteConfigError('a remote planner needs at least one route in planner.remote');
  if (saved !== undefined && saved.routes.length !== routesOf(spec).length)
    throw new RemoteConfigError(
      `the saved state has cost totals for ${saved.routes.length} routes, the spec has ${routesOf(spec).length}`,
    );
  return new RemotePlanner(spec, local, bindRoutes(spec, deps, saved?.routes), deps.check, saved);
}
