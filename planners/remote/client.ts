import type { z } from 'zod';
import { type Clock, createRng, formatIssues, type Rng, sleep, systemClock } from '../../contracts/index.ts';
import type { EndpointAdapter } from './adapter.ts';
import { addCharge, type CostTotals, callCost, type EndpointPrice, emptyTotals, FREE } from './cost.ts';
import { EndpointError } from './errors.ts';
import type { Usage } from './protocol.ts';

/** How the client calls one endpoint. */
export interface InferenceClientOptions {
  adapter: EndpointAdapter;
  /** ms per attempt. */
  timeoutMs: number;
  /** Further attempts after a retryable failure. @default 2 */
  retries?: number;
  /** ms before the first retry; doubles each retry, then ±50 % jitter. @default 1000 */
  backoffMs?: number;
  /** Longest wait between attempts the client chooses itself. @default 30000 */
  maxBackoffMs?: number;
  /** An endpoint that asks for a longer `Retry-After` than this is given up on at once. @default 120000 */
  maxRetryAfterMs?: number;
  /** @default FREE */
  price?: EndpointPrice;
  /** Times attempts and backoff waits. @default systemClock */
  clock?: Clock;
  /** Draws the jitter. @default a generator seeded with 0 */
  rng?: Rng;
  /** Totals to continue from (a restored planner's). */
  totals?: CostTotals;
}

/** What `call` needs besides the body. */
export interface CallOptions<T> {
  /** What is being asked, for messages: `plan request 3`. */
  subject: string;
  /** Reads what the endpoint reports it used from the parsed answer. */
  usage?: (value: T) => Usage;
  /** Cancels the call, including its backoff waits. */
  signal?: AbortSignal;
}

/** A successful call. */
export interface CallResult<T> {
  value: T;
  usage: Usage;
  attempts: number;
  /** s the attempts took, backoff waits excluded. */
  elapsedSeconds: number;
  cost: number;
}

/**
 * The one way labloop calls a remote inference endpoint, whatever its wire format: each attempt has a timeout,
 * retryable failures (5xx, 429, timeouts, network errors) are retried with exponential backoff and jitter (or
 * after the `Retry-After` the endpoint asks for), other failures (4xx, an answer that does not match the
 * schema) fail at once, and every call is priced into cumulative `totals`.
 *
 * @example
 * const client = new InferenceClient({ adapter: httpAdapter({ url }), timeoutMs: 30_000, price: { ...FREE, hour: 4.1 } });
 * const { value, cost } = await client.call(request, PlanResponseSchema, { subject: 'plan request 1' });
 */
export class InferenceClient {
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly price: EndpointPrice;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterMs: number;
  private sum: CostTotals;

  constructor(private readonly options: InferenceClientOptions) {
    this.clock = options.clock ?? systemClock;
    this.rng = options.rng ?? createRng(0);
    this.price = options.price ?? FREE;
    this.retries = options.retries ?? 2;
    this.backoffMs = options.backoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
    this.sum = options.totals ?? emptyTotals();
  }

  /** The adapter's target, for messages. */
  get target(): string {
    return this.options.adapter.target;
  }

  /** Every call so far, priced; failed calls included. */
  get totals(): CostTotals {
    return { ...this.sum };
  }

