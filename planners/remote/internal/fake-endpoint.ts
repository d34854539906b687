import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake endpoint received. */
export interface FakeRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
}

/**
 * How the fake endpoint answers: a status with a JSON `body` or a `raw` text, or `hang` (never answer: a slow
 * endpoint), or `drop` (close the connection: a network failure).
 */
export type FakeReply =
  | { status?: number; headers?: Record<string, string>; body?: unknown; raw?: string }
  | { hang: true }
  | { drop: true };

/** A running fake endpoint on 127.0.0.1. */
export interface FakeEndpoint {
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on 127.0.0.1 (a free port) that answers each request with `handler`, for tests of
 * slow, failing, rate-limited and lying endpoints. `n` is the 0-based number of the request.
 */
export async function startFakeEndpoint(
  handler: (request: FakeRequest, n: number) => FakeReply | Promise<FakeReply>,
): Promise<FakeEndpoint> {
  const requests: FakeRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      if (text.length > 0 && /^[[{]/.test(text.trim())) body = JSON.parse(text);
      const request: FakeRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
      };
      requests.push(request);
      Promise.resolve(handler(request, requests.length - 1)).then(
        (reply) => {
          if ('hang' in reply) return;
          if ('drop' in reply) {
            req.socket.destroy();
            return;
          }
          const payload = reply.raw ?? JSON.stringify(reply.body ?? {});
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          res.end(payload);
        },
        (error: unknown) => {
          res.writeHead(599, { 'content-type': 'text/plain' });
          res.end(`fake endpoint handler failed: ${String(error)}`);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
