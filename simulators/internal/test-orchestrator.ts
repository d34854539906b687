import type { Clock, DeviceEvent } from '../../contracts/index.ts';
import { DeviceEventSchema } from '../../contracts/index.ts';
import { deviceTopic, labFilter } from '../../devices/index.ts';
import { connectProbe, type Probe } from '../../test/support/broker.ts';

/** The orchestrator's side of simulator tests: sends commands and waits for their answers. */
export interface TestOrchestrator {
  readonly probe: Probe;
  /** Sends a command (a fresh commandId unless given) and resolves with its result or fault event. */
  run(
    deviceId: string,
    command: string,
    parameters: Record<string, unknown>,
    options?: { commandId?: string; deadline?: number },
  ): Promise<Extract<DeviceEvent, { type: 'result' | 'fault' }>>;
  /** Every event the orchestrator saw for one commandId, in arrival order. */
  events(commandId: string): DeviceEvent[];
  close(): Promise<void>;
}

let sequence = 0;

/** Connects a probe subscribed to every device's events and status in `labId`. */
export async function connectOrchestrator(
  brokerUrl: string,
  labId: string,
  clock: Clock,
): Promise<TestOrchestrator> {
  const probe = await connectProbe(brokerUrl);
  await probe.subscribe(labFilter(labId, 'events'));
  await probe.subscribe(labFilter(labId, 'status'));
  const events = (commandId: string) =>
    probe.messages
      .filter(
        (m) => m.topic.endsWith('/events') && (m.payload as { commandId?: string }).commandId === commandId,
      )
      .map((m) => DeviceEventSchema.parse(m.payload));
  return {
    probe,
    events,
    async run(deviceId, command, parameters, options = {}) {
      const commandId = options.commandId ?? `test-${++sequence}`;
      const answered = events(commandId).filter((e) => e.type === 'result' || e.type === 'fault').length;
      const now = clock.now();
      await probe.publish(deviceTopic(labId, deviceId, 'commands'), {
        commandId,
        deviceId,
        command,
        parameters,
        issuedAt: now,
        // 30 days of simulated time: long enough in wall time for a loaded machine at any test clock speed.
        deadline: options.deadline ?? now + 30 * 86_400_000,
      });
      const answers = await probe.waitForCount(
        (m) => {
          const p = m.payload as { commandId?: string; type?: string };
          return (
            m.topic.endsWith('/events') &&
            p.commandId === commandId &&
            (p.type === 'result' || p.type === 'fault')
          );
        },
        answered + 1,
        `an answer to ${command} ${commandId} on ${deviceId}`,
      );
      const last = answers[answered];
      const event = DeviceEventSchema.parse(last?.payload);
      if (event.type !== 'result' && event.type !== 'fault')
        throw new Error(`expected an answer, got ${event.type}`);
      return event;
    },
    close: () => probe.close(),
  };
}
