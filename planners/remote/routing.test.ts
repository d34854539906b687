import { describe, expect, it } from 'vitest';
import { type RemoteRoute, RemoteRouteSchema } from '../../contracts/index.ts';
import { chooseRoute } from './routing.ts';

const llm: RemoteRoute = RemoteRouteSchema.parse({
  adapter: 'openai',
  endpoint: 'http://127.0.0.1:8000/v1',
  model: 'qwen',
  when: { maxObservations: 10 },
});
const gpu: RemoteRoute = RemoteRouteSchema.parse({
  adapter: 'sagemaker',
  endpoint: 'gp-planner',
  when: { minObservations: 200, minDimensions: 6 },
  maxCost: 5,
});
const situation = { observations: 0, dimensions: 6, objectives: 1, count: 4 };

describe('chooseRoute', () => {
  it('takes the first route whose conditions hold', () => {
    expect(chooseRoute([llm, gpu], situation, [0, 0]).route).toBe(0);
    const late = chooseRoute([llm, gpu], { ...situation, observations: 250 }, [0, 0]);
    expect(late.route).toBe(1);
    expect(late.reason).toContain(
      'route 1 (sagemaker gp-planner): when holds (250 observations, 6 parameters',
    );
  });

  it('stays local and says why each route did not apply', () => {
    const middle = chooseRoute([llm, gpu], { ...situation, observations: 50 }, [0, 0]);
    expect(middle.route).toBeUndefined();
    expect(middle.reason).toBe(
      'local: route 0 (openai qwen): 50 observations > maxObservations 10; route 1 (sagemaker gp-planner): 50 observations < minObservations 200',
    );
    expect(chooseRoute([gpu], { ...situation, observations: 300, dimensions: 3 }, [0]).reason).toContain(
      '3 parameters < minDimensions 6',
    );
  });

  it('stays local once a route has spent its maxCost', () => {
    const spent = chooseRoute([gpu], { ...situation, observations: 300 }, [5.2]);
    expect(spent.route).toBeUndefined();
    expect(spent.reason).toContain('spent 5.2000 ≥ maxCost 5');
  });

  it('checks objectives and batch size', () => {
    const multi = RemoteRouteSchema.parse({
      adapter: 'http',
      endpoint: 'https://mobo.example.org/plan',
      when: { minObjectives: 2, minBatch: 8 },
    });
    expect(chooseRoute([multi], situation, [0]).reason).toContain('1 objectives < minObjectives 2');
    expect(chooseRoute([multi], { ...situation, objectives: 2 }, [0]).reason).toContain(
      '4 asked < minBatch 8',
    );
    expect(chooseRoute([multi], { ...situation, objectives: 2, count: 8 }, [0]).route).toBe(0);
  });
});

describe('RemoteRouteSchema', () => {
  it('requires a model for chat and KServe routes, a URL or an endpoint name', () => {
    const issues = (route: unknown) =>
      RemoteRouteSchema.safeParse(route).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ adapter: 'openai', endpoint: 'http://x/v1' })).toEqual([
      'model: the openai adapter needs a model',
    ]);
    expect(issues({ adapter: 'http', endpoint: 'planner.local' })).toEqual([
      'endpoint: must be an http(s) URL',
    ]);
    expect(issues({ adapter: 'sagemaker', endpoint: 'https://runtime.sagemaker' })).toEqual([
      'endpoint: must be a SageMaker endpoint name',
    ]);
    expect(RemoteRouteSchema.parse({ adapter: 'sagemaker', endpoint: 'gp-planner' })).toMatchObject({
      timeout: 60,
      retries: 2,
      backoff: 1,
      price: { call: 0, inputTokens: 0, outputTokens: 0, hour: 0 },
      when: { minObservations: 0 },
    });
  });
});
