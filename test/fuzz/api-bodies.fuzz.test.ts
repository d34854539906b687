import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  type AccessToken,
  ActionRequestSchema,
  ApiErrorSchema,
  PushSubscriptionSchema,
  type Role,
} from '../../contracts/index.ts';
import { buildDashboard } from '../../dashboard/index.ts';
import { type DashboardServer, startDashboardServer } from '../../runtime/api/index.ts';
import type { AuditRecord, CampaignSession } from '../../runtime/index.ts';
import { type GatedLab, startGatedLab } from '../support/dashboard-lab.ts';
import { runs } from './support/commands.ts';

// Random requests to every route of the real dashboard API over a running campaign, through fetch and through a
// raw socket. A test oracle restates the documented contract (docs/dashboard.md#api: token → 401, content type →
// 415, 16 KB → 413, then the schemas of contracts/api.ts → 400 naming each field, then roles → 403, then the
// campaign → 409) and every answer must match it, within a time limit, with no action carried out.
const RUNS = runs(300, 3_000);
/** docs/dashboard.md: "Request bodies are limited to 16 KB". */
const BODY_LIMIT = 16 * 1024;
/** The CI size runs in seconds; the full size needs minutes. */
const TIMEOUT = runs(60_000, 900_000);
/** How long any request may wait for its answer before it counts as a hang. */
const ANSWER_MS = 5_000;

const tokens: AccessToken[] = [
  { name: 'carol', role: 'approver', token: 'tok-approver-aaaaaaaaaaaaaaaa' },
  { name: 'dan', role: 'operator', token: 'tok-operator-bbbbbbbbbbbbbbbb' },
  { name: 'lobby', role: 'viewer', token: 'tok-viewer-cccccccccccccccccc' },
];
const tokenOf = (role: Role) => (tokens.find((t) => t.role === role) as AccessToken).token;
const DEVICES = ['liquid-handler-1', 'plate-reader-1'];

let lab: GatedLab;
let session: CampaignSession;
let server: DashboardServer;
let pending: string[];
let alertIds: string[];
let baseline: ReturnType<typeof observe>;
const appended: AuditRecord[] = [];
const crashes: unknown[] = [];
const onCrash = (error: unknown) => crashes.push(error);
/** Push services never reached: the fuzz subscribes random endpoints. */
const pushService = (async () => new Response(null, { status: 201 })) as typeof fetch;

/** What a rejected request must leave as it was. */
function observe() {
  const campaign = server.view.snapshot({ name: 'fuzz', role: 'viewer' }, {}).campaign;
  return {
    state: session.state(),
    pauseRequested: campaign.pauseRequested,
    ended: campaign.ended,
    pending: campaign.pendingApprovals.map((p) => p.experimentId),
    proposed: campaign.proposed,
    acknowledged: server.alerts.list().filter((a) => a.acknowledged).length,
  };
}

beforeAll(async () => {
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  // Real time: the campaign proposes its batch, then waits ten hours at the policy gate, so only a request that
  // was carried out can change it.
  lab = await startGatedLab({ lab: 'api-fuzz', experiments: 2, batch: 2, timeScale: 1 });
  session = lab.session;
  server = await startDashboardServer({ session, tokens, host: '127.0.0.1', port: 0, fetch: pushService });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the campaign did not reach the policy gate in 20 s')),
      20_000,
    );
    // The server's view reads each record before this listener does: it subscribed first.
    const check = () => {
      if (observe().pending.length < 2) return;
      clearTimeout(timer);
      stop();
      resolve();
    };
    const stop = session.runDir.log.subscribe(check);
    check();
  });
  pending = observe().pending;
  alertIds = server.alerts.list().map((a) => a.id);
  baseline = observe();
  session.runDir.log.subscribe((record) => appended.push(record));
});

afterAll(async () => {
  process.off('unhandledRejection', onCrash);
  process.off('uncaughtException', onCrash);
  await server?.close();
  await lab?.close();
});

// ---------------------------------------------------------------------------------------------------------------
// The oracle: what the documented contract says each request gets.

