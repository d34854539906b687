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
 * A plate reader that announces itself, sends heartbeats, accepts its first command and then dies silently: it
 * stops talking and disconnects cleanly, so the broker publishes no last will and its retained status still
 * says online.
 */
async function silentlyDyingReader(lab: string, deviceId: string, clock: { now(): number }) {
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
  return { died, close: () => (clearInterval(beat), client.endAsync()) };
}

describe('a device that dies silently (socket gone, no last will)', () => {
  it('is marked lost within twice its heartbeat, and its step is retried on another device', async () => {
    const { campaign, source } = exampleCampaign('colour-mixing', {
      lab: 'chaos-silent',
      budget: { experiments: 8 },
      simulators: [
        { kind: 'liquid-handler', durationScale: 0.1 },
        { kind: 'plate-reader', durationScale: 0.1 },
      ],
    });
    // 100× keeps a 30 s heartbeat at 300 ms of wall time: well above timer jitter on a loaded machine.
    const clock = new ScaledClock(100);
    const fake = await silentlyDyingReader('chaos-silent', 'plate-reader-0', clock);
    const session = await startCampaign(campaign, source, {
      brokerUrl: broker.url,
      runsDir: mkdtempSync(join(tmpdir(), 'labloop-chaos-')),
      clock,
    });
    const summary = await session.done;
    const diedAt = await fake.died;
    await fake.close().catch(() => undefined);

    expect(summary).toMatchObject({ experiments: 8, succeeded: 8, failed: 0 });
    const records = readFileSync(session.runDir.log.file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const lost = records.find(
      (r) =>
        r.type === 'device.status' && r.deviceId === 'plate-reader-0' && r.state === 'lost' && r.at >= diedAt,
    );
    expect(lost).toBeDefined();
    const silence = (lost.at - diedAt) / 1000;
    console.log(
      `silent death: marked lost after ${silence.toFixed(1)} s of silence (heartbeat ${HEARTBEAT} s, limit ${2 * HEARTBEAT} s)`,
    );
    expect(silence).toBeLessThanOrEqual(2 * HEARTBEAT);
    const faults = records.filter((r) => r.type === 'device.event' && r.event.error?.code === 'DeviceLost');
    expect(faults).toHaveLength(0); // DeviceLost is raised by the orchestrator, not sent by a device…
    const retried = records.filter(
      (r) => r.type === 'command.sent' && r.deviceId === 'plate-reader-1' && /\/read\/2$/.test(r.commandId),
    );
    expect(retried).toHaveLength(1); // …and the step went to the healthy reader as a new command.
  });
});
