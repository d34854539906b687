/**
 * The error family of the planners. Every planner error is a {@link PlannerError}, so a caller can catch the
 * family with one `instanceof`; the subclasses say which contract was broken.
 */
export class PlannerError extends Error {
  override readonly name: string = 'PlannerError';
}

/** An observation told to a planner is unusable: a point outside the space, a missing or non-finite value. */
export class InvalidObservationError extends PlannerError {
  override readonly name = 'InvalidObservationError';
  constructor(
    /** 0-based position of the bad observation in the `tell` call. */
    readonly index: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`observation ${index}: ${message}`, options);
  }
}

/** A saved planner state cannot be restored: wrong shape, unknown strategy, or it disagrees with its spec. */
export class PlannerStateError extends PlannerError {
  override readonly name = 'PlannerStateError';
}

/** The spec asks for something this planner cannot do (too many dimensions, several objectives for `bo`). */
export class UnsupportedSpecError extends PlannerError {
  override readonly name = 'UnsupportedSpecError';
}

/** `ask` got an argument it cannot honour (a count that is not a positive integer, a bad pending point). */
export class InvalidRequestError extends PlannerError {
  override readonly name = 'InvalidRequestError';
}

/** The surrogate model could not be fitted (a covariance matrix that stays indefinite under maximum jitter). */
export class ModelFitError extends PlannerError {
  override readonly name = 'ModelFitError';
}
