import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceChannel, deviceTopic } from '../../devices/index.ts';
import {
  brokerAuthFor,
  deviceClientId,
  type EmbeddedBroker,
  generateLabCredentials,
  type LabCredentials,
  startBroker,
} from '../../runtime/index.ts';

/** N devices in lab A, one in lab B: every pair of distinct devices is an attacker/victim pair. */
const LAB = 'acl-lab';
const OTHER_LAB = 'other-lab';
const DEVICES = ['lh-1', 'lh-2', 'reader-1', 'printer-1', 'tester-1'];
const OTHER_DEVICE = 'lh-9';

const logged: string[] = [];
const logger = {
  warn: (message: string, details?: Record<string, unknown>) =>
    logged.push(message + JSON.stringify(details ?? {})),
};
let credentials: LabCredentials;
let otherCredentials: LabCredentials;
let broker: EmbeddedBroker;
/** The lab's orchestrator, subscribed to everything it may read: what it hears is what got through. */
let watcher: MqttClient;
const heard: Array<{ topic: string; payload: string }> = [];

interface Login {
  username?: string;
  password?: string;
  clientId: string;
}

function connect(login: Login): Promise<MqttClient> {
  return mqtt
    .connectAsync(broker.url, { ...login, reconnectPeriod: 0, connectTimeout: 5_000 }, false)
    .then((client) => {
      (client.stream as Socket).setNoDelay(true);
      return client;
    });
}

const asDevice = (deviceId: string, creds = credentials): Login => ({
  username: creds.devices[deviceId]?.username,
  password: creds.devices[deviceId]?.password,
  clientId: deviceClientId(deviceId),
});

/** Publishes as `login` and resolves once the broker has closed the connection (a denied publish) or not. */
async function attemptPublish(login: Login, topic: string, payload: string): Promise<'closed' | 'open'> {
  const client = await connect(login);
  const closed = new Promise<'closed'>((resolve) => client.once('close', () => resolve('closed')));
  client.publish(topic, payload, { qos: 0 });
  // An UNSUBACK means the broker handled the publish before it and kept the connection (packets are handled
  // in order; unsubscribing needs no permission).
  const alive = client.unsubscribeAsync('nothing').then(
    () => 'open' as const,
    () => 'closed' as const,
  );
  const outcome = await Promise.race([closed, alive]);
  client.end(true);
  return outcome;
}

/** Subscribes as `login`: `granted` when SUBACK grants it, `refused` when it answers 0x80. */
async function attemptSubscribe(login: Login, filter: string): Promise<'granted' | 'refused'> {
  const client = await connect(login);
  try {
    await client.subscribeAsync(filter, { qos: 1 });
    return 'granted';
  } catch (error) {
    expect((error as Error).message).toMatch(/Subscribe error/);
    return 'refused';
  } finally {
    client.end(true);
  }
}

beforeAll(async () => {
  credentials = generateLabCredentials(LAB, DEVICES);
  otherCredentials = generateLabCredentials(OTHER_LAB, [OTHER_DEVICE]);
  const [mine, theirs] = await Promise.all([
    brokerAuthFor(credentials, { cost: 10 }),
    brokerAuthFor(otherCredentials, { cost: 10 }),
  ]);
  broker = await startBroker({ port: 0, auth: { clients: [...mine.clients, ...theirs.clients] }, logger });
  watcher = await connect({ ...credentials.orchestrator, clientId: 'labloop-watcher' });
  for (const channel of ['events', 'telemetry', 'status'] as const)
    await watcher.subscribeAsync(`labloop/${LAB}/devices/+/${channel}`, { qos: 1 });
  watcher.on('message', (topic, payload) => heard.push({ topic, payload: payload.toString() }));
});

afterAll(async () => {
  await watcher?.endAsync();
  await broker?.close();
});

describe('broker authentication', () => {
  it('refuses a wrong password, an unknown user, no credentials, and a device on another device’s clientId', async () => {
    const before = broker.security().connectionsRefused;
    const attempts: Login[] = [
      { ...asDevice('lh-1'), password: 'not-the-password-of-lh-1' },
      { username: 'lh-404', password: 'some-password-of-16+', clientId: 'device-lh-404' },
      { clientId: 'device-lh-1' },
      // lh-2 logs in with its own password but tries to take over lh-1's session.
      { ...asDevice('lh-2'), clientId: deviceClientId('lh-1') },
      // A device cannot use another lab's credentials with a clientId it does not own either.
      { ...asDevice(OTHER_DEVICE, otherCredentials), clientId: deviceClientId('lh-1') },
      // An orchestrator cannot pose as a device's session.
      { ...credentials.orchestrator, clientId: deviceClientId('reader-1') },
    ];
    const messages: string[] = [];
    for (const login of attempts) {
      const error = await connect(login).then(
        (client) => {
          client.end(true);
          return undefined;
        },
        (e: Error) => e,
      );
      expect(error, `login ${login.username}/${login.clientId} should be refused`).toBeInstanceOf(Error);
      messages.push((error as Error).message);
    }
    expect(messages.slice(0, 3)).toEqual(Array(3).fill('Connection refused: Bad username or password'));
    expect(messages.slice(3)).toEqual(Array(3).fill('Connection refused: Identifier rejected'));
    expect(broker.security().connectionsRefused - before).toBe(attempts.length);
  });

  it('lets each legitimate client in with its own credentials', async () => {
    for (const deviceId of DEVICES) (await connect(asDevice(deviceId))).end(true);
    (await connect({ ...credentials.orchestrator, clientId: 'labloop-campaign-1' })).end(true);
  });
});

