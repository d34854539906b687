import { PlannerError } from '../errors.ts';

/**
 * Why a call to a remote endpoint failed. These names are a public contract: they are recorded in the
 * planner's decision log and may be matched by callers.
 *
 * - `EndpointTimeout`: an attempt took longer than the route's `timeout` (retryable).
 * - `EndpointUnavailable`: a 5xx answer, or a SageMaker service/model fault (retryable).
 * - `EndpointRateLimited`: 429 or throttling (retryable, after `Retry-After` when given).
 * - `EndpointUnreachable`: connection refused or reset, DNS failure (retryable).
 * - `EndpointRejected`: a 4xx answer other than 429: the request is wrong, repeating it cannot help.
 * - `EndpointInvalidResponse`: the answer is not JSON, too large, or does not match the protocol's schema.
 * - `EndpointAborted`: the caller cancelled the call.
 */
export type EndpointErrorCode =
  | 'EndpointTimeout'
  | 'EndpointUnavailable'
  | 'EndpointRateLimited'
  | 'EndpointUnreachable'
  | 'EndpointRejected'
  | 'EndpointInvalidResponse'
  | 'EndpointAborted';

/** An error as data, the way it is recorded and sent across processes. */
export interface EndpointErrorData {
  code: EndpointErrorCode;
  message: string;
  retryable: boolean;
}

/** Extra facts about a failed call. */
export interface EndpointErrorDetails extends ErrorOptions {
  /** HTTP status, when the endpoint answered. */
  status?: number;
  /** ms the endpoint asked to wait (`Retry-After`). */
  retryAfterMs?: number;
  /** Attempts made before giving up; set by the client. */
  attempts?: number;
}

/** A remote endpoint call failed; `code` says how and `retryable` whether trying again may help. */
export class EndpointError extends PlannerError {
  override readonly name = 'EndpointError';
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly attempts: number;

  constructor(
    readonly code: EndpointErrorCode,
    message: string,
    details: EndpointErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.attempts = details.attempts ?? 1;
  }

  /** Whether another attempt may succeed. */
  get retryable(): boolean {
    return (
      this.code === 'EndpointTimeout' ||
      this.code === 'EndpointUnavailable' ||
      this.code === 'EndpointRateLimited' ||
      this.code === 'EndpointUnreachable'
    );
  }

  /** The error as data. */
  toData(): EndpointErrorData {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

/** A route cannot be set up: a missing API key variable, an adapter without what it needs. */
export class RemoteConfigError extends PlannerError {
  override readonly name = 'RemoteConfigError';
}
