import { afterEach, describe, expect, it } from 'vitest';
import { type DesignSpace, parseWith, pointError, ScaledClock } from '../../contracts/index.ts';
import type { ChatCompletionRequest } from '../llm/index.ts';
import { PlannerSpecSchema } from '../planner.ts';
import { SobolPlanner } from '../sobol-planner.ts';
import { createRemotePlanner } from './create-remote-planner.ts';
import { type FakeEndpoint, startFakeEndpoint } from './internal/fake-endpoint.ts';
import { localSpecOf, type RemotePlanner } from './remote-planner.ts';

const space: DesignSpace = [
  { name: 'x', type: 'continuous', low: 0, high: 1, scale: 'linear', unit: 'mm' },
  { name: 'n', type: 'integer', low: 1, high: 5 },
  { name: 'kind', type: 'categorical', choices: ['a', 'b'] },
];

let endpoint: FakeEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

const completion = (content: string) => ({
  id: 'chatcmpl-1',
  model: 'fake-llm',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500 },
});

async function llmPlanner(
  answer: (request: ChatCompletionRequest, n: number) => string,
): Promise<RemotePlanner> {
  endpoint = await startFakeEndpoint((request, n) => ({
    body: completion(answer(request.body as ChatCompletionRequest, n)),
  }));
  const spec = parseWith(
    PlannerSpecSchema,
    {
      space,
      objectives: [{ name: 'strength', goal: 'maximise', unit: 'MPa' }],
      planner: {
        strategy: 'sobol',
        remote: {
          adapter: 'openai',
          endpoint: `${endpoint.url}/v1`,
          model: 'fake-llm',
          apiKeyEnv: 'LLM_KEY',
          timeout: 600,
          price: { inputTokens: 2.5, outputTokens: 10 },
        },
      },
      seed: 11,
    },
    'spec',
  );
  return createRemotePlanner(spec, new SobolPlanner(localSpecOf(spec)), {
    clock: new ScaledClock(100),
    env: { LLM_KEY: 'sk-local' },
  });
}

const proposalsJson = (...points: unknown[]) =>
  JSON.stringify({ proposals: points.map((p, i) => ({ parameters: p, rationale: `idea ${i}` })) });

describe('LLM planner over an OpenAI-compatible endpoint', () => {
  it('prompts with the space and history, uses the screened answer, and prices the tokens', async () => {
    const planner = await llmPlanner(() =>
      proposalsJson({ x: 0.2, n: 2, kind: 'a' }, { x: 0.8, n: 4, kind: 'b' }),
    );
    planner.tell([{ parameters: { x: 0.5, n: 3, kind: 'a' }, values: { strength: 41.5 } }]);
    const proposals = await planner.ask(2);
    expect(proposals.map((p) => p.parameters)).toEqual([
      { x: 0.2, n: 2, kind: 'a' },
      { x: 0.8, n: 4, kind: 'b' },
    ]);
    const sent = endpoint?.requests[0];
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe('Bearer sk-local');
    const body = sent?.body as ChatCompletionRequest;
    expect(body).toMatchObject({ model: 'fake-llm', response_format: { type: 'json_object' } });
    const prompt = body.messages[1]?.content ?? '';
    expect(prompt).toContain('- x: continuous number from 0 to 1 mm (linear scale)');
    expect(prompt).toContain('- strength (MPa): maximise');
    expect(prompt).toContain('x,n,kind,strength\n0.5,3,"a",41.5');
    const decision = planner.decisions[0];
    expect(decision).toMatchObject({
      fromRemote: 2,
      fromLocal: 0,
      notes: ['idea 0', 'idea 1'],
      model: { name: 'fake-llm' },
    });
    expect(decision?.cost).toBeCloseTo(1200 * 2.5e-6 + 300 * 10e-6, 12);
    expect(planner.routeTotals[0]).toMatchObject({ inputTokens: 1200, outputTokens: 300 });
  });

  it('rejects what lies outside the space or repeats, with reasons, and fills in from the fallback', async () => {
    const planner = await llmPlanner(
      () =>
        'Here are my suggestions:\n```json\n' +
        proposalsJson(
          { x: 1.2, n: 2, kind: 'a' },
          { x: '0.3', n: 2, kind: 'a' },
          { x: 0.3, n: 2.5, kind: 'a' },
          { x: 0.3, n: 2, kind: 'c' },
          { x: 0.3, n: 2, kind: 'a', temperature: 80 },
          { x: 0.5, n: 3, kind: 'a' },
          { x: 0.4, n: 1, kind: 'b' },
        ) +
        '\n```\nThese balance exploration and exploitation.',
    );
    planner.tell([{ parameters: { x: 0.5, n: 3, kind: 'a' }, values: { strength: 41.5 } }]);
    const proposals = await planner.ask(4);
    expect(proposals).toHaveLength(4);
    expect(proposals[0]?.parameters).toEqual({ x: 0.4, n: 1, kind: 'b' });
    for (const p of proposals) expect(pointError(space, p.parameters)).toBeUndefined();
    expect(new Set(proposals.map((p) => JSON.stringify(p.parameters))).size).toBe(4);
    const decision = planner.decisions[0];
    expect(decision).toMatchObject({ offered: 7, fromRemote: 1, fromLocal: 3, notes: ['idea 6'] });
    expect(decision?.rejected.map((r) => r.reason)).toEqual([
      'proposal 0: outside the design space: x must be 0–1 mm, got 1.2',
      'proposal 1: outside the design space: x must be a number, got "0.3"',
      'proposal 2: outside the design space: n must be an integer, got 2.5',
      'proposal 3: outside the design space: kind must be one of a, b, got "c"',
      'proposal 4: outside the design space: temperature is not a parameter of the design space',
      'proposal 5: duplicates observation 0',
    ]);
  });

  it('falls back when the answer is unusable, and still counts the tokens it cost', async () => {
    const planner = await llmPlanner((_, n) =>
      n === 0
        ? 'As an AI model I would suggest a moderate thickness.'
        : proposalsJson({ x: 0.1, n: 1, kind: 'a' }),
    );
    const proposals = await planner.ask(3);
    expect(proposals).toHaveLength(3);
    expect(planner.decisions[0]).toMatchObject({
      fromRemote: 0,
      fromLocal: 3,
      failure: { code: 'LlmAnswerError', retryable: false },
    });
    expect(planner.decisions[0]?.failure?.message).toContain('holds no JSON: As an AI model');
    expect(planner.decisions[0]?.cost).toBeGreaterThan(0);
    await planner.ask(1);
    expect(planner.decisions[1]).toMatchObject({ fromRemote: 1, failure: null });
  });
});
