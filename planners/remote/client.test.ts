import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ScaledClock } from '../../contracts/index.ts';
import type { EndpointAdapter } from './adapter.ts';
import { httpAdapter } from './adapters/http.ts';
import { InferenceClient } from './client.ts';
import { FREE } from './cost.ts';
import { EndpointError } from './errors.ts';
import { type FakeEndpoint, type FakeReply, startFakeEndpoint } from './internal/fake-endpoint.ts';
import { ManualClock } from './internal/manual-clock.ts';

const AnswerSchema = z.object({
  answer: z.number(),
  usage: z.object({ inputTokens: z.number() }).optional(),
});
const ok: FakeReply = { body: { answer: 42 } };

let endpoint: FakeEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

async function clientFor(
  replies: (n: number) => FakeReply,
  options: Partial<ConstructorParameters<typeof InferenceClient>[0]> = {},
) {
  endpoint = await startFakeEndpoint((_, n) => replies(n));
  // 100× faster than the wall clock: a 300 s timeout is 3 s, far above a loopback round trip on a busy machine.
  const clock = new ScaledClock(100);
  const client = new InferenceClient({
    adapter: httpAdapter({ url: `${endpoint.url}/plan`, clock }),
    timeoutMs: 300_000,
    retries: 2,
    backoffMs: 1000,
    clock,
    ...options,
  });
  return { client, clock, endpoint };
}

async function failure(promise: Promise<unknown>): Promise<EndpointError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EndpointError);
  return error as EndpointError;
}

