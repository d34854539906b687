/** Base of the alert errors (`runtime/alerts`). */
export class AlertError extends Error {
  override name = 'AlertError';
}

/** An alert id that the inbox does not hold (acknowledging something that never was, or a typo). */
export class AlertNotFoundError extends AlertError {
  override name = 'AlertNotFoundError';
}

/**
 * A notification could not be delivered: the receiver answered with an error status, timed out or could not be
 * reached. `status` is the HTTP status when there was one.
 */
export class NotifierError extends AlertError {
  override name = 'NotifierError';
  constructor(
    /** Which notifier failed, e.g. `webhook` or `web-push`. */
    readonly notifier: string,
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(`${notifier}: ${message}`, options);
  }
}
