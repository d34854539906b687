import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceCommand, type DeviceDescriptor, ScaledClock } from '../../contracts/index.ts';
import { describeCapabilities, deviceKinds, deviceTopic } from '../../devices/index.ts';
import { type EmbeddedBroker, startBroker, startCampaign } from '../../runtime/index.ts';
import { exampleCampaign } from '../support/campaigns.ts';

let broker: EmbeddedBroker;
beforeAll(async () => {
  broker = await startBroker({ port: 0 });
});
afterAll(() => broker.close());

const HEARTBEAT = 30;

/**
 * A plate reader that announces itself, sends heartbeats, receives its first command (and accepts it, or not)
 * and then dies silently: it
 * stops talking and disconnects cleanly, so the broker publishes no last will and its retained status still
 * says online.
 */
async function silentlyDyingReader(
  lab: string,
  deviceId: string,
  clock: { now(): number },
  acceptFirst: boolean,
) {
  const client = await mqtt.connectAsync(broker.url, { clientId: `device-${deviceId}`, clean: true });
  const descriptor: DeviceDescriptor = {
    deviceId,
    kind: 'plate-reader',
    model: 'FakeReader',
    firmware: '0.0.1',
    capabilities: describeCapabilities(deviceKinds['plate-reader'].commands),
    heartbeat: HEARTBEAT,
  };
  let lastWords = 0;
  const beat = setInterval(
    () => {
      lastWords = clock.now();
      void client.publishAsync(
        deviceTopic(lab, deviceId, 'telemetry'),
        JSON.stringify({ deviceId, at: clock.now(), busy: false, values: {} }),
      );
    },
    (HEARTBEAT * 1000) / 100,
  );
  await client.publishAsync(
    deviceTopic(lab, deviceId, 'status'),
    JSON.stringify({ state: 'online', deviceId, at: clock.now(), descriptor }),
    {
      qos: 1,
      retain: true,
    },
  );
  await client.subscribeAsync(deviceTopic(lab, deviceId, 'commands'), { qos: 1 });
  const died = new Promise<number>((resolve) => {
    client.once('message', async (_topic, payload) => {
      const command = JSON.parse(payload.toString()) as DeviceCommand;
      if (acceptFirst)
        await client.publishAsync(
          deviceTopic(lab, deviceId, 'events'),
          JSON.stringify({ type: 'accepted', commandId: command.commandId, deviceId, at: clock.now() }),
          { qos: 1 },
        );
      clearInterval(beat);
      lastWords = clock.now();
      await client.endAsync();
      resolve(lastWords);
    });
  });
  const close = () => {
    clearInterval(beat);
    return client.endAsync();
  };
  return { died, close };
}

async function runWithDyingReader(lab: string, acceptFirst: boolean) {
  const { campaign, source } = exampleCampaign('colour-mixing', {
    lab,
    budget: { experiments: 8 },
    simulators: [
      { kind: 'liquid-handler', durationScale: 0.1 },
      { kind: 'plate-reader', durationScale: 0.1 },
    ],
  });
  // 100× keeps a 30 s heartbeat at 300 ms of wall time: well above timer jitter on a loaded machine.
  const clock = new ScaledClock(100);
  const fake = await silentlyDyingReader(lab, 'plate-reader-0', clock, acceptFirst);
  const session = await startCampaign(campaign, source, {
    brokerUrl: broker.url,
    runsDir: mkdtempSync(join(tmpdir(), 'labloop-chaos-')),
    clock,
  });
  const summary = await session.done;
  const diedAt = await fake.died;
  await fake.close().catch(() => undefined);
  const records = readFileSync(session.runDir.log.file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const lost = records.find(
    (r) =>
      r.type === 'device.status' && r.deviceId === 'plate-reader-0' && r.state === 'lost' && r.at >= diedAt,
  );
  return { summary, records, silence: lost ? (lost.at - diedAt) / 1000 : Number.POSITIVE_INFINITY };
}

describe('a device that dies silently (socket gone, no last will)', () => {
  it('is marked lost within twice its heartbeat; a step it never accepted is retried on another device', async () => {
    const { summary, records, silence } = await runWithDyingReader('chaos-silent', false);
    console.log(
      `silent death: marked lost after ${silence.toFixed(1)} s of silence (heartbeat ${HEARTBEAT} s, limit ${2 * HEARTBEAT} s)`,
    );
    expect(silence).toBeLessThanOrEqual(2 * HEARTBEAT);
    expect(summary).toMatchObject({ experiments: 8, succeeded: 8, failed: 0 });
    const retried = records.filter(
      (r) => r.type === 'command.sent' && r.deviceId === 'plate-reader-1' && /\/read\/2$/.test(r.commandId),
    );
    expect(retried).toHaveLength(1);
  });

  it('a step it accepted before going silent is not retried blindly: it fails as DeviceLost, outcome unknown', async () => {
    const { summary, records, silence } = await runWithDyingReader('chaos-silent-accepted', true);
    expect(silence).toBeLessThanOrEqual(2 * HEARTBEAT);
    expect(summary).toMatchObject({ experiments: 8, succeeded: 7, failed: 1 });
    const failed = records.find((r) => r.type === 'experiment.finished' && r.status === 'failed');
    expect(failed.error).toMatchObject({ step: 'read', code: 'DeviceLost', retryable: false });
    expect(failed.error.message).toMatch(/after accepting .*: whether it acted is unknown/);
    expect(records.filter((r) => r.type === 'command.sent' && /\/read\/2$/.test(r.commandId))).toHaveLength(
      0,
    );
  });
});
