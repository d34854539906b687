import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** Reads a JSON request body (JSON content type, at most {@link BODY_LIMIT} bytes). */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
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
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch (error) {
    throw new HttpError(400, 'BadRequest', `the body is not JSON: ${(error as Error).message}`, undefined, {
      cause: error,
    });
  }
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
