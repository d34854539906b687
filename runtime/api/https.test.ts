import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessToken } from '../../contracts/index.ts';
import { type GatedLab, startGatedLab } from '../../test/support/dashboard-lab.ts';
import { type DashboardServer, startDashboardServer } from './index.ts';

/**
 * The dashboard over HTTPS (`--tls-cert`/`--tls-key`), as a phone needs it for notifications and the offline
 * shell. The certificate in test/support/tls is a self-signed one for localhost and 127.0.0.1, for tests only.
 */
const tlsDir = new URL('../../test/support/tls/', import.meta.url);
const cert = readFileSync(new URL('localhost.crt', tlsDir));
const key = readFileSync(new URL('localhost.key', tlsDir));
const tokens: AccessToken[] = [{ name: 'dan', role: 'operator', token: 'tok-operator-tls-bbbbbbbbbbbb' }];

let lab: GatedLab;
let server: DashboardServer;

beforeAll(async () => {
  lab = await startGatedLab({ lab: 'tls-lab', experiments: 2, batch: 2 });
  server = await startDashboardServer({
    session: lab.session,
    tokens,
    host: '127.0.0.1',
    port: 0,
    tls: { cert, key },
  });
});

afterAll(async () => {
  await server?.close();
  await lab?.close();
});

/** One HTTPS request that trusts only the test certificate; resolves with the status, headers and body. */
function get(
  path: string,
  options: { token?: string; ca?: Buffer; firstChunkOnly?: boolean } = {},
): Promise<{ status: number; type: string; body: string; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      {
        ca: options.ca ?? cert,
        // One connection per request: nothing pooled stays open for the server's close to wait on.
        agent: false,
        headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      },
      (res) => {
        let body = '';
        const protocol = (res.socket as { getProtocol?: () => string | null }).getProtocol?.() ?? '';
        const done = () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body, protocol });
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
          if (options.firstChunkOnly) {
            done();
            req.destroy();
          }
        });
        res.on('end', done);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('dashboard over HTTPS', () => {
  it('serves on an https URL with the given certificate', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/text\/html/);
    expect(page.protocol).toMatch(/^TLSv1\.[23]$/);
  });

  it('refuses the API without a token (401) and answers with one, over TLS', async () => {
    expect((await get('/api/state')).status).toBe(401);
    const snapshot = await get('/api/state', { token: tokens[0]?.token });
    expect(snapshot.status).toBe(200);
    expect(JSON.parse(snapshot.body).campaign.name).toBe('colour-mixing');
  });

  it('streams live updates (server-sent events) over TLS', async () => {
    const stream = await get('/api/events', { token: tokens[0]?.token, firstChunkOnly: true });
    expect(stream.status).toBe(200);
    expect(stream.type).toMatch(/text\/event-stream/);
  });

  it('is refused by a client that does not trust the certificate', async () => {
    await expect(get('/', { ca: Buffer.from('') })).rejects.toThrow(/self[- ]signed|unable to verify/i);
  });
});
