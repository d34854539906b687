import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/** Logger, metrics and tracer of one function, created once per cold start. */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
}

/** Powertools for one function: structured logs, EMF metrics in the `labloop` namespace, X-Ray traces. */
export function observability(serviceName: string): Observability {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: 'labloop', serviceName }),
    tracer: new Tracer({ serviceName }),
  };
}

/**
 * Wraps a handler in Middy with Powertools' tracer, logger context and metrics flushing: the thin shell around
 * a core (STYLE §5).
 */
export function shell<E, R>(o: Observability, handler: (event: E, context: Context) => Promise<R>) {
  return middy(handler)
    .use(captureLambdaHandler(o.tracer))
    .use(injectLambdaContext(o.logger))
    .use(logMetrics(o.metrics));
}
