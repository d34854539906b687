import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceEvent, FaultSchema, ScaledClock } from '../../contracts/index.ts';
import {
  type CapabilityCatalogue,
  type DeviceDriver,
  type DeviceKind,
  deviceKinds,
  deviceTopic,
  startDeviceAgent,
} from '../../devices/index.ts';
import { connectProbe, type Probe, startTestBroker, type TestBroker } from '../support/broker.ts';
import { commandFor, insideEnvelope, namesAField, REFUSAL_CODES, runs } from './support/commands.ts';

// Every command goes the way a real one does: JSON over MQTT to a real device agent, whose driver records
// what it is handed. JSON turns NaN and ±Infinity into null and -0 into 0 on the way, as any sender's would.
const COMMANDS = runs(1_000, 10_000);
const LAB = 'fuzz-lab';
const clock = new ScaledClock(1);
let broker: TestBroker;
let probe: Probe;

beforeAll(async () => {
  broker = await startTestBroker();
  probe = await connectProbe(broker.url);
  await probe.subscribe(`labloop/${LAB}/devices/+/events`);
});
afterAll(async () => {
  await probe?.close();
  await broker?.close();
});

/** A driver that does nothing physical and records every command it is handed. */
function recordingDriver(
  catalogue: CapabilityCatalogue,
  handed: Array<{ command: string; parameters: object }>,
) {
  const commands: Record<string, (parameters: object) => Promise<object>> = {};
  for (const command of Object.keys(catalogue))
    commands[command] = async (parameters) => {
      handed.push({ command, parameters });
      return { done: true };
    };
  return { commands } as unknown as DeviceDriver<CapabilityCatalogue>;
}

/** Resolves with the first `count` results and faults `deviceId` publishes. */
function answersFrom(deviceId: string, count: number): Promise<DeviceEvent[]> {
  return new Promise((resolve) => {
    const answers: DeviceEvent[] = [];
    const onMessage = (topic: string, payload: Buffer) => {
      if (topic !== deviceTopic(LAB, deviceId, 'events')) return;
      const event = JSON.parse(payload.toString()) as DeviceEvent;
      if (event.type !== 'result' && event.type !== 'fault') return;
      answers.push(event);
      if (answers.length < count) return;
      probe.client.off('message', onMessage);
      resolve(answers);
    };
    probe.client.on('message', onMessage);
  });
}

describe('safety envelopes at a real device agent over MQTT', () => {
  for (const kind of Object.keys(deviceKinds) as DeviceKind[])
    it(`executes no ${kind} command outside its envelope, over ${COMMANDS} random commands`, async () => {
      const deviceId = `${kind}-fuzz`;
      const catalogue = deviceKinds[kind].commands as CapabilityCatalogue;
      const handed: Array<{ command: string; parameters: object }> = [];
      const agent = await startDeviceAgent({
        brokerUrl: broker.url,
        labId: LAB,
        deviceId,
        kind,
        model: 'fuzz',
        firmware: '0',
        catalogue,
        driver: recordingDriver(catalogue, handed),
        clock,
        heartbeat: 3600,
        logger: { warn: () => undefined },
      });
      const sent = fc.sample(commandFor(kind), { numRuns: COMMANDS, seed: 0xe7e1 + kind.length });
      const deadline = clock.now() + 3_600_000;
      const topic = deviceTopic(LAB, deviceId, 'commands');
      const answered = answersFrom(deviceId, COMMANDS);
      const ids = sent.map((_, i) => `fuzz/${kind}/${i}`);
      await Promise.all(
        sent.map(({ command, parameters }, i) =>
          probe.publish(topic, {
            commandId: ids[i],
            deviceId,
            command,
            parameters,
            issuedAt: clock.now(),
            deadline,
          }),
        ),
      );
      const answers = await answered;
      await agent.stop();

      const byId = new Map(answers.map((event) => [event.commandId, event]));
      expect(byId.size).toBe(COMMANDS);
      const outside = handed.filter(
        ({ command, parameters }) => !insideEnvelope(command, parameters as never),
      );
      const faults = answers.filter((event) => event.type === 'fault');
      for (const event of faults) {
        expect(FaultSchema.safeParse(event.error).success).toBe(true);
        expect(REFUSAL_CODES, event.error.message).toContain(event.error.code);
        const named = namesAField(event.error.message, sent[ids.indexOf(event.commandId)]?.command ?? '?');
        expect(named, event.error.message).toBe(true);
      }
      console.log(
        `envelope/agent ${kind}: ${COMMANDS} commands over MQTT, ${handed.length} executed, ${faults.length} refused with a typed fault, ` +
          `${outside.length} outside the envelope executed`,
      );
      expect(outside).toEqual([]);
      expect(handed.length + faults.length).toBe(COMMANDS);
      expect(handed.length).toBeGreaterThan(COMMANDS * 0.05);
      expect(faults.length).toBeGreaterThan(COMMANDS * 0.05);
    });
});
