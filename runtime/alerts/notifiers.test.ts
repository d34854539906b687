import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Alert, ScaledClock } from '../../contracts/index.ts';
import { NotifierError, WebhookNotifier, WebPushNotifier } from './index.ts';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A local HTTP receiver on 127.0.0.1 that records requests and answers with the next status in `replies`. */
let receiver: Server;
let base: string;
const received: Received[] = [];
let replies: number[] = [];
beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.statusCode = replies.shift() ?? 201;
      res.end(res.statusCode >= 400 ? 'nope' : 'ok');
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(() => receiver.close());
beforeEach(() => {
  received.length = 0;
  replies = [];
});

const alert: Alert = {
  id: '42',
  kind: 'device.fault',
  severity: 'critical',
  title: 'liquid-handler-1: ReservoirEmpty',
  detail: 'blue holds 3 µL, the mix needs 40 µL',
  at: Date.UTC(2026, 10, 22, 3, 14),
  lab: 'demo-lab',
  campaignId: 'colour-mixing-x',
  deviceId: 'liquid-handler-1',
  count: 1,
  resolved: false,
};

describe('WebhookNotifier', () => {
  const clock = new ScaledClock(1e5);

  it('posts a Slack-compatible message with text and blocks, and a token-free dashboard link', async () => {
    await new WebhookNotifier({
      url: `${base}/hooks/T1/B2`,
      dashboardUrl: 'http://10.0.0.5:8080/',
      clock,
    }).notify(alert);
    expect(received).toHaveLength(1);
    const [request] = received as [Received];
    expect(request.path).toBe('/hooks/T1/B2');
    expect(request.headers['content-type']).toBe('application/json');
    const message = JSON.parse(request.body.toString());
    expect(message.text).toBe(
      ':rotating_light: [demo-lab] liquid-handler-1: ReservoirEmpty — blue holds 3 µL, the mix needs 40 µL',
    );
    expect(message.blocks[0]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: expect.stringContaining('*:rotating_light: [demo-lab] liquid-handler-1'),
      },
    });
    expect(message.blocks[1].elements[0].text).toContain(
      '<http://10.0.0.5:8080/#/alerts|open the dashboard>',
    );
  });

  it('retries a 5xx answer with backoff and succeeds', async () => {
    replies = [503, 502];
    await new WebhookNotifier({ url: `${base}/hook`, clock, backoffMs: 1000 }).notify(alert);
    expect(received).toHaveLength(3);
  });

  it('gives up at once on a 4xx answer, saying what the receiver said', async () => {
    replies = [404];
    const failure = new WebhookNotifier({ url: `${base}/hook`, clock }).notify(alert);
    await expect(failure).rejects.toThrow(
      new NotifierError('webhook', 'alert 42 was refused with HTTP 404 (nope) on try 1 of 3', 404),
    );
    expect(received).toHaveLength(1);
  });

  it('fails with a NotifierError when nothing listens', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await expect(
      new WebhookNotifier({ url: `http://127.0.0.1:${port}/x`, clock, attempts: 2 }).notify(alert),
    ).rejects.toThrow(/could not be posted on try 2 of 2/);
  });
});

/** A browser's side of a push subscription: its ECDH key pair and auth secret (RFC 8291). */
function browserKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    ecdh,
    auth,
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
  };
}

/** Decrypts an aes128gcm Web Push body as the browser would (RFC 8188 + RFC 8291). */
function decrypt(body: Buffer, ecdh: ReturnType<typeof createECDH>, auth: Buffer): string {
  const salt = body.subarray(0, 16);
  const idlen = body[20] as number;
  const serverKey = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const shared = ecdh.computeSecret(serverKey);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), serverKey]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, auth, info, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(-16));
  const plain = Buffer.concat([decipher.update(ciphertext.subarray(0, -16)), decipher.final()]);
  return plain.subarray(0, plain.lastIndexOf(2)).toString('utf8');
}

/** Checks the VAPID JWT of an `Authorization: vapid t=…, k=…` header against the lab's public key. */
function vapidClaims(header: string, publicKey: string): Record<string, unknown> {
  const match = /^vapid t=([^,]+), k=(.+)$/.exec(header);
  if (!match) throw new Error(`not a VAPID authorization: ${header}`);
  const [, jwt, k] = match as unknown as [string, string, string];
  expect(k).toBe(publicKey);
  const [head, claims, signature] = jwt.split('.') as [string, string, string];
  const point = Buffer.from(publicKey, 'base64url');
  const key = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
  const ok = verify(
    'sha256',
    Buffer.from(`${head}.${claims}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
  expect(ok).toBe(true);
  return JSON.parse(Buffer.from(claims, 'base64url').toString());
}

describe('WebPushNotifier', () => {
  it('keeps one VAPID key pair per lab, private to its owner', () => {
    const dir = mkdtempSync(join(tmpdir(), 'labloop-push-'));
    const first = WebPushNotifier.open({ dir });
    const again = WebPushNotifier.open({ dir });
    expect(again.publicKey).toBe(first.publicKey);
    expect(Buffer.from(first.publicKey, 'base64url')).toHaveLength(65);
    expect(statSync(join(dir, 'vapid.json')).mode & 0o777).toBe(0o600);
  });

  it('sends an encrypted notification the browser can decrypt, signed with the lab key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'labloop-push-'));
    const push = WebPushNotifier.open({ dir, subject: 'mailto:lab@example.org' });
    const browser = browserKeys();
    push.subscribe({ endpoint: `${base}/push/phone-1`, keys: browser.keys }, 'operator:alice');
    await push.notify(alert);
    expect(received).toHaveLength(1);
    const [request] = received as [Received];
    expect(request.path).toBe('/push/phone-1');
    expect(request.headers['content-encoding']).toBe('aes128gcm');
    expect(request.headers.urgency).toBe('high');
    expect(Number(request.headers.ttl)).toBe(3600);
    const claims = vapidClaims(request.headers.authorization as string, push.publicKey);
    expect(claims).toMatchObject({ aud: base, sub: 'mailto:lab@example.org' });
    expect(JSON.parse(decrypt(request.body, browser.ecdh, browser.auth))).toEqual({
      title: 'liquid-handler-1: ReservoirEmpty',
      body: 'blue holds 3 µL, the mix needs 40 µL',
      tag: 'labloop-colour-mixing-x-42',
      severity: 'critical',
      url: '#/alerts',
    });
    expect(JSON.parse(readFileSync(join(dir, 'push-subscriptions.json'), 'utf8'))).toEqual([
      expect.objectContaining({ endpoint: `${base}/push/phone-1`, who: 'operator:alice' }),
    ]);
  });

  it('drops a subscription its push service calls gone, and reports other failures', async () => {
    const push = WebPushNotifier.open({ dir: mkdtempSync(join(tmpdir(), 'labloop-push-')) });
    push.subscribe({ endpoint: `${base}/push/gone`, keys: browserKeys().keys }, 'viewer:wall');
    push.subscribe({ endpoint: `${base}/push/flaky`, keys: browserKeys().keys }, 'viewer:bob');
    replies = [410, 500];
    await expect(push.notify(alert)).rejects.toThrow(NotifierError);
    expect(push.endpoints()).toHaveLength(1);
    replies = [201];
    await push.notify(alert);
    expect(received).toHaveLength(3);
  });
});