interface Expected {
  status: number;
  /** For a body that fails its schema: one `path: what was expected` per bad field (the `(got …)` aside). */
  issues?: readonly string[];
  /** What the error message must say. */
  says?: RegExp;
}

/** A header value as the server receives it: fetch trims spaces and tabs around it. */
const trimmed = (value: string | undefined) => value?.replace(/^[\t ]+|[\t ]+$/g, '');

/** `Authorization` as the server receives it → the role it grants, if any. */
function roleOf(authorization: string | undefined): Role | undefined {
  const match = /^Bearer[\t ]+(\S+)$/i.exec(trimmed(authorization) ?? '');
  return tokens.find((t) => t.token === match?.[1])?.role;
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, approver: 2 };
/** docs/dashboard.md#api: approving and rejecting need an approver, every other action an operator. */
const needs = (action: string): Role =>
  action === 'approve' || action === 'reject' ? 'approver' : 'operator';

/** A path segment as the server decodes it, or undefined when it is not valid percent-encoding. */
function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** An issue's path as contracts/errors.ts writes it: `keys.auth`, `[0]`, `(root)`. */
const pathOf = (path: readonly PropertyKey[]) =>
  path.length === 0
    ? '(root)'
    : path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');

/** The body of a request, judged against its schema: a refusal, or the parsed value. */
function judgeBody(
  schema: z.ZodType,
  contentType: string | undefined,
  body: Uint8Array,
): Expected | { value: unknown } {
  if (!/^application\/json[\t ]*(;|$)/i.test(trimmed(contentType) ?? ''))
    return { status: 415, says: /content-type/ };
  if (body.length > BODY_LIMIT) return { status: 413, says: new RegExp(`at most ${BODY_LIMIT} bytes`) };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return { status: 400, says: /not valid UTF-8/ };
  }
  let value: unknown;
  try {
    value = JSON.parse(text || 'null');
  } catch {
    return { status: 400, says: /not JSON/ };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    return {
      status: 400,
      issues: parsed.error.issues.map((i) => `${pathOf(i.path)}: ${i.message}`),
      says: /^invalid /,
    };
  return { value: parsed.data };
}

interface Request {
  method: string;
  /** Path and query, as sent. */
  path: string;
  authorization?: string | undefined;
  contentType?: string | undefined;
  body?: Uint8Array | undefined;
}

/**
 * What the server must answer. `acts` says the request would really be carried out (an action the campaign
 * accepts, an acknowledgement): the fuzz sends those with the viewer's token instead.
 */
function expected(request: Request): Expected & { acts?: boolean } {
  const { method } = request;
  if (method === 'OPTIONS') return { status: 204 };
  let path: string;
  try {
    // The server reads the request target as WHATWG URL does, against a dummy origin.
    const sent = new URL(`${server.url}${request.path}`);
    path = new URL(`${sent.pathname}${sent.search}`, 'http://x').pathname;
  } catch {
    return { status: 400, says: /request target/ };
  }
  if (!path.startsWith('/api/'))
    return { status: (method === 'GET' || method === 'HEAD') && isAsset(path) ? 200 : 404 };
  const role = roleOf(request.authorization);
  if (!role) return { status: 401, says: /token/ };
  if (method === 'GET' && ['/api/state', '/api/session', '/api/alerts', '/api/events'].includes(path))
    return { status: 200 };
  const device = /^\/api\/devices\/([^/]+)$/.exec(path);
  if (method === 'GET' && device) {
    const id = decoded(device[1] as string);
    if (id === undefined) return { status: 400, says: /device id/ };
    return DEVICES.includes(id) ? { status: 200 } : { status: 404, says: /no device/ };
  }
  if (method === 'POST' && path === '/api/actions') {
    const body = judgeBody(ActionRequestSchema, request.contentType, request.body ?? new Uint8Array());
    if ('status' in body) return body;
    const action = body.value as z.infer<typeof ActionRequestSchema>;
    if (RANK[role] < RANK[needs(action.action)])
      return {
        status: 403,
        says: new RegExp(`may not ${action.action}; that needs the ${needs(action.action)}`),
      };
    // The campaign waits at the gate: resume is refused, and so is a decision on a proposal that is not waiting.
    if (action.action === 'resume')
      return { status: 409, says: /cannot resume the campaign while it is gating/ };
    if ('experimentId' in action && !pending.includes(action.experimentId))
      return { status: 409, says: /is not waiting for approval/ };
    return { status: 200, acts: true };
  }
  const ack = /^\/api\/alerts\/([^/]+)\/ack$/.exec(path);
  if (method === 'POST' && ack) {
    if (role === 'viewer') return { status: 403, says: /may not acknowledge alerts/ };
    const id = decoded(ack[1] as string);
    if (id === undefined) return { status: 400, says: /alert id/ };
    return alertIds.includes(id) ? { status: 200, acts: true } : { status: 404, says: /no alert/i };
  }
  if (method === 'POST' && path === '/api/push/subscriptions') {
    const body = judgeBody(PushSubscriptionSchema, request.contentType, request.body ?? new Uint8Array());
    return 'status' in body ? body : { status: 201 };
  }
  return { status: 404, says: /no API route/ };
}

