/**
 * A wire format for one kind of endpoint: it sends one JSON body and returns the endpoint's JSON answer, or
 * throws an `EndpointError` that says whether trying again may help. Timeouts, retries, schema checks and
 * cost accounting are the client's job, so an adapter stays a thin translation.
 */
export interface EndpointAdapter {
  /** `http`, `kserve`, `sagemaker`, `openai`. */
  readonly kind: string;
  /** Where calls go (a URL or an endpoint name), for messages. */
  readonly target: string;
  /** Sends `body`; gives up when `signal` aborts. */
  send(body: unknown, signal: AbortSignal): Promise<unknown>;
}