  /**
   * Sends `body` and parses the answer with `schema`. Throws an `EndpointError` once retries are exhausted or
   * the failure is not retryable; its `attempts` says how many were made.
   */
  async call<S extends z.ZodType>(
    body: unknown,
    schema: S,
    options: CallOptions<z.output<S>>,
  ): Promise<CallResult<z.output<S>>> {
    let attempts = 0;
    let elapsedMs = 0;
    for (;;) {
      attempts++;
      const started = this.clock.now();
      let failure: EndpointError;
      try {
        const raw = await this.attempt(body, options.signal);
        elapsedMs += this.clock.now() - started;
        const parsed = schema.safeParse(raw, { reportInput: true });
        if (parsed.success) {
          const usage = options.usage?.(parsed.data) ?? {};
          const cost = this.charge(true, attempts, usage, elapsedMs);
          return { value: parsed.data, usage, attempts, elapsedSeconds: elapsedMs / 1000, cost };
        }
        failure = new EndpointError(
          'EndpointInvalidResponse',
          `the answer does not match the expected schema: ${formatIssues(parsed.error).slice(0, 5).join('; ')}`,
          { cause: parsed.error },
        );
      } catch (error) {
        elapsedMs += this.clock.now() - started;
        if (!(error instanceof EndpointError)) {
          this.charge(false, attempts, {}, elapsedMs);
          throw error;
        }
        failure = error;
      }
      const waitMs = this.retryDelay(failure, attempts);
      if (waitMs === undefined) {
        this.charge(false, attempts, {}, elapsedMs);
        throw this.giveUp(failure, attempts, options.subject);
      }
      try {
        await sleep(this.clock, waitMs, options.signal);
      } catch (reason) {
        this.charge(false, attempts, {}, elapsedMs);
        throw new EndpointError('EndpointAborted', `${options.subject} to ${this.target} was cancelled`, {
          cause: reason,
          attempts,
        });
      }
    }
  }

  /** ms to wait before the next attempt, or `undefined` to give up. */
  private retryDelay(failure: EndpointError, attempts: number): number | undefined {
    if (!failure.retryable || attempts > this.retries) return undefined;
    if (failure.retryAfterMs !== undefined)
      return failure.retryAfterMs <= this.maxRetryAfterMs ? failure.retryAfterMs : undefined;
    const base = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempts - 1));
    return base * (0.5 + this.rng.next());
  }

  private giveUp(failure: EndpointError, attempts: number, subject: string): EndpointError {
    const tooLong =
      failure.retryable && attempts <= this.retries && failure.retryAfterMs !== undefined
        ? ` (asked to retry after ${failure.retryAfterMs / 1000} s, more than the ${this.maxRetryAfterMs / 1000} s allowed)`
        : '';
    const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
    return new EndpointError(
      failure.code,
      `${subject} to ${this.target} failed after ${tries}${tooLong}: ${failure.message}`,
      {
        cause: failure,
        status: failure.status,
        retryAfterMs: failure.retryAfterMs,
        attempts,
      },
    );
  }

  /** One attempt, bounded by the timeout and the caller's signal even if the adapter ignores its signal. */
  private async attempt(body: unknown, callerSignal: AbortSignal | undefined): Promise<unknown> {
    const controller = new AbortController();
    const timeoutMs = this.options.timeoutMs;
    const abortWith = (error: EndpointError) => {
      if (!controller.signal.aborted) controller.abort(error);
    };
    const timer = this.clock.setTimeout(
      () =>
        abortWith(
          new EndpointError('EndpointTimeout', `${this.target} did not answer within ${timeoutMs / 1000} s`),
        ),
      timeoutMs,
    );
    const onCallerAbort = () =>
      abortWith(new EndpointError('EndpointAborted', `the call to ${this.target} was cancelled`));
    if (callerSignal?.aborted) onCallerAbort();
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(controller.signal.reason);
      if (controller.signal.aborted) fail();
      else controller.signal.addEventListener('abort', fail, { once: true });
    });
    const sending = this.options.adapter.send(body, controller.signal);
    // Once the race is lost to a timeout the adapter's own outcome no longer matters; observing it keeps a
    // late rejection from surfacing as an unhandled one.
    sending.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await Promise.race([sending, aborted]);
    } catch (error) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw error;
    } finally {
      this.clock.clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  private charge(succeeded: boolean, attempts: number, usage: Usage, elapsedMs: number): number {
    const elapsedSeconds = elapsedMs / 1000;
    const cost = callCost(this.price, usage, elapsedSeconds, succeeded);
    this.sum = addCharge(this.sum, { succeeded, attempts, usage, elapsedSeconds, cost });
    return cost;
  }
}