let assets: Set<string>;
const isAsset = (path: string) => assets.has(path === '/' ? '/index.html' : path);

// ---------------------------------------------------------------------------------------------------------------
// Sending and judging.

interface Answer {
  status: number;
  type: string;
  text: string;
}

/** Sends one request with fetch; a request unanswered within {@link ANSWER_MS} fails the test. */
async function send(request: Request): Promise<Answer> {
  const url = `${server.url}${request.path}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ANSWER_MS);
  const headers: Record<string, string> = {};
  if (request.authorization !== undefined) headers.authorization = request.authorization;
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  try {
    const response = await fetch(url, {
      method: request.method,
      headers,
      ...(request.body ? { body: request.body } : {}),
      signal: controller.signal,
    });
    const type = response.headers.get('content-type') ?? '';
    // The live stream never ends by itself: its headers are the answer.
    const text = type.startsWith('text/event-stream') ? '' : await response.text();
    return { status: response.status, type, text };
  } catch (error) {
    throw new Error(`${describeRequest(request)} got no answer within ${ANSWER_MS} ms`, { cause: error });
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

function describeRequest(request: Request): string {
  const body = request.body ? Buffer.from(request.body.subarray(0, 120)).toString('latin1') : '';
  return `${request.method} ${request.path} [${roleOf(request.authorization) ?? `auth ${JSON.stringify(request.authorization)}`}, ${JSON.stringify(request.contentType)}, ${request.body?.length ?? 0} bytes] ${JSON.stringify(body)}`;
}

const ISSUE = /^(\(root\)|[A-Za-z_$][\w$]*(\.[\w$-]+|\[\d+\])*): /;
/** Every issue says what was expected, not just that something was wrong. */
const SAYS_EXPECTED = /expected|Expected|Unrecognized keys?: |must /;

/** Checks an answer against the oracle: status, a JSON error body, issues naming each bad field. */
function judge(answer: Answer, want: Expected, request: Request): void {
  const label = `${describeRequest(request)} → ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, label).toBe(want.status);
  if (answer.status < 400 || request.method === 'HEAD') return;
  expect(answer.type, label).toMatch(/^application\/json/);
  const problem = ApiErrorSchema.parse(JSON.parse(answer.text));
  if (want.says) expect(problem.message, label).toMatch(want.says);
  if (want.issues) {
    expect(
      problem.issues?.map((i) => i.replace(/ \(got .*\)$/s, '')),
      label,
    ).toEqual(want.issues);
    for (const issue of problem.issues ?? []) {
      expect(issue, label).toMatch(ISSUE);
      expect(issue, label).toMatch(SAYS_EXPECTED);
      expect(issue, label).toMatch(/ \(got .+\)$/s);
    }
  } else expect(problem.issues, label).toBeUndefined();
}