describe('InferenceClient', () => {
  it('parses the answer and prices the reported usage', async () => {
    const { client } = await clientFor(() => ({ body: { answer: 42, usage: { inputTokens: 2_000_000 } } }), {
      price: { ...FREE, call: 0.01, inputTokens: 0.5 },
    });
    const result = await client.call({ q: 1 }, AnswerSchema, {
      subject: 'test call',
      usage: (v) => v.usage ?? {},
    });
    expect(result.value.answer).toBe(42);
    expect(result.attempts).toBe(1);
    expect(result.cost).toBeCloseTo(0.01 + 1.0, 10);
    expect(client.totals).toMatchObject({ calls: 1, failures: 0, attempts: 1, inputTokens: 2_000_000 });
    await client.call({ q: 2 }, AnswerSchema, { subject: 'again', usage: (v) => v.usage ?? {} });
    expect(client.totals.cost).toBeCloseTo(2.02, 10);
    expect(endpoint?.requests[0]?.body).toEqual({ q: 1 });
    expect(endpoint?.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('retries 5xx with growing backoff and succeeds', async () => {
    const { client, clock, endpoint } = await clientFor((n) => (n < 2 ? { status: 503, body: {} } : ok), {
      backoffMs: 1000,
    });
    const started = clock.now();
    const result = await client.call({}, AnswerSchema, { subject: 'flaky call' });
    expect(result.attempts).toBe(3);
    expect(endpoint.requests).toHaveLength(3);
    // Two waits: at least 0.5 × 1 s and 0.5 × 2 s with the ±50 % jitter.
    expect(clock.now() - started).toBeGreaterThanOrEqual(1500);
    expect(client.totals).toMatchObject({ calls: 1, failures: 0, attempts: 3 });
  });

  it('gives up after the last retry with the code and attempts', async () => {
    const { client, endpoint } = await clientFor(() => ({
      status: 500,
      body: { error: { code: 'CudaOutOfMemory', message: 'GPU 0 is full' } },
    }));
    const error = await failure(client.call({}, AnswerSchema, { subject: 'plan request 7' }));
    expect(error.code).toBe('EndpointUnavailable');
    expect(error.attempts).toBe(3);
    expect(error.message).toContain('plan request 7');
    expect(error.message).toContain('failed after 3 attempts');
    expect(error.message).toContain('CudaOutOfMemory: GPU 0 is full');
    expect(endpoint.requests).toHaveLength(3);
    expect(client.totals).toMatchObject({ calls: 1, failures: 1, attempts: 3 });
  });

  it('waits as long as Retry-After asks on 429', async () => {
    const { client, clock, endpoint } = await clientFor((n) =>
      n === 0 ? { status: 429, headers: { 'retry-after': '5' }, body: { error: 'slow down' } } : ok,
    );
    const started = clock.now();
    await client.call({}, AnswerSchema, { subject: 'rate limited call' });
    expect(endpoint.requests).toHaveLength(2);
    expect(clock.now() - started).toBeGreaterThanOrEqual(5000);
  });

  it('gives up at once when Retry-After is longer than allowed', async () => {
    const { client, endpoint } = await clientFor(
      () => ({ status: 429, headers: { 'retry-after': '3600' } }),
      {
        maxRetryAfterMs: 60_000,
      },
    );
    const error = await failure(client.call({}, AnswerSchema, { subject: 'call' }));
    expect(error.code).toBe('EndpointRateLimited');
    expect(error.message).toContain('retry after 3600 s');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('never retries a 4xx, and says what the endpoint objected to', async () => {
    const { client, endpoint } = await clientFor(() => ({
      status: 422,
      body: { error: { code: 'BadSpace', message: 'space has 300 parameters, at most 100' } },
    }));
    const error = await failure(client.call({}, AnswerSchema, { subject: 'call' }));
    expect(error.code).toBe('EndpointRejected');
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(422);
    expect(error.message).toContain('space has 300 parameters');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('never retries an answer that breaks the schema, and names the bad field', async () => {
    const { client, endpoint } = await clientFor(() => ({ body: { answer: 'forty-two' } }));
    const error = await failure(client.call({}, AnswerSchema, { subject: 'call' }));
    expect(error.code).toBe('EndpointInvalidResponse');
    expect(error.message).toMatch(/answer: .*number.*forty-two/);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('refuses a 200 that is not JSON', async () => {
    const { client } = await clientFor(() => ({ raw: '<html>502 Bad Gateway</html>' }));
    const error = await failure(client.call({}, AnswerSchema, { subject: 'call' }));
    expect(error.code).toBe('EndpointInvalidResponse');
    expect(error.message).toContain('<html>502 Bad Gateway</html>');
  });

  it('refuses an answer larger than the limit', async () => {
    endpoint = await startFakeEndpoint(() => ({ raw: JSON.stringify({ answer: 1, pad: 'x'.repeat(5000) }) }));
    const client = new InferenceClient({
      adapter: httpAdapter({ url: endpoint.url, maxResponseBytes: 1000 }),
      timeoutMs: 300_000,
      clock: new ScaledClock(100),
    });
    const error = await failure(client.call({}, AnswerSchema, { subject: 'call' }));
    expect(error.code).toBe('EndpointInvalidResponse');
    expect(error.message).toContain('1000 bytes');
  });

  it('times out a slow endpoint on every attempt', async () => {
    const { client, clock, endpoint } = await clientFor(() => ({ hang: true }), {
      retries: 1,
      timeoutMs: 10_000,
    });
    const started = clock.now();
    const error = await failure(client.call({}, AnswerSchema, { subject: 'call' }));
    expect(error.code).toBe('EndpointTimeout');
    expect(error.message).toContain('did not answer within 10 s');
    expect(endpoint.requests).toHaveLength(2);
    expect(clock.now() - started).toBeGreaterThanOrEqual(20_000);
  });

  it('retries a dropped connection', async () => {
    const { client, endpoint } = await clientFor((n) => (n === 0 ? { drop: true } : ok));
    const result = await client.call({}, AnswerSchema, { subject: 'call' });
    expect(result.attempts).toBe(2);
    expect(endpoint.requests).toHaveLength(2);
  });

  it('reports an endpoint nobody listens on as unreachable', async () => {
    const closed = await startFakeEndpoint(() => ok);
    await closed.close();
    const client = new InferenceClient({
      adapter: httpAdapter({ url: closed.url }),
      timeoutMs: 300_000,
      retries: 1,
      clock: new ScaledClock(100),
    });
    const error = await failure(client.call({}, AnswerSchema, { subject: 'call' }));
    expect(error.code).toBe('EndpointUnreachable');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.attempts).toBe(2);
  });

  it('times out an adapter that ignores its abort signal', async () => {
    const clock = new ManualClock();
    const stuck: EndpointAdapter = {
      kind: 'test',
      target: 'stuck',
      send: () => new Promise(() => undefined),
    };
    const client = new InferenceClient({ adapter: stuck, timeoutMs: 10_000, retries: 0, clock });
    const pending = failure(client.call({}, AnswerSchema, { subject: 'call' }));
    await Promise.resolve();
    clock.advance(10_000);
    expect((await pending).code).toBe('EndpointTimeout');
  });

  it('stops when the caller aborts, during a backoff wait too', async () => {
    const { client } = await clientFor(() => ({ status: 503 }), { backoffMs: 60_000, retries: 5 });
    const controller = new AbortController();
    const pending = failure(client.call({}, AnswerSchema, { subject: 'call', signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);
    const error = await pending;
    expect(error.code).toBe('EndpointAborted');
  });

  it('bills GPU time by the hour: reported compute seconds, else the time taken', async () => {
    const clock = new ManualClock();
    const adapter: EndpointAdapter = {
      kind: 'test',
      target: 'gpu',
      send: async (body) => {
        clock.advance(1_800_000);
        return { answer: 1, computeSeconds: (body as { reported?: number }).reported };
      },
    };
    const schema = z.object({ answer: z.number(), computeSeconds: z.number().optional() });
    const client = new InferenceClient({ adapter, timeoutMs: 3_600_000, clock, price: { ...FREE, hour: 4 } });
    const timed = await client.call({}, schema, { subject: 'timed' });
    expect(timed.elapsedSeconds).toBe(1800);
    expect(timed.cost).toBeCloseTo(2, 10);
    const reported = await client.call({ reported: 900 }, schema, {
      subject: 'reported',
      usage: (v) => (v.computeSeconds === undefined ? {} : { computeSeconds: v.computeSeconds }),
    });
    expect(reported.cost).toBeCloseTo(1, 10);
    expect(client.totals).toMatchObject({ calls: 2, seconds: 2700 });
    expect(client.totals.cost).toBeCloseTo(3, 10);
  });

  it('rethrows an adapter bug as it is, after counting the call', async () => {
    const adapter: EndpointAdapter = {
      kind: 'test',
      target: 'buggy',
      send: async () => {
        throw new TypeError('cannot read properties of undefined');
      },
    };
    const client = new InferenceClient({ adapter, timeoutMs: 1000, clock: new ManualClock() });
    await expect(client.call({}, AnswerSchema, { subject: 'call' })).rejects.toThrow(TypeError);
    expect(client.totals).toMatchObject({ calls: 1, failures: 1, attempts: 1 });
  });
});