describe('topic ACLs among every pair of devices', () => {
  it('denies every cross-device publish on events, telemetry, status and commands, and delivers none of them', async () => {
    const before = broker.security().publishesDenied;
    let attempts = 0;
    for (const attacker of DEVICES)
      for (const victim of [...DEVICES, OTHER_DEVICE]) {
        if (victim === attacker) continue;
        const lab = victim === OTHER_DEVICE ? OTHER_LAB : LAB;
        for (const channel of ['events', 'telemetry', 'status', 'commands'] as DeviceChannel[]) {
          const topic = deviceTopic(lab, victim, channel);
          const outcome = await attemptPublish(asDevice(attacker), topic, `forged by ${attacker}`);
          expect(outcome, `${attacker} publishing on ${topic}`).toBe('closed');
          attempts++;
        }
      }
    expect(attempts).toBe(DEVICES.length * DEVICES.length * 4);
    expect(broker.security().publishesDenied - before).toBe(attempts);
    expect(heard.filter((m) => m.payload.startsWith('forged by'))).toEqual([]);
    console.log(
      `broker ACL: ${attempts} cross-device publishes among ${DEVICES.length + 1} devices, all denied`,
    );
  });

  it('denies a device commanding itself, and any topic outside the scheme', async () => {
    const topics = [
      deviceTopic(LAB, 'lh-1', 'commands'),
      `labloop/${LAB}/devices/lh-1/secret`,
      `labloop/${LAB}/devices/lh-1/events/extra`,
      '$SYS/broker/clients',
      'anything',
    ];
    for (const topic of topics)
      expect(await attemptPublish(asDevice('lh-1'), topic, 'forged by lh-1')).toBe('closed');
    expect(heard.filter((m) => m.payload.startsWith('forged by'))).toEqual([]);
  });

  it('denies every subscription to another device’s topics and every wildcard a device tries', async () => {
    const before = broker.security().subscriptionsDenied;
    let attempts = 0;
    for (const attacker of DEVICES) {
      const filters = [
        ...[...DEVICES, OTHER_DEVICE]
          .filter((victim) => victim !== attacker)
          .flatMap((victim) =>
            (['commands', 'events', 'telemetry', 'status'] as DeviceChannel[]).map((channel) =>
              deviceTopic(victim === OTHER_DEVICE ? OTHER_LAB : LAB, victim, channel),
            ),
          ),
        `labloop/${LAB}/devices/+/commands`,
        `labloop/+/devices/${attacker}/commands`,
        `labloop/${LAB}/devices/${attacker}/+`,
        `labloop/${LAB}/devices/${attacker}/#`,
        `labloop/${LAB}/#`,
        'labloop/#',
        '#',
        '+/+/+/+/+',
        '$SYS/#',
        deviceTopic(LAB, attacker, 'events'),
      ];
      for (const filter of filters) {
        expect(
          await attemptSubscribe(asDevice(attacker), filter),
          `${attacker} subscribing to ${filter}`,
        ).toBe('refused');
        attempts++;
      }
    }
    expect(broker.security().subscriptionsDenied - before).toBe(attempts);
    console.log(`broker ACL: ${attempts} cross-device and wildcard subscriptions, all refused`);
  });

  it('holds the orchestrator to its own lab: no foreign commands, no forged device events, no wildcard beyond its channels', async () => {
    const orchestrator = { ...credentials.orchestrator, clientId: 'labloop-acl' };
    for (const topic of [
      deviceTopic(OTHER_LAB, OTHER_DEVICE, 'commands'),
      deviceTopic(LAB, 'lh-1', 'events'),
      deviceTopic(LAB, 'lh-1', 'status'),
    ])
      expect(await attemptPublish(orchestrator, topic, 'forged by orchestrator'), topic).toBe('closed');
    for (const filter of [
      `labloop/${LAB}/devices/+/commands`,
      `labloop/${OTHER_LAB}/devices/+/events`,
      `labloop/${LAB}/#`,
      '#',
      '$SYS/#',
    ])
      expect(await attemptSubscribe(orchestrator, filter), filter).toBe('refused');
    expect(heard.filter((m) => m.payload.startsWith('forged by'))).toEqual([]);
  });

  it('allows exactly the legitimate flows: a device’s own channels, the orchestrator’s commands and lab filters', async () => {
    expect(await attemptSubscribe(asDevice('lh-2'), deviceTopic(LAB, 'lh-2', 'commands'))).toBe('granted');
    for (const channel of ['events', 'telemetry', 'status'] as const)
      expect(
        await attemptPublish(asDevice('lh-2'), deviceTopic(LAB, 'lh-2', channel), `own ${channel}`),
      ).toBe('open');
    const orchestrator = { ...credentials.orchestrator, clientId: 'labloop-acl' };
    expect(await attemptPublish(orchestrator, deviceTopic(LAB, 'reader-1', 'commands'), '{}')).toBe('open');
    expect(await attemptSubscribe(orchestrator, deviceTopic(LAB, 'reader-1', 'events'))).toBe('granted');
    const got = async () => heard.filter((m) => m.payload.startsWith('own ')).map((m) => m.topic);
    await expect.poll(got).toHaveLength(3);
    expect((await got()).sort()).toEqual(
      ['events', 'status', 'telemetry'].map((channel) => deviceTopic(LAB, 'lh-2', channel as DeviceChannel)),
    );
  });

  it('never writes a password into its logs', () => {
    expect(logged.length).toBeGreaterThan(100);
    const secrets = [
      credentials.orchestrator.password,
      ...Object.values(credentials.devices).map((c) => c.password),
      ...Object.values(otherCredentials.devices).map((c) => c.password),
      'not-the-password-of-lh-1',
      'some-password-of-16+',
    ];
    for (const line of logged) for (const secret of secrets) expect(line).not.toContain(secret);
  });
});
