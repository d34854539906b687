import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ContractError } from '../../../contracts/index.ts';
import { HttpError } from '../errors.ts';

/** The largest request body accepted, in bytes. */
export const BODY_LIMIT = 16 * 1024;

/** Sent with every answer: the app loads only its own files and cannot be framed or leak its URL. */
export const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Answers with a JSON body, never cached. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

/** `application/json` with or without parameters; not `application/json-seq` nor `application/jsonx`. */
const JSON_TYPE = /^application\/json[\t ]*(;|$)/i;
/** JSON travels as UTF-8 (RFC 8259); other bytes are refused rather than silently replaced with U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Reads a JSON request body (JSON content type, UTF-8, at most {@link BODY_LIMIT} bytes). */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!JSON_TYPE.test(req.headers['content-type'] ?? ''))
    throw new HttpError(
      415,
      'UnsupportedMediaType',
      `send JSON with content-type: application/json, got ${JSON.stringify(req.headers['content-type'] ?? 'none')}`,
    );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT)
      throw new HttpError(413, 'PayloadTooLarge', `a request body may be at most ${BODY_LIMIT} bytes`);
    chunks.push(chunk);
  }
  let text: string;
  try {
    text = UTF8.decode(Buffer.concat(chunks));
  } catch (error) {
    throw new HttpError(
      400,
      'BadRequest',
      'the body is not valid UTF-8; JSON must be sent as UTF-8 text',
      undefined,
      { cause: error },
    );
  }
  try {
    return JSON.parse(text || 'null');
  } catch (error) {
    throw new HttpError(400, 'BadRequest', `the body is not JSON: ${(error as Error).message}`, undefined, {
      cause: error,
    });
  }
}

/** Answers a request whose `Expect` header is not `100-continue` (Node's own answer has no body). */
export function refuseExpectation(req: IncomingMessage, res: ServerResponse): void {
  json(res, 417, {
    error: 'ExpectationFailed',
    message: `this server supports only Expect: 100-continue, got ${JSON.stringify(String(req.headers.expect).slice(0, 100))}`,
  });
}

/** Runs a schema parse, turning a {@link ContractError} into a 400 that lists every bad field. */
export async function validated<T>(parse: () => Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (error) {
    if (error instanceof ContractError)
      throw new HttpError(400, 'BadRequest', error.message, error.issues, { cause: error });
    throw error;
  }
}

/**
 * The path of a request target, as WHATWG URL reads it; a 400 when it is none (`//`, a bad absolute URL). The
 * query is left out of the message: a dashboard link carries its token there.
 */
export function requestPath(target: string): string {
  try {
    return new URL(target, 'http://x').pathname;
  } catch (error) {
    throw new HttpError(
      400,
      'BadRequest',
      `the request target ${JSON.stringify(target.split('?')[0]?.slice(0, 200))} is not a valid path; expected /api/… or a file of the app`,
      undefined,
      { cause: error },
    );
  }
}

/** One percent-encoded segment of a path, decoded; a 400 naming `what` when it is not valid percent-encoding. */
export function pathSegment(segment: string, what: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    throw new HttpError(
      400,
      'BadRequest',
      `the ${what} in the path is not valid percent-encoding (%XX of UTF-8 bytes): got ${JSON.stringify(segment.slice(0, 200))}`,
      undefined,
      { cause: error },
    );
  }
}

/**
 * Answers bytes Node's HTTP parser refused (a bad request line, header or framing) with a JSON error like every
 * other refusal, then closes the connection. The request is never echoed: it may hold a token. Nothing is written
 * into a connection that has already answered (a live stream), as Node's own handler does.
 */
export function refuseUnparsable(
  error: NodeJS.ErrnoException,
  socket: Duplex & { bytesWritten?: number },
): void {
  if (error.code === 'ECONNRESET' || !socket.writable || (socket.bytesWritten ?? 0) > 0) {
    socket.destroy();
    return;
  }
  const [status, code, reason, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'RequestHeaderFieldsTooLarge', 'Request Header Fields Too Large', 'the headers are over 16 KB']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'RequestTimeout', 'Request Timeout', 'the request did not arrive in time']
        : [
            400,
            'BadRequest',
            'Bad Request',
            `the request is not valid HTTP/1.1: ${error.message.replace(/^Parse Error: /, '')}`,
          ];
  const body = JSON.stringify({ error: code, message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
