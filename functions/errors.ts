import type { Fault } from '../contracts/index.ts';
import { StepFaultError } from '../workflows/protocol.ts';

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

/** Rethrows a step fault from the shared protocol code as a {@link TaskFaultError}; anything else unchanged. */
export function asTaskFault(error: unknown): never {
  if (error instanceof StepFaultError) throw new TaskFaultError(error.fault, { cause: error });
  throw error;
}
