import {
  InvokeEndpointCommand,
  ModelError,
  SageMakerRuntimeClient,
  ServiceUnavailable,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ScaledClock } from '../../../contracts/index.ts';
import { InferenceClient } from '../client.ts';
import { EndpointError } from '../errors.ts';
import { type FakeEndpoint, startFakeEndpoint } from '../internal/fake-endpoint.ts';
import { openAiAdapter, parseRetryAfter } from './http.ts';
import { kserveAdapter } from './kserve.ts';
import { fromSageMakerError, sageMakerAdapter } from './sagemaker.ts';

const AnswerSchema = z.object({ proposals: z.array(z.unknown()) });
const answer = { proposals: [{ parameters: { x: 0.5 } }] };
const signal = () => new AbortController().signal;

let endpoint: FakeEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and ignores the unreadable', () => {
    expect(parseRetryAfter('7', 0)).toBe(7000);
    expect(parseRetryAfter('1.5', 0)).toBe(1500);
    const now = Date.parse('Sun, 22 Nov 2026 10:00:00 GMT');
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('kserveAdapter', () => {
  it('sends the plan request as one BYTES tensor and reads the JSON answer from the response tensor', async () => {
    endpoint = await startFakeEndpoint(() => ({
      body: {
        model_name: 'gp',
        outputs: [{ name: 'response', datatype: 'BYTES', shape: [1], data: [JSON.stringify(answer)] }],
      },
    }));
    const adapter = kserveAdapter({ baseUrl: `${endpoint.url}/`, model: 'gp planner' });
    const result = await adapter.send({ requestId: 'r-1', count: 1 }, signal());
    expect(result).toEqual(answer);
    const request = endpoint.requests[0];
    expect(request?.path).toBe('/v2/models/gp%20planner/infer');
    expect(request?.body).toEqual({
      id: 'r-1',
      inputs: [
        {
          name: 'request',
          shape: [1],
          datatype: 'BYTES',
          data: [JSON.stringify({ requestId: 'r-1', count: 1 })],
        },
      ],
      outputs: [{ name: 'response' }],
    });
  });

  it.each([
    ['no outputs', { outputs: [] }, 'v2 inference response'],
    [
      'the wrong tensor',
      { outputs: [{ name: 'y', datatype: 'FP32', shape: [1], data: [0.5] }] },
      'BYTES output tensor',
    ],
    [
      'a tensor that is not JSON',
      { outputs: [{ name: 'response', datatype: 'BYTES', shape: [1], data: ['{oops'] }] },
      'not JSON',
    ],
  ])('refuses an answer with %s', async (_, body, message) => {
    endpoint = await startFakeEndpoint(() => ({ body }));
    const adapter = kserveAdapter({ baseUrl: endpoint.url, model: 'gp' });
    const error = await adapter.send({}, signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointError);
    expect((error as EndpointError).code).toBe('EndpointInvalidResponse');
    expect((error as EndpointError).message).toContain(message);
  });

  it('passes a KServe error body through as the reason', async () => {
    endpoint = await startFakeEndpoint(() => ({
      status: 400,
      body: { error: 'unexpected input shape [2]' },
    }));
    const error = (await kserveAdapter({ baseUrl: endpoint.url, model: 'gp' })
      .send({}, signal())
      .catch((e: unknown) => e)) as EndpointError;
    expect(error.code).toBe('EndpointRejected');
    expect(error.message).toContain('unexpected input shape [2]');
  });
});

describe('openAiAdapter', () => {
  it('posts to {baseUrl}/chat/completions with the bearer token', async () => {
    endpoint = await startFakeEndpoint(() => ({ body: { choices: [] } }));
    const adapter = openAiAdapter({ baseUrl: `${endpoint.url}/v1/`, apiKey: 'sk-test' });
    await adapter.send({ model: 'm', messages: [] }, signal());
    expect(endpoint.requests[0]?.path).toBe('/v1/chat/completions');
    expect(endpoint.requests[0]?.headers.authorization).toBe('Bearer sk-test');
  });
});

describe('sageMakerAdapter', () => {
  const sagemaker = mockClient(SageMakerRuntimeClient);
  beforeEach(() => sagemaker.reset());
  const client = () =>
    new InferenceClient({
      adapter: sageMakerAdapter({
        endpointName: 'gp-planner',
        client: new SageMakerRuntimeClient({ region: 'eu-west-1' }),
        inferenceComponentName: 'gp-v2',
      }),
      timeoutMs: 300_000,
      retries: 2,
      backoffMs: 100,
      clock: new ScaledClock(100),
    });
  const body = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  it('invokes the endpoint with the JSON request and parses the JSON body', async () => {
    sagemaker
      .on(InvokeEndpointCommand)
      .resolves({ Body: body(answer) as never, ContentType: 'application/json' });
    const result = await client().call({ requestId: 'r-9', count: 1 }, AnswerSchema, {
      subject: 'plan request r-9',
    });
    expect(result.value).toEqual(answer);
    const calls = sagemaker.commandCalls(InvokeEndpointCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input).toMatchObject({
      EndpointName: 'gp-planner',
      ContentType: 'application/json',
      Accept: 'application/json',
      InferenceComponentName: 'gp-v2',
    });
    expect(JSON.parse(new TextDecoder().decode(input?.Body as Uint8Array))).toEqual({
      requestId: 'r-9',
      count: 1,
    });
  });

  it('retries throttling and service faults, then succeeds', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    sagemaker
      .on(InvokeEndpointCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(new ServiceUnavailable({ message: 'try later', $metadata: { httpStatusCode: 503 } }))
      .resolves({ Body: body(answer) as never });
    const result = await client().call({}, AnswerSchema, { subject: 'call' });
    expect(result.attempts).toBe(3);
  });

  it('does not retry a validation error or a model 4xx', async () => {
    sagemaker
      .on(InvokeEndpointCommand)
      .rejects(
        new ValidationError({ message: 'Endpoint gp-planner not found', $metadata: { httpStatusCode: 400 } }),
      );
    const error = (await client()
      .call({}, AnswerSchema, { subject: 'call' })
      .catch((e: unknown) => e)) as EndpointError;
    expect(error.code).toBe('EndpointRejected');
    expect(error.message).toContain('Endpoint gp-planner not found');
    expect(sagemaker.commandCalls(InvokeEndpointCommand)).toHaveLength(1);
  });

  it('reads the status the model container answered with', () => {
    const modelError = (status: number) =>
      new ModelError({
        message: 'model failed',
        OriginalStatusCode: status,
        OriginalMessage: 'CUDA out of memory',
        $metadata: { httpStatusCode: 424 },
      });
    expect(fromSageMakerError(modelError(500), 'gp').code).toBe('EndpointUnavailable');
    expect(fromSageMakerError(modelError(429), 'gp').code).toBe('EndpointRateLimited');
    const rejected = fromSageMakerError(modelError(400), 'gp');
    expect(rejected.code).toBe('EndpointRejected');
    expect(rejected.message).toContain('CUDA out of memory');
    expect(
      fromSageMakerError(Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error' }), 'gp').code,
    ).toBe('EndpointUnreachable');
  });

  it('refuses a body that is not JSON', async () => {
    sagemaker
      .on(InvokeEndpointCommand)
      .resolves({ Body: new TextEncoder().encode('Traceback (most recent call last)') as never });
    const error = (await client()
      .call({}, AnswerSchema, { subject: 'call' })
      .catch((e: unknown) => e)) as EndpointError;
    expect(error.code).toBe('EndpointInvalidResponse');
    expect(error.message).toContain('Traceback');
  });
});
