import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Role } from '../../contracts/api.ts';
import { ContractError } from '../../contracts/errors.ts';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
} from '../errors.ts';

/** Who calls the API: the Cognito user's name and the highest labloop role among their groups. */
export interface Principal {
  name: string;
  role: Role;
}

/** The labloop roles, lowest first; each is a Cognito group of the same name. */
export const ROLES: readonly Role[] = ['viewer', 'operator', 'approver'];

/**
 * The least role for each thing the cloud API does. Shared actions need the same role as on the local dashboard
 * (`runtime/api/access.ts`, checked by `campaign-api/core.test.ts`); `start` and `register-device` exist only here.
 */
export const API_ROLES = {
  read: 'viewer',
  start: 'operator',
  pause: 'operator',
  'pause-now': 'operator',
  resume: 'operator',
  stop: 'operator',
  abort: 'operator',
  'emergency-stop': 'operator',
  approve: 'approver',
  reject: 'approver',
  'register-device': 'operator',
} as const satisfies Record<string, Role>;

/** Something the API does, by {@link API_ROLES}. */
export type ApiAction = keyof typeof API_ROLES;

/** An API request as a core sees it: the matched route, its path parameters, the parsed body and the caller. */
export interface ApiRequest {
  /** API Gateway's route key, e.g. `POST /api/campaigns/{campaignId}/actions`. */
  routeKey: string;
  params: Record<string, string>;
  /** The JSON body, parsed; `undefined` when there is none. */
  body: unknown;
  principal: Principal;
}

/** What a core answers: a status and a JSON body. */
export interface ApiResponse {
  status: number;
  body: unknown;
}

/** The largest request body accepted, in bytes (a campaign with its protocol fits many times over). */
export const BODY_LIMIT = 128 * 1024;

/**
 * The caller from the JWT authorizer's claims. HTTP APIs pass a list claim as one string, `[viewer operator]`;
 * an ID token's `cognito:groups` may also arrive as an array. Groups that are not labloop roles are ignored.
 */
export function principalOf(claims: Record<string, unknown> | undefined): Principal {
  if (!claims)
    throw new UnauthorizedError('this API needs a Cognito token: send Authorization: Bearer <ID token>');
  const name = String(claims['cognito:username'] ?? claims.username ?? claims.sub ?? 'unknown');
  const raw = claims['cognito:groups'];
  const groups = Array.isArray(raw)
    ? raw.map(String)
    : typeof raw === 'string'
      ? raw
          .replace(/^\[|\]$/g, '')
          .split(/[\s,]+/)
          .filter(Boolean)
      : [];
  const role = [...ROLES].reverse().find((r) => groups.includes(r));
  if (!role)
    throw new ForbiddenError(
      `${name} is in no labloop group (${ROLES.join(', ')}); got ${JSON.stringify(groups)}: an administrator adds the user to one`,
    );
  return { name, role };
}

/** Throws {@link ForbiddenError} unless `principal` may do `action`; roles are ordered viewer < operator < approver. */
export function requireRole(principal: Principal, action: ApiAction): void {
  const least = API_ROLES[action];
  if (ROLES.indexOf(principal.role) < ROLES.indexOf(least))
    throw new ForbiddenError(
      `${principal.name} is a ${principal.role} and may not ${action}; that needs the ${least} role`,
    );
}

/** The caller as the audit trail names it, as the local dashboard does: `operator:<name>`. */
export function actorOf(principal: Principal): string {
  return `operator:${principal.name}`;
}

/** Reads an API Gateway (HTTP API, payload 2.0) event into an {@link ApiRequest}: JSON only, size-limited. */
export function readRequest(event: APIGatewayProxyEventV2WithJWTAuthorizer): ApiRequest {
  const principal = principalOf(event.requestContext.authorizer?.jwt?.claims);
  let body: unknown;
  if (event.body !== undefined && event.body !== '') {
    const type = event.headers?.['content-type'] ?? event.headers?.['Content-Type'] ?? '';
    if (!/^application\/json\b/i.test(type))
      throw new BadRequestError(
        `send JSON with content-type: application/json, got ${JSON.stringify(type || 'none')}`,
        415,
      );
    const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    if (Buffer.byteLength(text) > BODY_LIMIT)
      throw new BadRequestError(`a request body may be at most ${BODY_LIMIT} bytes`, 413);
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new BadRequestError(`the body is not JSON: ${(error as Error).message}`, 400, { cause: error });
    }
  }
  const params = Object.fromEntries(
    Object.entries(event.pathParameters ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return { routeKey: event.routeKey, params, body, principal };
}

/**
 * An error as the API answers it, in the local dashboard's shape `{ error, message, issues? }`: a contract
 * violation is a 400 listing every bad field. Anything unexpected is a 500 whose message names the request id
 * (the details are in the function's log, not in the answer).
 */
export function errorResponse(error: unknown, requestId: string): ApiResponse {
  const answer = (status: number, code: string, message: string, issues?: readonly string[]) => ({
    status,
    body: { error: code, message, ...(issues ? { issues } : {}) },
  });
  if (error instanceof ContractError) return answer(400, 'BadRequest', error.message, error.issues);
  if (error instanceof BadRequestError)
    return answer(
      error.status,
      { 400: 'BadRequest', 413: 'PayloadTooLarge', 415: 'UnsupportedMediaType' }[error.status],
      error.message,
    );
  if (error instanceof UnauthorizedError) return answer(401, 'Unauthorized', error.message);
  if (error instanceof ForbiddenError) return answer(403, 'Forbidden', error.message);
  if (error instanceof NotFoundError) return answer(404, 'NotFound', error.message);
  if (error instanceof ConflictError) return answer(409, 'Conflict', error.message);
  return answer(500, 'InternalError', `the request failed; its log has the details (request ${requestId})`);
}

/** An {@link ApiResponse} as API Gateway sends it: JSON, never cached. */
export function toHttpResult(response: ApiResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(response.body),
  };
}

/**
 * The HTTP API entry of a core: event → {@link ApiRequest} → core → JSON answer; errors become their status
 * (`onUnexpected` sees the ones that become a 500, to log them).
 */
export function httpApi(
  core: (request: ApiRequest) => Promise<ApiResponse>,
  onUnexpected: (error: unknown) => void,
): (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<APIGatewayProxyStructuredResultV2> {
  return async (event) => {
    try {
      return toHttpResult(await core(readRequest(event)));
    } catch (error) {
      const response = errorResponse(error, event.requestContext.requestId);
      if (response.status === 500) onUnexpected(error);
      return toHttpResult(response);
    }
  };
}
