import type { InvokeEndpointCommandInput, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { EndpointAdapter } from '../adapter.ts';
import { EndpointError } from '../errors.ts';

/** What the SageMaker adapter needs. */
export interface SageMakerAdapterOptions {
  /** The real-time endpoint's name. */
  endpointName: string;
  /**
   * A client to send with; tests pass one mocked with aws-sdk-client-mock. When absent, the SDK is loaded on
   * first use and a client is made for `region` with the SDK's own retries off (the inference client retries).
   */
  client?: SageMakerRuntimeClient;
  /** @default the SDK's region resolution (AWS_REGION, profile) */
  region?: string;
  /** For an endpoint that hosts several inference components. */
  inferenceComponentName?: string;
  /** Routes the call to one production variant. */
  targetVariant?: string;
}

type SdkModule = typeof import('@aws-sdk/client-sagemaker-runtime');

// The SDK is loaded only when a SageMaker route is used, so importing planners never loads an AWS SDK.
let sdk: Promise<SdkModule> | undefined;
function loadSdk(): Promise<SdkModule> {
  sdk ??= import('@aws-sdk/client-sagemaker-runtime');
  return sdk;
}

const RETRYABLE_FAULTS = new Set([
  'ServiceUnavailable',
  'InternalFailure',
  'InternalDependencyException',
  'ModelNotReadyException',
]);

interface SdkFailure {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  OriginalStatusCode?: number;
  OriginalMessage?: string;
}

/** Maps an SDK exception to an `EndpointError` that says whether another attempt may help. */
export function fromSageMakerError(error: unknown, endpointName: string): EndpointError {
  const e = (error ?? {}) as SdkFailure;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const where = `SageMaker endpoint ${endpointName}`;
  if (name === 'ModelError') {
    const original = e.OriginalStatusCode;
    const detail =
      `${where}: the model answered ${original ?? 'an error'}: ${e.OriginalMessage ?? e.message ?? ''}`.trim();
    if (original === 429)
      return new EndpointError('EndpointRateLimited', detail, { status: original, cause: error });
    if (original !== undefined && original >= 500)
      return new EndpointError('EndpointUnavailable', detail, { status: original, cause: error });
    return new EndpointError('EndpointRejected', detail, { status: original ?? status, cause: error });
  }
  const detail = `${where}: ${name}: ${e.message ?? ''}`.trim();
  if (name === 'ThrottlingException' || status === 429)
    return new EndpointError('EndpointRateLimited', detail, { status, cause: error });
  if (RETRYABLE_FAULTS.has(name) || e.$fault === 'server' || (status !== undefined && status >= 500))
    return new EndpointError('EndpointUnavailable', detail, { status, cause: error });
  if (e.$fault === 'client' || status !== undefined)
    return new EndpointError('EndpointRejected', detail, { status, cause: error });
  return new EndpointError(
    'EndpointUnreachable',
    `cannot reach ${where}: ${name}: ${e.message ?? ''}`.trim(),
    {
      cause: error,
    },
  );
}

/**
 * A SageMaker real-time endpoint (`InvokeEndpoint`) whose container speaks labloop's plan protocol as JSON.
 *
 * @example
 * const adapter = sageMakerAdapter({ endpointName: 'gp-planner', region: 'eu-west-1' });
 */
export function sageMakerAdapter(options: SageMakerAdapterOptions): EndpointAdapter {
  let client: Promise<SageMakerRuntimeClient> | undefined = options.client && Promise.resolve(options.client);
  const clientFor = (module: SdkModule) =>
    new module.SageMakerRuntimeClient({
      maxAttempts: 1,
      ...(options.region === undefined ? {} : { region: options.region }),
    });
  return {
    kind: 'sagemaker',
    target: `sagemaker:${options.endpointName}`,
    async send(body, signal) {
      const module = await loadSdk();
      client ??= Promise.resolve(clientFor(module));
      const input: InvokeEndpointCommandInput = {
        EndpointName: options.endpointName,
        Body: new TextEncoder().encode(JSON.stringify(body)),
        ContentType: 'application/json',
        Accept: 'application/json',
        ...(options.inferenceComponentName === undefined
          ? {}
          : { InferenceComponentName: options.inferenceComponentName }),
        ...(options.targetVariant === undefined ? {} : { TargetVariant: options.targetVariant }),
      };
      let text: string;
      try {
        const output = await (await client).send(new module.InvokeEndpointCommand(input), {
          abortSignal: signal,
        });
        text = output.Body === undefined ? '' : new TextDecoder().decode(output.Body);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        throw fromSageMakerError(error, options.endpointName);
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new EndpointError(
          'EndpointInvalidResponse',
          `SageMaker endpoint ${options.endpointName} answered with a body that is not JSON: ${text.slice(0, 80)}`,
          { cause: error },
        );
      }
    },
  };
}
