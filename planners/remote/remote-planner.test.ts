import { afterEach, describe, expect, it } from 'vitest';
import { type DesignSpace, parseWith, pointError, ScaledClock } from '../../contracts/index.ts';
import { type Planner, type PlannerSpec, PlannerSpecSchema } from '../planner.ts';
import { SobolPlanner } from '../sobol-planner.ts';
import { SobolPlannerStateSchema } from '../state.ts';
import { createRemotePlanner, type RemoteDeps } from './create-remote-planner.ts';
import { RemoteConfigError } from './errors.ts';
import { type FakeEndpoint, type FakeReply, startFakeEndpoint } from './internal/fake-endpoint.ts';
import { honestPlan } from './internal/plan-fixtures.ts';
import { PLAN_PROTOCOL, PlanRequestSchema } from './protocol.ts';
import { type RemotePlanner, RemotePlannerStateSchema } from './remote-planner.ts';
import { pointKey } from './screen.ts';

const space: DesignSpace = [
  { name: 'x', type: 'continuous', low: 0, high: 1, scale: 'linear' },
  { name: 'y', type: 'continuous', low: 0, high: 1, scale: 'linear' },
  { name: 'kind', type: 'categorical', choices: ['a', 'b'] },
];
const objectives = [{ name: 'score', goal: 'maximise' as const }];
const score = (p: Record<string, unknown>) => -(((p.x as number) - 0.3) ** 2) - ((p.y as number) - 0.6) ** 2;

let endpoint: FakeEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

async function setup(
  reply: (body: unknown, n: number) => FakeReply | Promise<FakeReply>,
  route: Record<string, unknown> = {},
  deps: RemoteDeps = {},
): Promise<{ planner: RemotePlanner; spec: PlannerSpec; endpoint: FakeEndpoint; deps: RemoteDeps }> {
  endpoint = await startFakeEndpoint((request, n) => reply(request.body, n));
  const spec = parseWith(
    PlannerSpecSchema,
    {
      space,
      objectives,
      planner: {
        strategy: 'sobol',
        remote: {
          adapter: 'http',
          endpoint: `${endpoint.url}/plan`,
          timeout: 600,
          retries: 2,
          backoff: 1,
          ...route,
        },
      },
      seed: 3,
    },
    'spec',
  );
  const all: RemoteDeps = { clock: new ScaledClock(100), ...deps };
  const { remote: _, ...localPlanner } = spec.planner;
  const planner = createRemotePlanner(spec, new SobolPlanner({ ...spec, planner: localPlanner }), all);
  return { planner, spec, endpoint, deps: all };
}

async function measure(planner: Planner, count: number) {
  const proposals = await planner.ask(count);
  planner.tell(proposals.map((p) => ({ parameters: p.parameters, values: { score: score(p.parameters) } })));
  return proposals;
}

function expectUsable(planner: Planner, proposals: { parameters: Record<string, unknown> }[], pending = []) {
  const keys = new Set(
    [...planner.observations, ...pending].map((o) => pointKey(space, 'parameters' in o ? o.parameters : o)),
  );
  for (const p of proposals) {
    expect(pointError(space, p.parameters as never)).toBeUndefined();
    const key = pointKey(space, p.parameters as never);
    expect(keys.has(key)).toBe(false);
    keys.add(key);
  }
}

