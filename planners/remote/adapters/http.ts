import { type Clock, systemClock } from '../../../contracts/index.ts';
import type { EndpointAdapter } from '../adapter.ts';
import { EndpointError } from '../errors.ts';

/** The `fetch` the HTTP adapters use; injectable so tests and proxies can replace it. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Options shared by the HTTP-based adapters. */
export interface HttpOptions {
  /** Sent as `Authorization: Bearer …` when present. */
  apiKey?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
  /** Answers longer than this are refused, so a broken endpoint cannot exhaust memory. @default 8 MiB */
  maxResponseBytes?: number;
  /** Reads `Retry-After` dates. @default systemClock */
  clock?: Clock;
}

const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}…` : flat;
}

/** The error message inside a failure body (`{ error: { message } }`, `{ error: "…" }`, `{ message }`), or an excerpt. */
function failureDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    const error = body.error;
    if (typeof error === 'string') return error;
    if (
      error !== null &&
      typeof error === 'object' &&
      typeof (error as { message?: unknown }).message === 'string'
    ) {
      const { code, message } = error as { code?: unknown; message: string };
      return typeof code === 'string' ? `${code}: ${message}` : message;
    }
    if (typeof body.message === 'string') return body.message;
  } catch {
    // Not JSON: the raw text is the best description there is.
  }
  return text.length === 0 ? 'no body' : excerpt(text);
}

/** ms to wait from a `Retry-After` header (seconds or an HTTP date), or `undefined` when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

async function readLimited(response: Response, limit: number, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit)
    throw new EndpointError(
      'EndpointInvalidResponse',
      `${url} answered with ${declared} bytes, more than the ${limit} allowed`,
      { status: response.status },
    );
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new EndpointError(
        'EndpointInvalidResponse',
        `${url} answered with more than the ${limit} bytes allowed`,
        { status: response.status },
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * POSTs `body` as JSON to `url` and returns the parsed JSON answer. Maps failures to `EndpointError`s:
 * 429 → `EndpointRateLimited` (with `Retry-After`), 5xx → `EndpointUnavailable`, other non-2xx →
 * `EndpointRejected`, a connection failure → `EndpointUnreachable`, a 2xx body that is not JSON →
 * `EndpointInvalidResponse`. An abort rethrows the signal's reason.
 */
export async function postJson(
  url: string,
  body: unknown,
  signal: AbortSignal,
  options: HttpOptions = {},
): Promise<unknown> {
  const doFetch = options.fetch ?? ((u: string, init: RequestInit) => fetch(u, init));
  const clock = options.clock ?? systemClock;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    ...options.headers,
  };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  let response: Response;
  let text: string;
  try {
    response = await doFetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal });
    text = await readLimited(response, options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, url);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (error instanceof EndpointError) throw error;
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const why =
      typeof cause?.code === 'string'
        ? cause.code
        : typeof cause?.message === 'string'
          ? cause.message
          : String((error as Error).message ?? error);
    throw new EndpointError('EndpointUnreachable', `cannot reach ${url}: ${why}`, { cause: error });
  }
  const status = response.status;
  if (status === 429)
    throw new EndpointError('EndpointRateLimited', `${url} is rate limiting (429): ${failureDetail(text)}`, {
      status,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), clock.now()),
    });
  if (status >= 500)
    throw new EndpointError('EndpointUnavailable', `${url} failed with ${status}: ${failureDetail(text)}`, {
      status,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), clock.now()),
    });
  if (status < 200 || status >= 300)
    throw new EndpointError(
      'EndpointRejected',
      `${url} refused the request with ${status}: ${failureDetail(text)}`,
      {
        status,
      },
    );
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new EndpointError(
      'EndpointInvalidResponse',
      `${url} answered ${status} with a body that is not JSON: ${text.length === 0 ? 'no body' : excerpt(text)}`,
      { status, cause: error },
    );
  }
}

/**
 * A plain HTTP(S) endpoint that speaks labloop's plan protocol: the request is POSTed as JSON to `url`
 * and the answer is the JSON body.
 *
 * @example
 * const adapter = httpAdapter({ url: 'https://planner.example.org/plan', apiKey: process.env.PLANNER_KEY });
 */
export function httpAdapter(options: HttpOptions & { url: string }): EndpointAdapter {
  return {
    kind: 'http',
    target: options.url,
    send: (body, signal) => postJson(options.url, body, signal, options),
  };
}

/**
 * An OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp server, Ollama, …): the body is a chat
 * completions request, POSTed to `{baseUrl}/chat/completions`.
 *
 * @example
 * const adapter = openAiAdapter({ baseUrl: 'http://127.0.0.1:8000/v1' });
 */
export function openAiAdapter(options: HttpOptions & { baseUrl: string }): EndpointAdapter {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return { kind: 'openai', target: url, send: (body, signal) => postJson(url, body, signal, options) };
}
