/** Base of the dashboard server's errors (`runtime/api`). */
export class DashboardServerError extends Error {
  override name = 'DashboardServerError';
}

/**
 * A request the API answers with an error status. `code` is the stable name clients see in the JSON body
 * (`{ error: code, message }`): `Unauthorized`, `Forbidden`, `BadRequest`, `NotFound`, `Conflict`, …
 */
export class HttpError extends DashboardServerError {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