describe('RemotePlanner', () => {
  it('stays local until the routing policy holds, then sends the whole history and pending points', async () => {
    const { planner, endpoint } = await setup(async (body) => ({ body: await honestPlan(body, 90) }), {
      when: { minObservations: 3 },
      price: { hour: 40 },
    });
    await measure(planner, 3);
    expect(endpoint.requests).toHaveLength(0);
    expect(planner.decisions[0]).toMatchObject({
      route: null,
      fromLocal: 3,
      reason: `local: route 0 (http ${endpoint.url}/plan): 0 observations < minObservations 3`,
    });
    const pending = [{ x: 0.5, y: 0.5, kind: 'a' }];
    const proposals = await planner.ask(2, pending);
    expect(proposals).toHaveLength(2);
    const request = parseWith(PlanRequestSchema, endpoint.requests[0]?.body, 'sent request');
    expect(request).toMatchObject({ protocol: PLAN_PROTOCOL, count: 2, pending, space });
    expect(request.observations).toEqual(planner.observations);
    const decision = planner.decisions[1];
    expect(decision).toMatchObject({
      ask: 2,
      route: 0,
      requestId: request.requestId,
      offered: 2,
      fromRemote: 2,
      fromLocal: 0,
      failure: null,
      attempts: 1,
      seconds: 90,
      model: { name: 'fake-gp', version: '1' },
      predictions: [{ score: { mean: 0.5, sd: 0.1 } }, { score: { mean: 0.5, sd: 0.1 } }],
    });
    expect(decision?.cost).toBeCloseTo(1, 10);
    expect(planner.routeTotals[0]).toMatchObject({ calls: 1, seconds: 90 });
  });

  it('rejects every bad proposal of a lying endpoint with a reason and fills in locally', async () => {
    const { planner } = await setup(async (body, n) => {
      if (n > 0) return { body: await honestPlan(body) };
      return {
        body: {
          proposals: [
            { parameters: { x: 1.5, y: 0.2, kind: 'a' } },
            { parameters: { x: 0.2, y: 0.2, kind: 'c' } },
            { parameters: { x: 0.2, y: 'high', kind: 'a' } },
            { parameters: { x: 0.25, y: 0.25, kind: 'b' } },
            { parameters: { x: 0.25, y: 0.25, kind: 'b' } },
            { parameters: { x: 0.5, y: 0.5, kind: 'a' } },
          ],
        },
      };
    });
    const pending = [{ x: 0.5, y: 0.5, kind: 'a' }];
    const proposals = await planner.ask(4, pending);
    expect(proposals).toHaveLength(4);
    expect(proposals[0]?.parameters).toEqual({ x: 0.25, y: 0.25, kind: 'b' });
    expectUsable(planner, proposals, pending as never);
    const decision = planner.decisions[0];
    expect(decision).toMatchObject({ offered: 6, fromRemote: 1, fromLocal: 3, rejectedCount: 5 });
    expect(decision?.rejected.map((r) => r.reason)).toEqual([
      'proposal 0: outside the design space: x must be 0–1, got 1.5',
      'proposal 1: outside the design space: kind must be one of a, b, got "c"',
      'proposal 2: outside the design space: y must be a number, got "high"',
      'proposal 4: duplicates proposal 3',
      'proposal 5: duplicates pending point 0',
    ]);
  });

  it.each<[string, FakeReply, string, number]>([
    [
      'a server error',
      { status: 500, body: { error: { code: 'Oom', message: 'GPU full' } } },
      'EndpointUnavailable',
      3,
    ],
    [
      'a 4xx',
      { status: 413, body: { error: { code: 'TooLarge', message: 'history too long' } } },
      'EndpointRejected',
      1,
    ],
    [
      'another protocol',
      { body: { protocol: 'labloop.plan/v9', proposals: [] } },
      'EndpointInvalidResponse',
      1,
    ],
    ['no proposals field', { body: { points: [[0.1, 0.2]] } }, 'EndpointInvalidResponse', 1],
    ['HTML', { raw: '<h1>Bad gateway</h1>' }, 'EndpointInvalidResponse', 1],
    ['a dropped connection', { drop: true }, 'EndpointUnreachable', 3],
  ])('falls back to the local planner on %s and records why', async (_, reply, code, attempts) => {
    const { planner, endpoint } = await setup(() => reply, { price: { hour: 3600 } });
    const proposals = await planner.ask(3);
    expect(proposals).toHaveLength(3);
    expectUsable(planner, proposals);
    expect(endpoint.requests).toHaveLength(attempts);
    const decision = planner.decisions[0];
    expect(decision).toMatchObject({ route: 0, fromRemote: 0, fromLocal: 3, attempts, failure: { code } });
    expect(decision?.failure?.message).toContain(`failed after ${attempts} attempt`);
  });

  it('gives a slow endpoint its timeout on each attempt, then falls back', async () => {
    const { planner, endpoint } = await setup(() => ({ hang: true }), { timeout: 20, retries: 1 });
    const proposals = await planner.ask(2);
    expect(proposals).toHaveLength(2);
    expect(endpoint.requests).toHaveLength(2);
    expect(planner.decisions[0]?.failure).toMatchObject({ code: 'EndpointTimeout', retryable: true });
    expect(planner.decisions[0]?.failure?.message).toContain('did not answer within 20 s');
    expect(planner.decisions[0]?.seconds).toBeGreaterThanOrEqual(40);
  });

  it('waits out a rate limit and uses the answer', async () => {
    const { planner, endpoint } = await setup(async (body, n) =>
      n === 0 ? { status: 429, headers: { 'retry-after': '3' } } : { body: await honestPlan(body) },
    );
    await planner.ask(2);
    expect(endpoint.requests).toHaveLength(2);
    expect(planner.decisions[0]).toMatchObject({ fromRemote: 2, attempts: 2, failure: null });
    // Both attempts carry the same request id, so the endpoint can deduplicate.
    const ids = endpoint.requests.map((r) => (r.body as { requestId?: string }).requestId);
    expect(ids[0]).toBeDefined();
    expect(ids[1]).toBe(ids[0]);
  });

  it('stops going remote once the route has spent its maxCost', async () => {
    const { planner, endpoint } = await setup(async (body) => ({ body: await honestPlan(body) }), {
      price: { call: 1 },
      maxCost: 2,
    });
    for (let i = 0; i < 3; i++) await measure(planner, 1);
    expect(endpoint.requests).toHaveLength(2);
    expect(planner.decisions.map((d) => d.route)).toEqual([0, 0, null]);
    expect(planner.decisions[2]?.reason).toContain('spent 2.0000 ≥ maxCost 2');
  });

  it('saves and restores: ask numbers, costs, decisions and the fallback continue', async () => {
    const reply = async (body: unknown, n: number): Promise<FakeReply> =>
      n % 2 === 0 ? { body: await honestPlan(body, 36) } : { status: 503 };
    const a = await setup(reply, { price: { hour: 100 }, retries: 0 });
    const whole = a.planner;
    for (let i = 0; i < 2; i++) await measure(whole, 2);
    const state = RemotePlannerStateSchema.parse(JSON.parse(JSON.stringify(whole.toJSON())));
    expect(state.asks).toBe(2);
    expect(state.decisions.map((d) => d.fromRemote)).toEqual([2, 0]);
    const restored = createRemotePlanner(
      state.spec,
      new SobolPlanner(state.spec, SobolPlannerStateSchema.parse(state.local)),
      a.deps,
      state,
    );
    expect(restored.observations).toEqual(whole.observations);
    expect(restored.routeTotals).toEqual(whole.routeTotals);
    const next = await restored.ask(2);
    expectUsable(restored, next);
    expect(restored.decisions.map((d) => d.ask)).toEqual([1, 2, 3]);
    expect(restored.routeTotals[0]?.calls).toBe(3);
    // The third call succeeds and reports 36 s at 100 an hour.
    expect(restored.routeTotals[0]?.cost).toBeCloseTo((whole.routeTotals[0]?.cost ?? 0) + 1, 6);
  });

  it('reads the API key from the named environment variable, and fails fast without it', async () => {
    const { planner, endpoint } = await setup(
      async (body) => ({ body: await honestPlan(body) }),
      { apiKeyEnv: 'LAB_PLANNER_KEY' },
      {
        env: { LAB_PLANNER_KEY: 'secret-1' },
      },
    );
    await planner.ask(1);
    expect(endpoint.requests[0]?.headers.authorization).toBe('Bearer secret-1');
    await expect(
      setup(
        async (body) => ({ body: await honestPlan(body) }),
        { apiKeyEnv: 'LAB_PLANNER_KEY' },
        { env: {} },
      ),
    ).rejects.toThrow(RemoteConfigError);
  });

  it('applies the extra check to remote proposals', async () => {
    const { planner } = await setup(
      async (body) => ({ body: await honestPlan(body) }),
      {},
      { check: (p) => (p.kind === 'b' ? 'kind b is out of stock' : undefined) },
    );
    const proposals = await measure(planner, 6);
    const decision = planner.decisions[0];
    expect(decision?.fromRemote).toBeGreaterThan(0);
    expect(decision?.rejectedCount).toBeGreaterThan(0);
    expect(
      decision?.rejected.every((r) => r.reason.includes('refused by the check: kind b is out of stock')),
    ).toBe(true);
    expect(proposals.slice(0, decision?.fromRemote).every((p) => p.parameters.kind === 'a')).toBe(true);
  });
});
