import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceCommand, ScaledClock } from '../../contracts/index.ts';
import {
  DeviceAgentError,
  deviceTopic,
  plateReaderCatalogue,
  startDeviceAgent,
} from '../../devices/index.ts';
import {
  brokerAuthFor,
  DeviceBus,
  deviceClientId,
  type EmbeddedBroker,
  generateLabCredentials,
  type LabCredentials,
  readLabCredentials,
  startBroker,
  writeLabCredentials,
} from '../../runtime/index.ts';
import { type SimulatedLab, startSimulators } from '../../simulators/index.ts';
import { StepFaultError } from '../../workflows/index.ts';

const LAB = 'secure-lab';
const clock = new ScaledClock(1e4);
const logged: string[] = [];
const logger = {
  warn: (message: string, details?: Record<string, unknown>) =>
    logged.push(message + JSON.stringify(details ?? {})),
};
const errors: string[] = [];
let dir: string;
let credentials: LabCredentials;
let broker: EmbeddedBroker;
let lab: SimulatedLab;
let bus: DeviceBus;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'labloop-secure-'));
  const file = join(dir, 'secrets', `${LAB}.json`);
  writeLabCredentials(
    file,
    generateLabCredentials(LAB, ['liquid-handler-1', 'plate-reader-1', 'plate-reader-2']),
  );
  credentials = readLabCredentials(file);
  broker = await startBroker({ port: 0, auth: await brokerAuthFor(credentials, { cost: 10 }), logger });
  lab = await startSimulators({
    brokerUrl: broker.url,
    labId: LAB,
    clock,
    seed: 3,
    simulators: [
      { kind: 'liquid-handler', durationScale: 0 },
      { kind: 'plate-reader', count: 2, durationScale: 0 },
    ],
    credentials: credentials.devices,
    logger,
    // About one heartbeat per wall second, so the bus never thinks a device went silent.
    heartbeat: clock.speed,
  });
  bus = await DeviceBus.connect({
    url: broker.url,
    labId: LAB,
    clock,
    clientId: 'labloop-secure-campaign',
    ...credentials.orchestrator,
  });
  while (bus.devicesOfKind('plate-reader').length < 2 || bus.devicesOfKind('liquid-handler').length < 1)
    await new Promise((resolve) => bus.once('status', resolve));
});

afterAll(async () => {
  await bus?.close();
  await lab?.stop();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

const command = (deviceId: string, commandId: string, name: string, parameters: object): DeviceCommand => ({
  commandId,
  deviceId,
  command: name,
  parameters: parameters as Record<string, unknown>,
  issuedAt: clock.now(),
  deadline: clock.now() + 3_600_000,
});

describe('a lab on a secured broker', () => {
  it('runs the legitimate flow: retained status, commands, results, faults, telemetry', async () => {
    const mixed = await bus.dispatch(
      command('liquid-handler-1', 'secure/1', 'mix', {
        plate: 'p1',
        well: 'A1',
        volumes: { red: 100, water: 100 },
      }),
    );
    expect(mixed.output).toMatchObject({ total: 200 });
    const read = await bus.dispatch(
      command('plate-reader-2', 'secure/2', 'measure', { plate: 'p1', well: 'A1' }),
    );
    expect(read.output).toHaveProperty('r');
    await expect(
      bus.dispatch(
        command('liquid-handler-1', 'secure/3', 'mix', { plate: 'p1', well: 'A2', volumes: { red: 5000 } }),
      ),
    ).rejects.toBeInstanceOf(StepFaultError);
    expect(broker.security()).toEqual({
      connectionsRefused: 0,
      publishesDenied: 0,
      subscriptionsDenied: 0,
      deliveriesDenied: 0,
    });
  });

  it('refuses a device agent with a wrong password, and the error names no password', async () => {
    const wrong = 'wrong-password-for-plate-reader-1';
    const error = await startDeviceAgent({
      brokerUrl: broker.url,
      labId: LAB,
      deviceId: 'plate-reader-1',
      clientId: 'device-plate-reader-1-b',
      kind: 'plate-reader',
      model: 'PR',
      firmware: '1',
      catalogue: plateReaderCatalogue,
      driver: { commands: { measure: async () => ({ r: 0, g: 0, b: 0 }) } },
      username: 'plate-reader-1',
      password: wrong,
      clock,
      logger,
    }).then(
      async (agent) => {
        await agent.stop();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeviceAgentError);
    expect((error as Error).message).toMatch(/Bad username or password/);
    errors.push((error as Error).message, String((error as Error).cause));
    // The real plate-reader-1 is still online: a refused login does not disturb the session it claimed.
    expect(bus.devices.get('plate-reader-1')?.online).toBe(true);
  });

  it('does not let a device answer for another device from its own topic', async () => {
    // No device answers plate-reader-3, so only a forgery could settle this command.
    const abort = new AbortController();
    let settled = false;
    const pending = bus
      .dispatch(command('plate-reader-3', 'secure/4', 'measure', { plate: 'p1', well: 'B1' }), abort.signal)
      .finally(() => {
        settled = true;
      });
    const invalid: Error[] = [];
    bus.on('invalid', ({ error }) => invalid.push(error));
    // plate-reader-1 may publish on its own events topic; it answers plate-reader-3's command there.
    const client = await mqtt.connectAsync(broker.url, {
      ...credentials.devices['plate-reader-1'],
      clientId: deviceClientId('plate-reader-1'),
      reconnectPeriod: 0,
    });
    await client.publishAsync(
      deviceTopic(LAB, 'plate-reader-1', 'events'),
      JSON.stringify({
        type: 'result',
        commandId: 'secure/4',
        deviceId: 'plate-reader-3',
        at: clock.now(),
        output: { r: 9, g: 9, b: 9 },
      }),
      { qos: 1 },
    );
    await client.endAsync();
    await expect.poll(() => invalid.length).toBeGreaterThan(0);
    expect(invalid[0]?.name).toBe('ContractError');
    expect(invalid[0]?.message).toMatch(/deviceId: .*plate-reader-1.*got "plate-reader-3"/);
    expect(settled).toBe(false);
    abort.abort(new Error('nobody answers plate-reader-3'));
    await expect(pending).rejects.toThrow('nobody answers plate-reader-3');
  });

  it('writes no password into any log line or error message', () => {
    const secrets = [
      credentials.orchestrator.password,
      ...Object.values(credentials.devices).map((c) => c.password),
    ];
    secrets.push('wrong-password-for-plate-reader-1');
    expect(logged.length).toBeGreaterThan(0);
    for (const line of [...logged, ...errors])
      for (const secret of secrets) expect(line).not.toContain(secret);
  });
});
