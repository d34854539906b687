import type { ActionRequest, ApiError, LiveMessage, PushSubscriptionPayload } from '../../contracts/index.ts';

/** An answer of the API that was not 2xx, with the server's message. */
export class RequestError extends Error {
  override name = 'RequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Connection states of the live stream, shown in the header. */
export type StreamState = 'connecting' | 'live' | 'offline' | 'unauthorised';

/**
 * The dashboard's side of the API: JSON requests with the bearer token, and the live stream read with `fetch`
 * (so the token travels in a header, never in a URL) and reconnected with backoff when it drops.
 */
export class ApiClient {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  async get<T>(path: string): Promise<T> {
    return this.answer<T>(await fetch(`${this.base}${path}`, { headers: this.headers(), cache: 'no-store' }));
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return this.answer<T>(
      await fetch(`${this.base}${path}`, {
        method: 'POST',
        headers: { ...this.headers(), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
  }

  /** Carries out an operator action; rejects with the server's reason when it is not allowed. */
  act(request: ActionRequest): Promise<{ ok: true }> {
    return this.post('/api/actions', request);
  }

  acknowledge(alertId: string): Promise<unknown> {
    return this.post(`/api/alerts/${encodeURIComponent(alertId)}/ack`, {});
  }

  subscribePush(subscription: PushSubscriptionPayload): Promise<unknown> {
    return this.post('/api/push/subscriptions', subscription);
  }

  private async answer<T>(response: Response): Promise<T> {
    const body = (await response.json().catch(() => undefined)) as (ApiError & T) | undefined;
    if (!response.ok) throw new RequestError(response.status, body?.message ?? `HTTP ${response.status}`);
    return body as T;
  }

  /**
   * Opens the live stream and keeps it open: each message goes to `onMessage` (the first is always a snapshot),
   * connection changes to `onState`. Returns a function that closes it for good.
   */
  live(onMessage: (message: LiveMessage) => void, onState: (state: StreamState) => void): () => void {
    let stopped = false;
    let controller: AbortController | undefined;
    let delay = 500;
    const connect = async (): Promise<void> => {
      while (!stopped) {
        controller = new AbortController();
        onState('connecting');
        try {
          const response = await fetch(`${this.base}/api/events`, {
            headers: { ...this.headers(), accept: 'text/event-stream' },
            signal: controller.signal,
            cache: 'no-store',
          });
          if (response.status === 401 || response.status === 403) {
            onState('unauthorised');
            return;
          }
          if (!response.ok || !response.body)
            throw new RequestError(response.status, `HTTP ${response.status}`);
          onState('live');
          delay = 500;
          await readEvents(response.body, onMessage);
        } catch (error) {
          if (stopped) return;
          if (
            !(
              error instanceof TypeError ||
              error instanceof RequestError ||
              (error as Error).name === 'AbortError'
            )
          )
            throw error;
        }
        if (stopped) return;
        onState('offline');
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 10_000);
      }
    };
    void connect();
    return () => {
      stopped = true;
      controller?.abort();
    };
  }
}

/** Reads Server-Sent Events (`data:` lines, blank-line separated) until the stream ends. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  onMessage: (message: LiveMessage) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data) onMessage(JSON.parse(data) as LiveMessage);
      end = buffer.indexOf('\n\n');
    }
  }
}
