import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AccessToken,
  Alert,
  ApiError,
  CommandView,
  LabSnapshot,
  LiveMessage,
} from '../../contracts/index.ts';
import { type GatedLab, startGatedLab } from '../../test/support/dashboard-lab.ts';
import type { CampaignSession } from '../index.ts';
import { type DashboardServer, startDashboardServer } from './index.ts';

const tokens: AccessToken[] = [
  { name: 'carol', role: 'approver', token: 'tok-approver-aaaaaaaaaaaaaaaa' },
  { name: 'dan', role: 'operator', token: 'tok-operator-bbbbbbbbbbbbbbbb' },
  { name: 'lobby', role: 'viewer', token: 'tok-viewer-cccccccccccccccccc' },
];
const [approver, operator, viewer] = tokens.map((t) => t.token) as [string, string, string];

let lab: GatedLab;
let session: CampaignSession;
let server: DashboardServer;
let hook: Server;
const hooked: Array<{ text: string }> = [];
const notices: string[] = [];
let runsDir: string;

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      hooked.push(JSON.parse(body));
      res.end('ok');
    });
  });
  hook.listen(0, '127.0.0.1');
  await once(hook, 'listening');
  lab = await startGatedLab({ lab: 'api-lab', experiments: 2, batch: 2 });
  ({ session, runsDir } = lab);
  server = await startDashboardServer({
    session,
    tokens,
    host: '127.0.0.1',
    port: 0,
    webhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
    onNotice: (m) => notices.push(m),
  });
});

afterAll(async () => {
  await server?.close();
  await lab?.close();
  hook.close();
});

const call = (path: string, token?: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, {
    ...init,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(init.headers as Record<string, string>),
    },
  });
/** An error answer of the API. */
const problem = async (response: Response) => (await response.json()) as ApiError;
const post = (path: string, token: string | undefined, body: unknown) =>
  call(path, token, { method: 'POST', body: JSON.stringify(body) });

/** Opens the live stream and collects its messages until `until` says stop. */
async function stream(token: string, until: (messages: LiveMessage[]) => boolean): Promise<LiveMessage[]> {
  const controller = new AbortController();
  const response = await call('/api/events', token, { signal: controller.signal });
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const messages: LiveMessage[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    const frames = buffer.split('\n\n');
    buffer = frames.pop() ?? '';
    for (const frame of frames) {
      const data = frame.split('\n').find((l) => l.startsWith('data: '));
      if (data) messages.push(JSON.parse(data.slice(6)));
    }
    if (until(messages)) break;
  }
  controller.abort();
  return messages;
}

async function pendingIds(count: number): Promise<string[]> {
  const messages = await stream(viewer, (m) =>
    m.some(
      (x) =>
        (x.type === 'campaign' && x.campaign.pendingApprovals.length === count) ||
        (x.type === 'snapshot' && x.snapshot.campaign.pendingApprovals.length === count),
    ),
  );
  const last = messages.findLast((x) => x.type === 'campaign' || x.type === 'snapshot') as LiveMessage;
  const campaign =
    last.type === 'snapshot' ? last.snapshot.campaign : last.type === 'campaign' ? last.campaign : undefined;
  return (campaign?.pendingApprovals ?? []).map((p) => p.experimentId);
}