/** Answers by status, and requests sent with the viewer's token because they would have acted, per route. */
const tallies: Record<string, Record<string, number>> = {};
const count = (route: string, key: number | 'disarmed') => {
  const tally = tallies[route] ?? {};
  tally[key] = (tally[key] ?? 0) + 1;
  tallies[route] = tally;
};
const report = (route: string) => {
  const { disarmed = 0, ...statuses } = tallies[route] ?? {};
  console.log(
    `API fuzz: ${route}: ${RUNS} requests, answers by status ${JSON.stringify(statuses)}, ${disarmed} that would have acted sent with the viewer's token`,
  );
};

/** Sends a request (with the viewer's token if it would really act), judges the answer, checks nothing was done. */
async function exercise(route: string, request: Request): Promise<Expected> {
  let want = expected(request);
  if (want.acts) {
    request = { ...request, authorization: `Bearer ${tokenOf('viewer')}` };
    want = expected(request);
    count(route, 'disarmed');
  }
  const before = appended.length;
  const answer = await send(request);
  judge(answer, want, request);
  count(route, answer.status);
  expect(
    appended.slice(before).filter((r) => r.who.startsWith('operator:')),
    `${describeRequest(request)} was carried out`,
  ).toEqual([]);
  return want;
}

/** After each property: the server answers, the campaign is as it was, no rejection went unhandled. */
async function stillServing(): Promise<void> {
  const answer = await send({
    method: 'GET',
    path: '/api/session',
    authorization: `Bearer ${tokenOf('viewer')}`,
  });
  expect(answer.status).toBe(200);
  expect(observe()).toEqual(baseline);
  expect(appended.filter((r) => r.who.startsWith('operator:'))).toEqual([]);
  expect(Object.keys(Object.prototype)).toEqual([]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(crashes).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------------------
// Generators.

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
});

/** An Authorization header: mostly a real token of some role, else nothing or a near miss. */
const authorization: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(...tokens.map((t) => `Bearer ${t.token}`)) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constant(undefined),
      fc
        .tuple(
          fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Token', ''),
          fc.constantFrom(' ', '  ', '\t', ''),
          fc.oneof(
            fc.constantFrom(...tokens.map((t) => t.token)),
            fc
              .tuple(fc.constantFrom(...tokens.map((t) => t.token)), fc.nat(40), printable)
              .map(([t, at, s]) => t.slice(0, at) + s + t.slice(at + 1)),
            printable,
          ),
          fc.constantFrom('', ' ', ' x', ','),
        )
        .map((parts) => parts.join('')),
    ),
  },
);

const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      undefined,
      'APPLICATION/JSON',
      'application/json;charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json-seq',
      'application/json+x',
      'application/jsonx',
      'text/json',
      ' application/json',
    ),
  },
);

/** Values a field should not hold: other JSON types, empty, blank, huge, odd numbers. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('', ' ', '\u0000', 0, -1, 1e308, true, null, [], {}, 'pause', 'https://x'),
  fc.nat(20_000).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 480, max: 520 }).map((n) => 'é'.repeat(n)),
);

/** Sets an own property, even `__proto__`, so that it is serialised as a key. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
}

/** A valid body with one field (at any depth) replaced, deleted, or an extra key added. */
function mutated(valids: readonly object[]): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      fc.constantFrom(...valids),
      fc.nat(),
      fc.constantFrom('replace', 'delete', 'extra'),
      wrongValue,
      fc.oneof(
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'who', 'toString', 'action', 'why', 'keys'),
        fc.string({ maxLength: 8 }),
      ),
    )
    .map(([valid, pick, op, value, key]) => {
      const copy = structuredClone(valid) as Record<string, unknown>;
      const objects: Array<Record<string, unknown>> = [];
      const walk = (o: Record<string, unknown>) => {
        objects.push(o);
        for (const child of Object.values(o))
          if (child !== null && typeof child === 'object') walk(child as Record<string, unknown>);
      };
      walk(copy);
      const target = objects[pick % objects.length] as Record<string, unknown>;
      const keys = Object.keys(target);
      const existing = keys[pick % keys.length];
      if (op === 'extra' || existing === undefined) setOwn(target, key, value);
      else if (op === 'delete') delete target[existing];
      else setOwn(target, existing, value);
      return copy;
    });
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value) ?? '');

