import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DeviceStatusSchema } from '../contracts/index.ts';
import { connectProbe, type Probe, startTestBroker, type TestBroker } from '../test/support/broker.ts';
import {
  type DeviceAgent,
  DeviceAgentError,
  type DeviceAgentOptions,
  defineCatalogue,
  deviceTopic,
  startDeviceAgent,
} from './index.ts';

/**
 * The agent over TLS, as it connects to AWS IoT Core: `mqtts://`, the broker's certificate checked against `ca`,
 * and a client certificate when the broker asks for one. The broker is aedes behind `tls.createServer` with the
 * self-signed test certificate of test/support/tls (CA:TRUE, for localhost and 127.0.0.1), which also serves as
 * the client certificate and as the CA the broker checks it against.
 */
const tlsDir = new URL('../test/support/tls/', import.meta.url);
const cert = readFileSync(new URL('localhost.crt', tlsDir));
const key = readFileSync(new URL('localhost.key', tlsDir));

const lab = 'tls-lab';
const catalogue = defineCatalogue({
  shake: {
    description: 'Shakes the plate for a time.',
    parameters: z.object({ time: z.number().nonnegative().meta({ unit: 's' }) }),
    envelope: [],
    resumable: true,
  },
});

let broker: TestBroker | undefined;
let probe: Probe | undefined;
let agent: DeviceAgent | undefined;

afterEach(async () => {
  await agent?.stop();
  await probe?.close();
  await broker?.close();
  agent = probe = broker = undefined;
});

const options = (
  url: string,
  extra: Partial<DeviceAgentOptions<typeof catalogue>> = {},
): DeviceAgentOptions<typeof catalogue> => ({
  brokerUrl: url,
  labId: lab,
  deviceId: 'shaker-1',
  kind: 'shaker',
  model: 'SH-1',
  firmware: '2.0',
  catalogue,
  driver: { commands: { shake: async ({ time }) => ({ shaken: time }) } },
  // IoT Core's device policy lets a certificate connect only with its thing name as client id.
  clientId: 'shaker-1',
  reconnectPeriod: 0,
  logger: { warn: () => {} },
  ...extra,
});

/** The error `startDeviceAgent` rejects with, or a failure naming what it resolved with. */
async function refusal(start: () => Promise<DeviceAgent>): Promise<DeviceAgentError> {
  try {
    agent = await start();
  } catch (error) {
    if (error instanceof DeviceAgentError) return error;
    throw error;
  }
  throw new Error('expected the agent to refuse to start, but it connected');
}

/** Online status, a command and its result, seen by a TLS probe: the agent works end to end over TLS. */
async function expectServing(url: string, clientCertificate = false): Promise<void> {
  probe = await connectProbe(url, { tls: clientCertificate ? { ca: cert, cert, key } : { ca: cert } });
  await probe.subscribe(deviceTopic(lab, 'shaker-1', 'status'));
  await probe.subscribe(deviceTopic(lab, 'shaker-1', 'events'));
  const status = await probe.waitFor((m) => m.topic.endsWith('/status'), 'the online status');
  expect(status.retain).toBe(true);
  expect(DeviceStatusSchema.parse(status.payload)).toMatchObject({
    state: 'online',
    deviceId: 'shaker-1',
    descriptor: { kind: 'shaker', capabilities: [{ command: 'shake' }] },
  });
  await probe.publish(deviceTopic(lab, 'shaker-1', 'commands'), {
    commandId: 'tls-c1',
    deviceId: 'shaker-1',
    command: 'shake',
    parameters: { time: 3 },
    issuedAt: Date.now(),
    deadline: Date.now() + 60_000,
  });
  const result = await probe.waitFor(
    (m) => (m.payload as { type?: string }).type === 'result',
    'the result of tls-c1',
  );
  expect(result.payload).toMatchObject({ commandId: 'tls-c1', output: { shaken: 3 }, replay: false });
}

describe('device agent over TLS', () => {
  it('connects to a broker whose certificate it trusts through ca, announces itself and executes a command', async () => {
    broker = await startTestBroker({ tls: { cert, key } });
    expect(broker.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    agent = await startDeviceAgent(options(broker.url, { ca: cert }));
    await expectServing(broker.url);
  });

  it('presents its client certificate to a broker that requires one, under the client id it is given', async () => {
    broker = await startTestBroker({
      tls: { cert, key, ca: cert, requestCert: true, rejectUnauthorized: true },
    });
    const seen: Array<{ clientId: string; subject: unknown }> = [];
    broker.aedes.on('client', (client) =>
      seen.push({
        clientId: client.id,
        subject: (client.conn as unknown as TLSSocket).getPeerCertificate().subject?.CN,
      }),
    );
    agent = await startDeviceAgent(options(broker.url, { ca: cert, cert, key }));
    await expectServing(broker.url, true);
    expect(seen).toContainEqual({ clientId: 'shaker-1', subject: 'localhost' });
  });

  it('refuses to start when a broker that requires a client certificate gets none', async () => {
    broker = await startTestBroker({
      tls: { cert, key, ca: cert, requestCert: true, rejectUnauthorized: true },
    });
    const error = await refusal(() => startDeviceAgent(options(broker?.url ?? '', { ca: cert })));
    expect(error.message).toContain(`device shaker-1: cannot connect to ${broker.url}`);
  });

  it('refuses a broker whose certificate it does not trust, naming the URL and the TLS reason', async () => {
    broker = await startTestBroker({ tls: { cert, key } });
    const error = await refusal(() => startDeviceAgent(options(broker?.url ?? '')));
    expect(error.name).toBe('DeviceAgentError');
    expect(error.message).toMatch(
      new RegExp(`^device shaker-1: cannot connect to ${broker.url}: self[- ]signed certificate`),
    );
    expect((error.cause as { code?: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('refuses certificates with a URL that would connect in clear, and a certificate without its key', async () => {
    broker = await startTestBroker();
    const clear = await refusal(() => startDeviceAgent(options(broker?.url ?? '', { ca: cert, cert, key })));
    expect(clear.message).toBe(
      `device shaker-1: ca, cert, key given for ${broker.url}, which connects without TLS; use an mqtts:// or wss:// URL`,
    );
    const half = await refusal(() => startDeviceAgent(options('mqtts://127.0.0.1:1', { cert })));
    expect(half.message).toBe('device shaker-1: a client certificate needs both cert and key, got only cert');
  });
});