describe('the dashboard API', () => {
  it('serves the app shell to anyone and no data without a valid token (401)', async () => {
    expect((await call('/')).status).toBe(200);
    expect((await call('/app.js')).headers.get('content-type')).toContain('javascript');
    for (const path of ['/api/state', '/api/events', '/api/alerts', '/api/devices/plate-reader-1']) {
      const response = await call(path);
      expect(response.status, path).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'Unauthorized' });
    }
    expect((await call('/api/state', 'tok-nobody-ddddddddddddddddd')).status).toBe(401);
    expect((await post('/api/actions', undefined, { action: 'emergency-stop' })).status).toBe(401);
    expect(
      (await call('/api/state', undefined, { headers: { authorization: `Basic ${approver}` } })).status,
    ).toBe(401);
  });

  it('tells each token who it is and sends security headers', async () => {
    const response = await call('/api/session', viewer);
    expect(await response.json()).toMatchObject({ you: { name: 'lobby', role: 'viewer' }, lab: 'api-lab' });
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('streams a snapshot first, then live changes, with no polling', async () => {
    const messages = await stream(viewer, (m) => m.some((x) => x.type === 'device') || m.length > 50);
    expect(messages[0]?.type).toBe('snapshot');
    const snapshot = messages[0]?.type === 'snapshot' ? messages[0].snapshot : undefined;
    expect(snapshot?.devices.map((d) => d.deviceId)).toEqual(['liquid-handler-1', 'plate-reader-1']);
    expect(snapshot?.push.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(messages.some((x) => x.type === 'device')).toBe(true);
  });

  it('enforces roles on the server: 403 for a viewer acting, for an operator approving', async () => {
    const [first] = await pendingIds(2);
    const refusedPause = await post('/api/actions', viewer, { action: 'pause' });
    expect(refusedPause.status).toBe(403);
    expect((await problem(refusedPause)).message).toBe(
      'lobby is a viewer and may not pause; that needs the operator role',
    );
    const refusedApprove = await post('/api/actions', operator, { action: 'approve', experimentId: first });
    expect(refusedApprove.status).toBe(403);
    expect((await post(`/api/alerts/1/ack`, viewer, {})).status).toBe(403);
  });

  it('validates every action body and names the bad field (400, 415, 413)', async () => {
    const unknown = await post('/api/actions', operator, { action: 'explode' });
    expect(unknown.status).toBe(400);
    expect((await problem(unknown)).issues?.[0]).toMatch(/^action: /);
    const missing = await post('/api/actions', approver, { action: 'approve' });
    expect((await problem(missing)).issues).toEqual([expect.stringMatching(/^experimentId: /)]);
    const extra = await post('/api/actions', operator, { action: 'pause', who: 'operator:root' });
    expect(extra.status).toBe(400);
    const notJson = await call('/api/actions', operator, {
      method: 'POST',
      body: 'pause',
      headers: { 'content-type': 'text/plain' },
    });
    expect(notJson.status).toBe(415);
    const huge = await post('/api/actions', operator, { action: 'pause', why: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
  });

  it('says why an action makes no sense now (409) and carries out allowed ones, audited with who and why', async () => {
    const resume = await post('/api/actions', operator, { action: 'resume' });
    expect(resume.status).toBe(409);
    expect((await problem(resume)).message).toMatch(/^cannot resume the campaign while it is /);
    const [first, second] = await pendingIds(2);
    const ok = await post('/api/actions', approver, {
      action: 'approve',
      experimentId: first,
      why: 'inside the dye budget',
    });
    expect(ok.status).toBe(200);
    expect((await post('/api/actions', approver, { action: 'reject', experimentId: second })).status).toBe(
      200,
    );
    const summary = await session.done;
    expect(summary).toMatchObject({ succeeded: 1, rejected: 1 });
    const audit = readFileSync(session.runDir.log.file, 'utf8');
    expect(audit).toContain('"who":"operator:carol","why":"inside the dye budget"');
    const ended = await post('/api/actions', operator, { action: 'pause' });
    expect(ended.status).toBe(409);
    expect((await problem(ended)).message).toMatch(/has ended/);
  });

  it('keeps answering after the campaign ended: state, device history, alerts and acknowledgements', async () => {
    const state = (await (await call('/api/state', viewer)).json()) as LabSnapshot;
    expect(state.campaign).toMatchObject({ ended: true, succeeded: 1, rejected: 1, pendingApprovals: [] });
    expect(state.experiments.map((e) => e.status).sort()).toEqual(['rejected', 'succeeded']);
    const device = (await (await call('/api/devices/plate-reader-1', viewer)).json()) as {
      commands: CommandView[];
    };
    expect(device.commands).toEqual([expect.objectContaining({ command: 'measure', status: 'succeeded' })]);
    expect((await call('/api/devices/no-such-1', viewer)).status).toBe(404);
    const alerts = (await (await call('/api/alerts', viewer)).json()) as Alert[];
    expect(alerts.map((a) => a.kind)).toEqual([
      'campaign.finished',
      'approval.requested',
      'approval.requested',
    ]);
    const acked = await post(`/api/alerts/${alerts[0]?.id}/ack`, operator, {});
    expect(await acked.json()).toMatchObject({ acknowledged: { who: 'operator:dan' } });
    expect((await post('/api/alerts/999/ack', operator, {})).status).toBe(404);
    await server.alerts.flush();
    expect(hooked.map((m) => m.text)).toEqual(
      expect.arrayContaining([expect.stringMatching(/Approval needed/), expect.stringMatching(/finished/)]),
    );
  });

  it('accepts push subscriptions, validated', async () => {
    const bad = await post('/api/push/subscriptions', viewer, { endpoint: 'ftp://x', keys: {} });
    expect(bad.status).toBe(400);
    const good = await post('/api/push/subscriptions', viewer, {
      endpoint: 'https://push.example.org/abc',
      keys: { p256dh: 'BNc', auth: 'x1' },
    });
    expect(good.status).toBe(201);
    expect(server.push?.endpoints()).toEqual(['https://push.example.org/abc']);
  });

  it('never writes a token to the run directory, the lab folder or a notice', () => {
    const files = [
      ...readdirSync(session.runDir.dir).map((f) => join(session.runDir.dir, f)),
      ...readdirSync(join(runsDir, '.labloop', 'api-lab')).map((f) =>
        join(runsDir, '.labloop', 'api-lab', f),
      ),
    ].filter((f) => /\.(jsonl|json|csv|yaml)$/.test(f));
    expect(files.length).toBeGreaterThan(3);
    const everything = [
      ...files.map((f) => readFileSync(f, 'utf8')),
      ...notices,
      ...hooked.map((h) => JSON.stringify(h)),
    ].join('\n');
    for (const t of tokens) expect(everything).not.toContain(t.token);
  });
});

/** Writes raw bytes to the server and resolves with everything it answers before closing the connection. */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 5 s to ${JSON.stringify(bytes)}`));
    }, 5_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.write(Buffer.from(bytes, 'latin1'));
  });
}

// Each found by test/fuzz/api-bodies.fuzz.test.ts.
describe('requests the API cannot read', () => {
  it('answers a request target that is not a URL path with 400 instead of never answering', async () => {
    const slashes = await call('//', viewer, { signal: AbortSignal.timeout(5_000) });
    expect(slashes.status).toBe(400);
    expect((await problem(slashes)).message).toMatch(/^the request target "\/\/" is not a valid path/);
    const badPort = await rawRequest(
      server.port,
      `GET http://a:99999/api/state HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${viewer}\r\nConnection: close\r\n\r\n`,
    );
    expect(badPort).toMatch(/^HTTP\/1\.1 400 /);
    expect(badPort).toContain('"error":"BadRequest"');
  });

  it('refuses malformed percent-encoding in a device or alert id with 400 naming the id', async () => {
    const device = await call('/api/devices/%zz', viewer);
    expect(device.status).toBe(400);
    expect((await problem(device)).message).toBe(
      'the device id in the path is not valid percent-encoding (%XX of UTF-8 bytes): got "%zz"',
    );
    const alert = await post('/api/alerts/%E0%A4%A/ack', operator, {});
    expect(alert.status).toBe(400);
    expect((await problem(alert)).message).toMatch(/^the alert id in the path is not valid percent-encoding/);
  });

  it('refuses a body that is not UTF-8 (400) and a content type that only starts like JSON (415)', async () => {
    const bytes = Buffer.from('{"action":"pause","why":"\u00ff"}', 'latin1');
    const latin1 = await call('/api/actions', operator, {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/json' },
    });
    expect(latin1.status).toBe(400);
    expect((await problem(latin1)).message).toMatch(/^the body is not valid UTF-8/);
    const seq = await call('/api/actions', operator, {
      method: 'POST',
      body: JSON.stringify({ action: 'pause' }),
      headers: { 'content-type': 'application/json-seq' },
    });
    expect(seq.status).toBe(415);
  });

  it('answers bytes that are not HTTP with a JSON 400, as every other refusal', async () => {
    const answer = await rawRequest(
      server.port,
      'GET /api/state HTTP/1.1\r\nHost: x\r\nAuthorization: \u0001\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: 'BadRequest' });
  });

  it('names the root of a body nested 8,192 levels deep (400) instead of failing to describe it (500)', async () => {
    const deep = `${'['.repeat(8_192)}${']'.repeat(8_192)}`;
    for (const path of ['/api/actions', '/api/push/subscriptions']) {
      const response = await call(path, operator, {
        method: 'POST',
        body: deep,
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status, path).toBe(400);
      expect((await problem(response)).issues, path).toEqual([
        expect.stringMatching(
          /^\(root\): Invalid input: expected object, received array \(got an array nested/,
        ),
      ]);
    }
  });

  it('says what a push endpoint must be, not only that it is invalid', async () => {
    const response = await post('/api/push/subscriptions', viewer, {
      endpoint: 'ftp://push.example.org/1',
      keys: { p256dh: 'k', auth: 'a' },
    });
    expect(response.status).toBe(400);
    expect((await problem(response)).issues).toEqual([
      'endpoint: expected an https:// or http:// URL (got "ftp://push.example.org/1")',
    ]);
  });

  it('refuses an Expect header it does not support with a JSON 417', async () => {
    const answer = await rawRequest(
      server.port,
      `GET /api/state HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${viewer}\r\nExpect: later\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 417 /);
    expect(answer).toContain('"error":"ExpectationFailed"');
  });

  it('answers the next upload on a kept-alive connection after refusing a 1 MB body (413)', async () => {
    const upload = (size: number, chunked: boolean) => {
      const bytes = new TextEncoder().encode('{"action":"resume"}'.padEnd(size, ' '));
      return call('/api/actions', operator, {
        method: 'POST',
        // A stream has no known length, so it goes out chunked.
        body: chunked ? new Blob([bytes]).stream() : bytes,
        headers: { 'content-type': 'application/json' },
        signal: AbortSignal.timeout(5_000),
        ...(chunked ? { duplex: 'half' } : {}),
      } as RequestInit);
    };
    expect((await upload(1_000_000, false)).status).toBe(413);
    expect((await upload(16_384, true)).status).toBe(409);
    expect((await upload(16_385, true)).status).toBe(413);
  });
});