/** Bytes a body could hold: valid, mutated, arbitrary JSON, pollution attempts, broken bytes, oversized. */
function bodies(valids: readonly object[]): fc.Arbitrary<Uint8Array> {
  const validText = fc.constantFrom(...valids.map((v) => JSON.stringify(v)));
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...valids).map(encode) },
    { weight: 8, arbitrary: mutated(valids).map(encode) },
    { weight: 3, arbitrary: fc.jsonValue().map(encode) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(
          '{"__proto__":{"action":"pause"}}',
          '{"constructor":{"prototype":{"action":"pause"}}}',
          '{"action":"pause","__proto__":{"admin":true}}',
          '{"endpoint":"https://p.example/1","keys":{"p256dh":"k","auth":"a"},"__proto__":{"who":"x"}}',
          '{"action":"abort","action":"emergency-stop","x":1}',
          '',
          ' ',
          'null',
          '[]',
          '1e999',
          '"pause"',
          '\uFEFF{"action":"resume"}',
          // Nested deeper than JSON.stringify can write back: at the size limit, and inside a field.
          `${'['.repeat(BODY_LIMIT / 2)}${']'.repeat(BODY_LIMIT / 2)}`,
          `{"action":"pause","why":${'['.repeat(7000)}${']'.repeat(7000)}}`,
          `{"endpoint":"https://p.example/1","keys":${'['.repeat(7000)}${']'.repeat(7000)}}`,
          `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`,
        )
        .map((t) => new TextEncoder().encode(t)),
    },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        // Valid JSON around bytes that are not UTF-8: a lone continuation byte, an overlong '/', a surrogate.
        fc
          .tuple(
            validText,
            fc.nat(),
            fc.constantFrom([0xff], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8]),
          )
          .map(([text, at, bad]) => {
            const bytes = Buffer.from(text);
            const quote = bytes.lastIndexOf(0x22);
            const i = quote > 0 ? quote : at % (bytes.length + 1);
            return new Uint8Array(Buffer.concat([bytes.subarray(0, i), Buffer.from(bad), bytes.subarray(i)]));
          }),
        fc
          .tuple(validText, fc.nat())
          .map(([text, cut]) => new TextEncoder().encode(text.slice(0, cut % text.length))),
      ),
    },
    {
      weight: 1,
      // Valid JSON padded with whitespace to just under, at and past the limit, or far past it.
      arbitrary: fc
        .tuple(validText, fc.constantFrom(-1, 0, 1, 2, 5_000, 200_000))
        .map(([text, over]) =>
          new TextEncoder().encode(text + ' '.repeat(Math.max(0, BODY_LIMIT + over - text.length))),
        ),
    },
  );
}

const ROUNDS = { seed: 0xa91, numRuns: RUNS } as const;

// ---------------------------------------------------------------------------------------------------------------

