import type { Fault } from '../contracts/index.ts';
import type { StepFaultError } from '../workflows/protocol.ts';

/** Base of the Lambda functions' errors. */
export class FunctionError extends Error {
  override name = 'FunctionError';
}

/**
 * A task failed with a fault, as data: the error's `name` is the fault's stable code (what Step Functions
 * `Retry`/`Catch` match on) and its message the fault as JSON, which the compiled workflow parses back.
 */
export class TaskFaultError extends FunctionError {
  constructor(
    readonly fault: Fault,
    options?: ErrorOptions,
  ) {
    super(JSON.stringify(fault), options);
    this.name = fault.code;
  }
}

/** A function's environment is missing or malformed; it fails at cold start, before any event. */
export class ConfigError extends FunctionError {
  override name = 'ConfigError';
}

/** An API request names something that does not exist (HTTP 404). */
export class NotFoundError extends FunctionError {
  override name = 'NotFoundError';
}

/** An API request conflicts with the current state (HTTP 409), e.g. resuming a campaign that is not paused. */
export class ConflictError extends FunctionError {
  override name = 'ConflictError';
}

/** An API request without a usable identity (HTTP 401): no JWT claims reached the function. */
export class UnauthorizedError extends FunctionError {
  override name = 'UnauthorizedError';
}

/** An API caller whose role may not do what it asked (HTTP 403). */
export class ForbiddenError extends FunctionError {
  override name = 'ForbiddenError';
}

/** An API request the function cannot read (HTTP 400, 413 or 415 by `status`), e.g. a body that is not JSON. */
export class BadRequestError extends FunctionError {
  override name = 'BadRequestError';
  constructor(
    message: string,
    readonly status: 400 | 413 | 415 = 400,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Rethrows a step fault from the shared protocol code as a {@link TaskFaultError}; anything else unchanged. The
 * fault is recognised by its stable `name`, not `instanceof`: importing the class would bundle jsonata (80 KB)
 * into every function that imports this module, rendering or not (ADR 0006).
 */
export function asTaskFault(error: unknown): never {
  if (error instanceof Error && error.name === 'StepFaultError' && 'fault' in error)
    throw new TaskFaultError((error as StepFaultError).fault, { cause: error });
  throw error;
}
