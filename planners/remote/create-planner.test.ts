import { afterEach, describe, expect, it } from 'vitest';
import { ScaledClock } from '../../contracts/index.ts';
import { createPlanner, restorePlanner } from '../create-planner.ts';
import type { Planner, PlannerSpecInput } from '../planner.ts';
import { type FakeEndpoint, startFakeEndpoint } from './internal/fake-endpoint.ts';
import { honestPlan } from './internal/plan-fixtures.ts';
import type { RemotePlanner } from './remote-planner.ts';

const endpoints: FakeEndpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

async function twoRoutes(): Promise<{ spec: PlannerSpecInput; llm: FakeEndpoint; gpu: FakeEndpoint }> {
  let k = 0;
  const llm = await startFakeEndpoint(() => {
    k++;
    const content = JSON.stringify({
      proposals: [{ parameters: { x: k / 10, n: 2 }, rationale: 'walk along x' }],
    });
    return { body: { choices: [{ message: { content }, finish_reason: 'stop' }] } };
  });
  const gpu = await startFakeEndpoint(async (request) => ({ body: await honestPlan(request.body) }));
  endpoints.push(llm, gpu);
  const spec: PlannerSpecInput = {
    space: [
      { name: 'x', type: 'continuous', low: 0, high: 1 },
      { name: 'n', type: 'integer', low: 1, high: 3 },
    ],
    objectives: [{ name: 'yield', goal: 'maximise' }],
    planner: {
      strategy: 'random',
      remote: [
        {
          adapter: 'openai',
          endpoint: `${llm.url}/v1`,
          model: 'm',
          when: { maxObservations: 2 },
          timeout: 600,
        },
        { adapter: 'http', endpoint: `${gpu.url}/plan`, when: { minObservations: 5 }, timeout: 600 },
      ],
    },
    seed: 1,
  };
  return { spec, llm, gpu };
}

async function step(planner: Planner): Promise<void> {
  const [p] = await planner.ask(1);
  if (p === undefined) throw new Error('no proposal');
  planner.tell([{ parameters: p.parameters, values: { yield: Number(p.parameters.x) } }]);
}

describe('createPlanner with planner.remote', () => {
  it('routes each ask by the campaign policy: LLM early, local in between, GPU endpoint late', async () => {
    const { spec, llm, gpu } = await twoRoutes();
    const planner = createPlanner(spec, { clock: new ScaledClock(100) }) as RemotePlanner;
    expect(planner.strategy).toBe('remote');
    expect(planner.local.strategy).toBe('random');
    for (let i = 0; i < 8; i++) await step(planner);
    expect(planner.decisions.map((d) => d.route)).toEqual([0, 0, 0, null, null, 1, 1, 1]);
    expect(llm.requests).toHaveLength(3);
    expect(gpu.requests).toHaveLength(3);
    expect(planner.observations.slice(0, 3).map((o) => o.parameters)).toEqual([
      { x: 0.1, n: 2 },
      { x: 0.2, n: 2 },
      { x: 0.3, n: 2 },
    ]);
  });

  it('restores through restorePlanner and continues with the same routes and counts', async () => {
    const { spec, gpu } = await twoRoutes();
    const deps = { clock: new ScaledClock(100) };
    const first = createPlanner(spec, deps);
    for (let i = 0; i < 6; i++) await step(first);
    const resumed = restorePlanner(JSON.parse(JSON.stringify(first.toJSON())), deps) as RemotePlanner;
    expect(resumed.strategy).toBe('remote');
    expect(resumed.observations).toEqual(first.observations);
    await step(resumed);
    expect(resumed.decisions.at(-1)).toMatchObject({ ask: 7, route: 1, fromRemote: 1 });
    expect(gpu.requests).toHaveLength(2);
    expect(resumed.routeTotals[1]?.calls).toBe(2);
  });
});