describe('the dashboard API under random requests', () => {
  beforeAll(async () => {
    // The app shell's files, served to anyone: a 200 for them, a 404 for every other path outside /api/.
    assets = new Set((await buildDashboard()).keys());
  });

  it(
    `POST /api/actions: ${RUNS} random bodies, content types and tokens, each answered as documented and none acted on`,
    async () => {
      // Every action the schema knows, with and without a reason; approve and reject name a waiting proposal or not.
      const valids = ActionRequestSchema.options.flatMap((option) =>
        option.shape.action.options.flatMap((action) =>
          'experimentId' in option.shape
            ? [
                { action, experimentId: pending[0] },
                { action, experimentId: 'not-waiting-1', why: 'fuzz' },
              ]
            : [{ action }, { action, why: 'fuzz' }],
        ),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.noBias(fc.tuple(authorization, contentType, bodies(valids))),
          async ([auth, type, body]) => {
            await exercise('POST /api/actions', {
              method: 'POST',
              path: '/api/actions',
              authorization: auth,
              contentType: type,
              body,
            });
          },
        ),
        ROUNDS,
      );
      report('POST /api/actions');
      await stillServing();
    },
    TIMEOUT,
  );

  it(
    `POST /api/push/subscriptions: ${RUNS} random bodies; only valid subscriptions are kept`,
    async () => {
      const valids = [
        { endpoint: 'https://push.example.org/send/abc', keys: { p256dh: 'BNcR', auth: 'tB' } },
        {
          endpoint: 'http://push.example.org:8443/x?y=1',
          expirationTime: null,
          keys: { p256dh: 'k'.repeat(200), auth: 'a'.repeat(100) },
        },
        {
          endpoint: 'https://p.example/2',
          expirationTime: 1_800_000_000_000,
          keys: { p256dh: 'p', auth: 'a' },
        },
      ];
      const kept = new Set(server.push?.endpoints());
      await fc.assert(
        fc.asyncProperty(
          fc.noBias(fc.tuple(authorization, contentType, bodies(valids))),
          async ([auth, type, body]) => {
            const request = {
              method: 'POST',
              path: '/api/push/subscriptions',
              authorization: auth,
              contentType: type,
              body,
            };
            const want = await exercise('POST /api/push/subscriptions', request);
            if (want.status === 201)
              kept.add((JSON.parse(new TextDecoder().decode(body)) as { endpoint: string }).endpoint);
            expect(new Set(server.push?.endpoints()), describeRequest(request)).toEqual(kept);
          },
        ),
        ROUNDS,
      );
      report('POST /api/push/subscriptions');
      await stillServing();
    },
    TIMEOUT,
  );

  it(
    `POST /api/alerts/:id/ack: ${RUNS} random ids, bodies and tokens; no alert acknowledged`,
    async () => {
      const id = fc.oneof(
        fc.constantFrom(...alertIds),
        fc.string({ maxLength: 12 }).map(encodeURIComponent),
        fc.constantFrom(
          '%zz',
          '%E0%A4%A',
          '%',
          '%C0%AF',
          '%ED%A0%80',
          '__proto__',
          'constructor',
          '0',
          '-1',
          '1e3',
        ),
        fc.constantFrom('..', '%2e%2e', 'a%2Fb', 'x'.repeat(3000)),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.noBias(fc.tuple(authorization, id, contentType, fc.option(fc.uint8Array({ maxLength: 64 })))),
          async ([auth, alert, type, body]) => {
            await exercise('POST /api/alerts/:id/ack', {
              method: 'POST',
              path: `/api/alerts/${alert}/ack`,
              authorization: auth,
              contentType: type,
              body: body ?? undefined,
            });
          },
        ),
        ROUNDS,
      );
      report('POST /api/alerts/:id/ack');
      await stillServing();
    },
    TIMEOUT,
  );

  it(
    `GET routes: ${RUNS} random paths, query strings, methods and tokens`,
    async () => {
      const segment = fc.oneof(
        {
          weight: 3,
          arbitrary: fc.constantFrom(
            'state',
            'session',
            'alerts',
            'events',
            'devices',
            ...DEVICES,
            'ack',
            'actions',
            'push',
            '..',
            '.',
            '',
            '%zz',
            '%E0%A4%A',
            '%2F',
            '%00',
            '%2e%2e',
            '__proto__',
            'constructor',
            'app.js',
            'index.html',
          ),
        },
        { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
        { weight: 1, arbitrary: fc.string({ maxLength: 4, unit: 'grapheme' }) },
      );
      const path = fc
        .tuple(
          fc.constantFrom('/api/', '/api/', '/', '//', '/api/devices/'),
          fc.array(segment, { maxLength: 3 }),
          fc.option(fc.string({ maxLength: 16 })),
        )
        .map(
          ([prefix, segments, query]) => `${prefix}${segments.join('/')}${query === null ? '' : `?${query}`}`,
        );
      const method = fc.oneof(
        { weight: 8, arbitrary: fc.constant('GET') },
        { weight: 1, arbitrary: fc.constantFrom('HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
      );
      await fc.assert(
        fc.asyncProperty(fc.noBias(fc.tuple(method, path, authorization)), async ([verb, at, auth]) => {
          await exercise('paths', {
            method: verb,
            path: at,
            authorization: auth,
          });
        }),
        ROUNDS,
      );
      report('paths');
      await stillServing();
    },
    TIMEOUT,
  );

  it(
    `raw HTTP: ${RUNS} requests with random request lines and header bytes, each answered without a 5xx`,
    async () => {
      const target = fc.oneof(
        { weight: 2, arbitrary: fc.string({ maxLength: 24, unit: 'binary' }).map((s) => `/api/${s}`) },
        {
          weight: 3,
          arbitrary: fc
            .string({ unit: fc.constantFrom(...'az09-._~/?=&+;:@!$*,'.split(''), '%zz', '%2F', '%00', '..') })
            .map((s) => `/api/${s}`),
        },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            '/api/state',
            '/api/devices/%zz',
            '/api/alerts/%E0%A4%A/ack',
            '*',
            'http://a:99999/api/state',
            'http://[::1/api/state',
            '//[/api/state',
            'http://127.0.0.1/api/session',
            'https://u:p@h:1/api/session',
            'api/state',
            '/api/%',
            '/%',
          ),
        },
      );
      const headerValue = fc.oneof(
        { weight: 5, arbitrary: printable },
        { weight: 1, arbitrary: fc.string({ maxLength: 20, unit: 'binary' }) },
      );
      const header = fc.oneof(
        {
          weight: 4,
          arbitrary: fc.tuple(
            fc.constantFrom(
              'authorization',
              'content-type',
              'origin',
              'accept-encoding',
              'expect',
              'if-none-match',
              'upgrade',
              'cookie',
              'x-forwarded-for',
            ),
            headerValue,
          ),
        },
        { weight: 1, arbitrary: fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), headerValue) },
        {
          weight: 3,
          arbitrary: fc.tuple(
            fc.constant('authorization'),
            authorization.map((a) => a ?? ''),
          ),
        },
      );
      const request = fc.record({
        method: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom('GET', 'POST') },
          { weight: 1, arbitrary: fc.constantFrom('HEAD', 'OPTIONS', 'PUT', 'get', 'BREW', '', 'PRI') },
        ),
        target,
        version: fc.oneof(
          { weight: 8, arbitrary: fc.constant('HTTP/1.1') },
          { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.9', 'http/1.1') },
        ),
        headers: fc.array(header, { maxLength: 4 }),
        body: fc.option(fc.uint8Array({ maxLength: 64 })),
      });
      await fc.assert(
        fc.asyncProperty(fc.noBias(request), async ({ method, target: at, version, headers, body }) => {
          // No CR or LF inside a line, no framing header but the one written here: every request is complete. A
          // Host header always: Node answers an HTTP/1.1 request without one with an empty 400 of its own.
          const lines = headers
            .filter(([name]) => !/^(content-length|transfer-encoding|connection|host)$/i.test(name))
            .map(([name, value]) => `${name}: ${value}`.replace(/[\r\n]/g, ''));
          const head = [
            `${method} ${at} ${version}`.replace(/[\r\n]/g, ''),
            'host: fuzz',
            ...lines,
            'connection: close',
          ];
          if (body) head.push(`content-length: ${body.length}`);
          const bytes = Buffer.concat([
            Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'),
            Buffer.from(body ?? []),
          ]);
          const label = JSON.stringify(bytes.toString('latin1').slice(0, 300));
          const before = appended.length;
          const answer = await exchange(bytes, method === 'HEAD');
          expect(answer, `${label} was never answered`).toBeDefined();
          const { status, type, text } = answer as Answer;
          count('raw HTTP', status);
          expect(status, `${label} → ${status} ${text}`).toBeLessThan(500);
          if (status >= 400 && method !== 'HEAD') {
            expect(type, `${label} → ${status} ${text}`).toMatch(/^application\/json/);
            expect(ApiErrorSchema.safeParse(JSON.parse(text)).success, `${label} → ${text}`).toBe(true);
          }
          expect(
            appended.slice(before).filter((r) => r.who.startsWith('operator:')),
            label,
          ).toEqual([]);
        }),
        ROUNDS,
      );
      report('raw HTTP');
      await stillServing();
    },
    TIMEOUT,
  );
});

