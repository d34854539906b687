import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { type DesignSpace, parseWith, ScaledClock } from '../../contracts/index.ts';
import { PlannerSpecSchema } from '../planner.ts';
import { SobolPlanner } from '../sobol-planner.ts';
import { createRemotePlanner } from './create-remote-planner.ts';
import { type FakeEndpoint, startFakeEndpoint } from './internal/fake-endpoint.ts';
import { honestPlan } from './internal/plan-fixtures.ts';
import { PlanRequestSchema } from './protocol.ts';
import { localSpecOf } from './remote-planner.ts';

const space: DesignSpace = [
  { name: 'power', type: 'continuous', low: 100, high: 400, scale: 'linear', unit: 'W' },
  { name: 'speed', type: 'continuous', low: 1, high: 1000, scale: 'log', unit: 'mm/s' },
];
const specFor = (remote: Record<string, unknown>) =>
  parseWith(
    PlannerSpecSchema,
    {
      space,
      objectives: [{ name: 'density', goal: 'maximise' }],
      planner: { strategy: 'sobol', remote: { timeout: 600, ...remote } },
      seed: 5,
    },
    'spec',
  );

let endpoint: FakeEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

describe('routes by adapter', () => {
  it('kserve: the plan travels in a v2 inference request to the named model', async () => {
    endpoint = await startFakeEndpoint(async (request) => {
      const inputs = (request.body as { inputs: Array<{ data: string[] }> }).inputs;
      const plan = await honestPlan(JSON.parse(inputs[0]?.data[0] ?? '{}'));
      return {
        body: {
          model_name: 'gp',
          outputs: [{ name: 'response', datatype: 'BYTES', shape: [1], data: [JSON.stringify(plan)] }],
        },
      };
    });
    const spec = specFor({
      adapter: 'kserve',
      endpoint: endpoint.url,
      model: 'gp',
      options: { restarts: 8 },
    });
    const planner = createRemotePlanner(spec, new SobolPlanner(localSpecOf(spec)), {
      clock: new ScaledClock(100),
    });
    const proposals = await planner.ask(3);
    expect(proposals).toHaveLength(3);
    expect(planner.decisions[0]).toMatchObject({
      fromRemote: 3,
      failure: null,
      target: `${endpoint.url}/v2/models/gp/infer`,
    });
    const v2 = endpoint.requests[0]?.body as { inputs: Array<{ data: string[] }> } | undefined;
    const sent = JSON.parse(v2?.inputs[0]?.data[0] ?? '');
    expect(parseWith(PlanRequestSchema, sent, 'plan request').model).toEqual({
      kind: 'gp',
      options: { restarts: 8 },
    });
  });

  it('sagemaker: InvokeEndpoint on the named endpoint, priced by the compute seconds it reports', async () => {
    const sagemaker = mockClient(SageMakerRuntimeClient);
    sagemaker.on(InvokeEndpointCommand).callsFake(async (input: { Body: Uint8Array }) => ({
      Body: new TextEncoder().encode(
        JSON.stringify(await honestPlan(JSON.parse(new TextDecoder().decode(input.Body)), 18)),
      ),
    }));
    const spec = specFor({
      adapter: 'sagemaker',
      endpoint: 'gp-planner',
      price: { hour: 4 },
      when: { minObservations: 0 },
    });
    const planner = createRemotePlanner(spec, new SobolPlanner(localSpecOf(spec)), {
      clock: new ScaledClock(100),
      sageMakerClient: new SageMakerRuntimeClient({ region: 'eu-west-1' }),
    });
    await planner.ask(2);
    expect(sagemaker.commandCalls(InvokeEndpointCommand)[0]?.args[0].input.EndpointName).toBe('gp-planner');
    expect(planner.decisions[0]).toMatchObject({
      fromRemote: 2,
      seconds: 18,
      target: 'sagemaker:gp-planner',
    });
    expect(planner.decisions[0]?.cost).toBeCloseTo(0.02, 10);
    sagemaker.restore();
  });
});
