import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../../contracts/errors.ts';
import { ConflictError } from '../errors.ts';
import { type ApiRequest, BODY_LIMIT, httpApi, principalOf } from './http-api.ts';

function event(
  overrides: {
    body?: string;
    contentType?: string;
    claims?: Record<string, unknown> | null;
    base64?: boolean;
  } = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    version: '2.0',
    routeKey: 'POST /api/campaigns/{campaignId}/actions',
    rawPath: '/api/campaigns/c-1/actions',
    rawQueryString: '',
    headers: overrides.contentType === undefined ? {} : { 'content-type': overrides.contentType },
    pathParameters: { campaignId: 'c-1' },
    isBase64Encoded: overrides.base64 ?? false,
    ...(overrides.body === undefined ? {} : { body: overrides.body }),
    requestContext: {
      requestId: 'req-1',
      ...(overrides.claims === null
        ? {}
        : {
            authorizer: {
              principalId: '',
              integrationLatency: 0,
              jwt: {
                claims: (overrides.claims ?? {
                  'cognito:username': 'ana',
                  'cognito:groups': '[viewer operator]',
                }) as Record<string, string>,
                scopes: [],
              },
            },
          }),
    } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer['requestContext'],
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}

describe('HTTP API adapter', () => {
  it('hands the core the route, path parameters, parsed body and the caller with their highest role', async () => {
    const seen: ApiRequest[] = [];
    const handler = httpApi(
      async (request) => {
        seen.push(request);
        return { status: 202, body: { ok: true } };
      },
      () => undefined,
    );
    const result = await handler(event({ body: '{"action":"pause"}', contentType: 'application/json' }));
    expect(result).toEqual({
      statusCode: 202,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body: '{"ok":true}',
    });
    expect(seen).toEqual([
      {
        routeKey: 'POST /api/campaigns/{campaignId}/actions',
        params: { campaignId: 'c-1' },
        body: { action: 'pause' },
        principal: { name: 'ana', role: 'operator' },
      },
    ]);
    await handler(
      event({
        body: Buffer.from('{"a":1}').toString('base64'),
        base64: true,
        contentType: 'application/json; charset=utf-8',
      }),
    );
    expect(seen[1]?.body).toEqual({ a: 1 });
  });

  it('reads roles from Cognito groups as an array, a bracketed string, or not at all', () => {
    expect(principalOf({ username: 'bo', 'cognito:groups': ['approver', 'viewer'] })).toEqual({
      name: 'bo',
      role: 'approver',
    });
    expect(principalOf({ 'cognito:username': 'cy', 'cognito:groups': '[viewer]' })).toEqual({
      name: 'cy',
      role: 'viewer',
    });
    expect(() => principalOf({ 'cognito:username': 'dee', 'cognito:groups': '[admins]' })).toThrow(
      'dee is in no labloop group (viewer, operator, approver); got ["admins"]',
    );
    expect(() => principalOf(undefined)).toThrow('this API needs a Cognito token');
  });

  it('answers each failure with its status and the local API error shape; a 500 hides the details', async () => {
    const logged: unknown[] = [];
    const failing = (error: Error) =>
      httpApi(
        async () => {
          throw error;
        },
        (e) => logged.push(e),
      );
    const ok = httpApi(
      async () => ({ status: 200, body: {} }),
      () => undefined,
    );
    const answer = async (p: Promise<{ statusCode?: number; body?: string }>) => {
      const r = await p;
      return { status: r.statusCode, ...JSON.parse(r.body ?? '{}') };
    };
    expect(await answer(ok(event({ body: '{', contentType: 'application/json' })))).toMatchObject({
      status: 400,
      error: 'BadRequest',
      message: expect.stringMatching(/^the body is not JSON: /),
    });
    expect(
      await answer(ok(event({ body: 'a=1', contentType: 'application/x-www-form-urlencoded' }))),
    ).toEqual({
      status: 415,
      error: 'UnsupportedMediaType',
      message: 'send JSON with content-type: application/json, got "application/x-www-form-urlencoded"',
    });
    expect(
      await answer(ok(event({ body: `"${'x'.repeat(BODY_LIMIT)}"`, contentType: 'application/json' }))),
    ).toMatchObject({ status: 413, error: 'PayloadTooLarge' });
    expect(await answer(ok(event({ claims: null })))).toMatchObject({ status: 401, error: 'Unauthorized' });
    expect(await answer(ok(event({ claims: { 'cognito:username': 'x' } })))).toMatchObject({
      status: 403,
      error: 'Forbidden',
    });
    expect(
      await answer(failing(new ContractError('action request', ['action: Invalid option']))(event())),
    ).toEqual({
      status: 400,
      error: 'BadRequest',
      message: 'invalid action request:\n  - action: Invalid option',
      issues: ['action: Invalid option'],
    });
    expect(await answer(failing(new ConflictError('has ended'))(event()))).toEqual({
      status: 409,
      error: 'Conflict',
      message: 'has ended',
    });
    expect(logged).toHaveLength(0);
    const secret = new Error('DynamoDB said: table arn:aws:dynamodb:… throttled');
    expect(await answer(failing(secret)(event()))).toEqual({
      status: 500,
      error: 'InternalError',
      message: 'the request failed; its log has the details (request req-1)',
    });
    expect(logged).toEqual([secret]);
  });
});