/**
 * Writes raw bytes to the server and reads one answer: the status, content type and body (up to its length, or
 * until the server closes). Undefined when the server closed the connection without answering.
 */
function exchange(bytes: Buffer, head = false): Promise<Answer | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `no answer within ${ANSWER_MS} ms to ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`,
        ),
      );
    }, ANSWER_MS);
    const parse = (ended: boolean): Answer | undefined => {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const lines = received.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
      const field = (name: string) =>
        lines
          .find((l) => l.toLowerCase().startsWith(`${name}:`))
          ?.slice(name.length + 1)
          .trim();
      const type = field('content-type') ?? '';
      const length = field('content-length');
      const chunked = /chunked/i.test(field('transfer-encoding') ?? '');
      const body = received.subarray(end + 4);
      const done =
        ended ||
        head ||
        type.startsWith('text/event-stream') ||
        status === 204 ||
        status === 304 ||
        (chunked ? body.includes('0\r\n\r\n') : length !== undefined && body.length >= Number(length));
      if (!done) return undefined;
      return { status, type, text: (chunked ? unchunked(body) : body).toString('utf8') };
    };
    const finish = (answer: Answer | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answer = parse(false);
      if (answer) finish(answer);
    });
    socket.on('end', () => finish(parse(true)));
    socket.on('error', () => finish(parse(true)));
    socket.write(bytes);
  });
}

/** A chunked body's data. */
function unchunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (eol < 0 || !(size > 0)) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

describe('the body size limit', () => {
  const resume = (size: number) => new TextEncoder().encode('{"action":"resume"}'.padEnd(size, ' '));
  const operator = `Bearer ${tokenOf('operator')}`;

  it(`reads a body of exactly ${BODY_LIMIT} bytes and refuses ${BODY_LIMIT + 1} with 413, with or without a length`, async () => {
    for (const chunked of [false, true]) {
      const post = async (bytes: Uint8Array) => {
        const response = await fetch(`${server.url}/api/actions`, {
          method: 'POST',
          headers: { authorization: operator, 'content-type': 'application/json' },
          // A stream has no known length: it goes out chunked, so the server must count as it reads.
          body: chunked ? new Blob([bytes]).stream() : bytes,
          ...(chunked ? { duplex: 'half' } : {}),
          signal: AbortSignal.timeout(ANSWER_MS),
        } as RequestInit);
        return { status: response.status, problem: ApiErrorSchema.parse(await response.json()) };
      };
      // At the limit the body is read and validated: a valid resume, refused only by the campaign's state.
      const at = await post(resume(BODY_LIMIT));
      expect(at, `chunked: ${chunked}`).toMatchObject({ status: 409, problem: { error: 'Conflict' } });
      for (const size of [BODY_LIMIT + 1, 1_000_000]) {
        const over = await post(resume(size));
        expect(over, `${size} bytes, chunked: ${chunked}`).toMatchObject({
          status: 413,
          problem: { error: 'PayloadTooLarge', message: `a request body may be at most ${BODY_LIMIT} bytes` },
        });
      }
    }
    await stillServing();
  });
});

describe('after the fuzz', () => {
  it('prints the figures, and carries out a valid pause once, audited with who: the checks above can fail', async () => {
    const before = appended.length;
    const answer = await send({
      method: 'POST',
      path: '/api/actions',
      authorization: `Bearer ${tokenOf('operator')}`,
      contentType: 'application/json',
      body: encode({ action: 'pause', why: 'after the fuzz' }),
    });
    expect(answer.status).toBe(200);
    expect(appended.slice(before)).toEqual([
      expect.objectContaining({
        type: 'operator.action',
        action: 'pause',
        who: 'operator:dan',
        why: 'after the fuzz',
      }),
    ]);
    expect(observe()).not.toEqual(baseline);
  });
});
