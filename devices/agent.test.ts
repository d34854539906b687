import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type Clock,
  type DeviceCommand,
  DeviceEventSchema,
  DeviceStatusSchema,
  ScaledClock,
  sleep,
  TelemetrySchema,
} from '../contracts/index.ts';
import {
  connectProbe,
  type Probe,
  type ProbeMessage,
  startTestBroker,
  type TestBroker,
} from '../test/support/broker.ts';
import {
  countActions,
  type DeviceAgent,
  type DeviceDriver,
  DeviceFaultError,
  defineCatalogue,
  deviceTopic,
  envelopeRule,
  labFilter,
  MemoryJournal,
  startDeviceAgent,
} from './index.ts';

const lab = 'agent-lab';

const catalogue = defineCatalogue({
  heat: {
    description: 'Holds the block at a temperature for a time.',
    parameters: z.object({
      temperature: z.number().meta({ unit: '°C' }),
      time: z.number().nonnegative().default(10).meta({ unit: 's' }),
    }),
    envelope: [envelopeRule({ parameter: 'temperature', unit: '°C', min: 4, max: 99 })],
    resumable: false,
  },
  stir: {
    description: 'Stirs the block for a time; stopping and starting again is harmless.',
    parameters: z.object({ time: z.number().nonnegative().meta({ unit: 's' }) }),
    envelope: [],
    resumable: true,
  },
});

/** A heater driver that records its calls and can be held mid-action by the test. */
function heater(clock: Clock) {
  const calls: Array<{ temperature: number; time: number }> = [];
  let active = 0;
  let maxActive = 0;
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => {};
  let failWith: Error | undefined;
  const driver: DeviceDriver<typeof catalogue> = {
    commands: {
      async heat({ temperature, time }, context) {
        calls.push({ temperature, time });
        active++;
        maxActive = Math.max(maxActive, active);
        try {
          context.progress(0, 'ramping');
          await gate;
          await sleep(clock, time * 1000, context.signal);
          context.progress(1);
          if (failWith) throw failWith;
          return { temperature, energy: temperature * time };
        } finally {
          active--;
        }
      },
      async stir({ time }, context) {
        await sleep(clock, time * 1000, context.signal);
        return { stirred: time };
      },
    },
    telemetry: () => ({ temperature: 21.5 }),
  };
  return {
    driver,
    calls,
    maxActive: () => maxActive,
    hold() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release: () => open(),
    failNextWith(error: Error | undefined) {
      failWith = error;
    },
  };
}

let broker: TestBroker;
let probe: Probe;
const agents: DeviceAgent[] = [];
const warnings: string[] = [];
const logger = { warn: (message: string) => void warnings.push(message) };
let counter = 0;

beforeAll(async () => {
  broker = await startTestBroker();
  probe = await connectProbe(broker.url);
  await probe.subscribe(labFilter(lab, 'events'));
  await probe.subscribe(labFilter(lab, 'status'));
});

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.stop()));
});

afterAll(async () => {
  // Every event any test caused must satisfy the contract.
  for (const m of probe.messages.filter((m) => m.topic.endsWith('/events')))
    expect(DeviceEventSchema.safeParse(m.payload).success, JSON.stringify(m.payload)).toBe(true);
  await probe.close();
  await broker.close();
});

async function start(
  options: { clock?: Clock; journal?: MemoryJournal; heartbeat?: number; deviceId?: string } = {},
) {
  const clock = options.clock ?? new ScaledClock(1e5);
  const deviceId = options.deviceId ?? `heater-${++counter}`;
  const h = heater(clock);
  const agent = await startDeviceAgent({
    brokerUrl: broker.url,
    labId: lab,
    deviceId,
    kind: 'heater',
    model: 'HB-2',
    firmware: '2.1.0',
    catalogue,
    driver: h.driver,
    clock,
    journal: options.journal ?? new MemoryJournal(),
    heartbeat: options.heartbeat ?? 3600,
    logger,
  });
  agents.push(agent);
  return { agent, deviceId, clock, ...h };
}

function command(deviceId: string, clock: Clock, overrides: Partial<DeviceCommand> = {}): DeviceCommand {
  const now = clock.now();
  return {
    commandId: `cmd-${++counter}`,
    deviceId,
    command: 'heat',
    parameters: { temperature: 37, time: 60 },
    issuedAt: now,
    // 30 days of simulated time: 26 s of wall time at 1e5, so a loaded machine never expires a test command.
    deadline: now + 30 * 86_400_000,
    ...overrides,
  };
}

const send = (deviceId: string, payload: unknown) =>
  probe.publish(deviceTopic(lab, deviceId, 'commands'), payload);

/**
 * Sends a valid command and waits for its `accepted`: MQTT keeps one publisher's order on a topic, so every
 * payload sent before it has reached the agent by then.
 */
async function sendMarker(deviceId: string, clock: Clock): Promise<void> {
  const marker = command(deviceId, clock, { parameters: { temperature: 20, time: 0 } });
  await send(deviceId, marker);
  await probe.waitFor(
    (m) => eventOf(m).commandId === marker.commandId && eventOf(m).type === 'accepted',
    'marker',
  );
}

type EventPayload = { type: string; commandId: string; replay?: boolean; error?: { code: string } };
const eventOf = (m: ProbeMessage) => m.payload as EventPayload;
const eventsFor = (commandId: string) =>
  probe.messages
    .filter((m) => m.topic.endsWith('/events') && eventOf(m).commandId === commandId)
    .map(eventOf);
const waitForAnswer = (commandId: string, count = 1) =>
  probe.waitForCount(
    (m) =>
      m.topic.endsWith('/events') &&
      eventOf(m).commandId === commandId &&
      /result|fault/.test(eventOf(m).type),
    count,
    `answers to ${commandId}`,
  );

describe('device agent: status', () => {
  it('announces a retained online status with its descriptor, and a late subscriber still sees it', async () => {
    const { deviceId } = await start();
    const late = await connectProbe(broker.url);
    try {
      await late.subscribe(deviceTopic(lab, deviceId, 'status'));
      const message = await late.waitFor(
        (m) => (m.payload as { state?: string }).state === 'online',
        'online',
      );
      expect(message.retain).toBe(true);
      const status = DeviceStatusSchema.parse(message.payload);
      if (status.state !== 'online') throw new Error('expected online');
      expect(status.descriptor.kind).toBe('heater');
      expect(status.descriptor.capabilities[0]?.command).toBe('heat');
      expect(status.descriptor.capabilities[0]?.envelope[0]?.max).toBe(99);
    } finally {
      await late.close();
    }
  });

  it('goes offline through the last will when killed, and the offline status is retained', async () => {
    const { agent, deviceId } = await start();
    agent.kill();
    agents.splice(agents.indexOf(agent), 1);
    const topic = deviceTopic(lab, deviceId, 'status');
    await probe.waitFor(
      (m) => m.topic === topic && (m.payload as { state?: string }).state === 'offline',
      'will',
    );
    const late = await connectProbe(broker.url);
    try {
      await late.subscribe(topic);
      const retained = await late.waitFor((m) => m.topic === topic, 'retained status');
      expect(retained.retain).toBe(true);
      expect(DeviceStatusSchema.parse(retained.payload)).toEqual({ state: 'offline', deviceId });
    } finally {
      await late.close();
    }
  });

  it('publishes offline with a timestamp on a graceful stop', async () => {
    const { agent, deviceId } = await start();
    await agent.stop();
    const topic = deviceTopic(lab, deviceId, 'status');
    const offline = await probe.waitFor(
      (m) => m.topic === topic && (m.payload as { state?: string }).state === 'offline',
      'offline',
    );
    expect((offline.payload as { at?: number }).at).toBeTypeOf('number');
  });
});

describe('device agent: commands', () => {
  it('reports accepted, progress in order, then the result', async () => {
    const { deviceId, clock } = await start();
    const c = command(deviceId, clock);
    await send(deviceId, c);
    const [result] = await waitForAnswer(c.commandId);
    expect(result?.payload).toMatchObject({
      type: 'result',
      output: { temperature: 37, energy: 2220 },
      replay: false,
    });
    expect(eventsFor(c.commandId).map((e) => e.type)).toEqual(['accepted', 'progress', 'progress', 'result']);
  });

  it('executes a command delivered three times once and answers the repeats from the journal', async () => {
    const { agent, deviceId, clock, calls } = await start();
    const c = command(deviceId, clock);
    await send(deviceId, c);
    await waitForAnswer(c.commandId);
    await send(deviceId, c);
    await send(deviceId, c);
    const answers = await waitForAnswer(c.commandId, 3);
    expect(answers.map((m) => eventOf(m).replay)).toEqual([false, true, true]);
    expect(answers.map((m) => (m.payload as { output: unknown }).output)).toEqual(
      Array(3).fill({ temperature: 37, energy: 2220 }),
    );
    expect(calls).toHaveLength(1);
    expect(countActions(agent.journal.entries())).toBe(1);
    expect(agent.stats().replays).toBe(2);
  });

  it('ignores a repeat that arrives while the command runs, and answers it once when done', async () => {
    const { agent, deviceId, clock, calls, hold, release } = await start();
    hold();
    const c = command(deviceId, clock);
    await send(deviceId, c);
    await probe.waitFor(
      (m) => eventOf(m).commandId === c.commandId && eventOf(m).type === 'progress',
      'progress',
    );
    await send(deviceId, c);
    await send(deviceId, c);
    await sendMarker(deviceId, clock);
    release();
    await waitForAnswer(c.commandId);
    await agent.whenIdle();
    expect(agent.stats()).toMatchObject({ received: 4, duplicatesIgnored: 2, executed: 2 });
    expect(eventsFor(c.commandId).filter((e) => e.type === 'result')).toHaveLength(1);
    expect(calls.map((call) => call.temperature)).toEqual([37, 20]);
  });

  it('runs commands one at a time in arrival order', async () => {
    const { deviceId, clock, calls, maxActive } = await start();
    const batch = [10, 20, 30, 40].map((t) =>
      command(deviceId, clock, { parameters: { temperature: t, time: 30 } }),
    );
    for (const c of batch) await send(deviceId, c);
    for (const c of batch) await waitForAnswer(c.commandId);
    expect(calls.map((c) => c.temperature)).toEqual([10, 20, 30, 40]);
    expect(maxActive()).toBe(1);
    const results = probe.messages
      .filter((m) => eventOf(m).type === 'result' && batch.some((c) => c.commandId === eventOf(m).commandId))
      .map((m) => eventOf(m).commandId);
    expect(results).toEqual(batch.map((c) => c.commandId));
  });

  it('refuses an expired command without calling the driver, and journals the refusal', async () => {
    const { agent, deviceId, clock, calls } = await start();
    const c = command(deviceId, clock, { deadline: clock.now() - 1000 });
    await send(deviceId, c);
    await send(deviceId, c);
    const answers = await waitForAnswer(c.commandId, 2);
    expect(answers.map((m) => [eventOf(m).error?.code, eventOf(m).replay])).toEqual([
      ['CommandExpired', false],
      ['CommandExpired', true],
    ]);
    expect(calls).toHaveLength(0);
    expect(countActions(agent.journal.entries())).toBe(0);
    expect(agent.journal.find(c.commandId)?.finish?.outcome.type).toBe('fault');
  });

  it.each([
    [
      'an unknown command',
      { command: 'cool' },
      'UnknownCommand',
      /unknown command "cool"; expected one of heat/,
    ],
    ['a missing parameter', { parameters: { time: 5 } }, 'InvalidParameters', /temperature/],
    ['a wrongly typed parameter', { parameters: { temperature: 'hot' } }, 'InvalidParameters', /got "hot"/],
    ['an out-of-envelope value', { parameters: { temperature: 150 } }, 'OutsideEnvelope', /4–99 °C, got 150/],
    [
      'another device id',
      { deviceId: 'someone-else' },
      'InvalidParameters',
      /addressed to device "someone-else"/,
    ],
    ['a malformed deadline', { deadline: -5 }, 'InvalidParameters', /deadline/],
  ])('faults %s and never calls the driver', async (_, overrides, code, message) => {
    const { agent, deviceId, clock, calls } = await start();
    const c = command(deviceId, clock, overrides as Partial<DeviceCommand>);
    await send(deviceId, c);
    const [answer] = await waitForAnswer(c.commandId);
    expect(answer?.payload).toMatchObject({ type: 'fault', error: { code, retryable: false } });
    expect((answer as ProbeMessage).payload).toHaveProperty('error.message', expect.stringMatching(message));
    expect(calls).toHaveLength(0);
    expect(agent.journal.entries()).toHaveLength(0);
  });

  it('counts and logs a payload without a readable commandId', async () => {
    const { agent, deviceId, clock } = await start();
    const before = warnings.length;
    await send(deviceId, 'not json {');
    await send(deviceId, { command: 'heat' });
    await sendMarker(deviceId, clock);
    expect(agent.stats().unanswerable).toBe(2);
    expect(warnings.slice(before).join('\n')).toMatch(/not JSON[\s\S]*no commandId/);
  });

  it('turns a typed driver fault into a fault event with its code and retryable flag', async () => {
    const { deviceId, clock, failNextWith } = await start();
    failNextWith(
      new DeviceFaultError('HeaterOpenCircuit', 'heater element reads open circuit', { retryable: true }),
    );
    const c = command(deviceId, clock);
    await send(deviceId, c);
    const [answer] = await waitForAnswer(c.commandId);
    expect(answer?.payload).toMatchObject({
      type: 'fault',
      error: { code: 'HeaterOpenCircuit', message: 'heater element reads open circuit', retryable: true },
    });
  });

  it('turns any other driver error into a DriverError fault and keeps serving', async () => {
    const { deviceId, clock, failNextWith } = await start();
    failNextWith(new Error('serial port closed'));
    const c = command(deviceId, clock);
    await send(deviceId, c);
    const [answer] = await waitForAnswer(c.commandId);
    expect(answer?.payload).toMatchObject({ type: 'fault', error: { code: 'DriverError' } });
    expect((answer as ProbeMessage).payload).toHaveProperty(
      'error.message',
      expect.stringMatching(/serial port closed/),
    );
    failNextWith(undefined);
    const next = command(deviceId, clock);
    await send(deviceId, next);
    const [ok] = await waitForAnswer(next.commandId);
    expect(eventOf(ok as ProbeMessage).type).toBe('result');
  });
});

describe('device agent: interrupt', () => {
  const interrupt = (
    deviceId: string,
    clock: Clock,
    target: string,
    parameters: unknown = { commandId: target },
  ) =>
    command(deviceId, clock, {
      commandId: `interrupt/${lab}/${deviceId}/${target}`,
      command: 'interrupt',
      parameters: parameters as Record<string, unknown>,
    });
  const answerOf = async (commandId: string) => (await waitForAnswer(commandId))[0]?.payload;

  it('stops a running non-resumable command: fault Interrupted, not retryable, answered once it has ended', async () => {
    const { agent, deviceId, clock } = await start({ clock: new ScaledClock(100) });
    // An hour of heating: 36 s of wall time, so the interrupt arrives mid-action.
    const c = command(deviceId, clock, { parameters: { temperature: 37, time: 3600 } });
    await send(deviceId, c);
    await probe.waitFor(
      (m) => eventOf(m).commandId === c.commandId && eventOf(m).type === 'progress',
      'progress',
    );
    const stop = interrupt(deviceId, clock, c.commandId);
    await send(deviceId, stop);
    expect(await answerOf(c.commandId)).toMatchObject({
      type: 'fault',
      error: { code: 'Interrupted', retryable: false },
    });
    expect(await answerOf(stop.commandId)).toMatchObject({
      type: 'result',
      output: { commandId: c.commandId, was: 'running' },
    });
    // The answer never changes: a repeat of either is answered from the journal.
    await send(deviceId, c);
    await send(deviceId, stop);
    const [, replayed] = await waitForAnswer(c.commandId, 2);
    expect(replayed?.payload).toMatchObject({ type: 'fault', error: { code: 'Interrupted' }, replay: true });
    await waitForAnswer(stop.commandId, 2);
    expect(countActions(agent.journal.entries(), 'interrupt')).toBe(1);
  });

  it('stops a running resumable command with a retryable Interrupted fault', async () => {
    const { deviceId, clock } = await start({ clock: new ScaledClock(100) });
    const c = command(deviceId, clock, { command: 'stir', parameters: { time: 3600 } });
    await send(deviceId, c);
    await probe.waitFor(
      (m) => eventOf(m).commandId === c.commandId && eventOf(m).type === 'accepted',
      'accepted',
    );
    await send(deviceId, interrupt(deviceId, clock, c.commandId));
    expect(await answerOf(c.commandId)).toMatchObject({
      type: 'fault',
      error: { code: 'Interrupted', retryable: true },
    });
  });

  it('drops a queued command before it starts (retryable: it never acted) and leaves the running one alone', async () => {
    const { deviceId, clock, calls, hold, release } = await start();
    hold();
    const first = command(deviceId, clock);
    const second = command(deviceId, clock, { parameters: { temperature: 50, time: 1 } });
    await send(deviceId, first);
    await send(deviceId, second);
    await probe.waitFor(
      (m) => eventOf(m).commandId === second.commandId && eventOf(m).type === 'accepted',
      'accepted',
    );
    const stop = interrupt(deviceId, clock, second.commandId);
    await send(deviceId, stop);
    expect(await answerOf(second.commandId)).toMatchObject({
      type: 'fault',
      error: { code: 'Interrupted', retryable: true },
    });
    expect(await answerOf(stop.commandId)).toMatchObject({ output: { was: 'queued' } });
    release();
    expect(await answerOf(first.commandId)).toMatchObject({ type: 'result' });
    expect(calls.map((call) => call.temperature)).toEqual([37]);
  });

  it('answers finished or unknown without touching anything, and refuses an interrupt without a target', async () => {
    const { deviceId, clock } = await start();
    const done = command(deviceId, clock, { parameters: { temperature: 20, time: 0 } });
    await send(deviceId, done);
    await waitForAnswer(done.commandId);
    const late = interrupt(deviceId, clock, done.commandId);
    await send(deviceId, late);
    expect(await answerOf(late.commandId)).toMatchObject({ output: { was: 'finished' } });
    const stray = interrupt(deviceId, clock, 'never-sent');
    await send(deviceId, stray);
    expect(await answerOf(stray.commandId)).toMatchObject({ output: { was: 'unknown' } });
    const bad = interrupt(deviceId, clock, 'x', { target: 'x' });
    await send(deviceId, bad);
    const refusal = (await answerOf(bad.commandId)) as { error: { code: string; message: string } };
    expect(refusal.error.code).toBe('InvalidParameters');
    expect(refusal.error.message).toMatch(/commandId/);
  });
});

describe('device agent: crashes', () => {
  it('answers OutcomeUnknown for a command journalled as started but never finished, and never re-executes it', async () => {
    const deviceId = `heater-${++counter}`;
    const clock = new ScaledClock(1e5);
    const c = command(deviceId, clock);
    const journal = new MemoryJournal([
      { type: 'begin', commandId: c.commandId, command: 'heat', parameters: c.parameters, at: clock.now() },
    ]);
    const { calls } = await start({ clock, journal, deviceId });
    const [first] = await waitForAnswer(c.commandId);
    expect(first?.payload).toMatchObject({
      type: 'fault',
      error: { code: 'OutcomeUnknown', retryable: false },
    });
    await send(deviceId, c);
    const answers = await waitForAnswer(c.commandId, 2);
    expect(answers[1]?.payload).toMatchObject({
      type: 'fault',
      error: { code: 'OutcomeUnknown' },
      replay: true,
    });
    expect(calls).toHaveLength(0);
  });

  it('leaves a begin without a finish when killed mid-action; the restarted agent reports OutcomeUnknown', async () => {
    const journal = new MemoryJournal();
    const first = await start({ journal });
    first.hold();
    const c = command(first.deviceId, first.clock);
    await send(first.deviceId, c);
    await probe.waitFor(
      (m) => eventOf(m).commandId === c.commandId && eventOf(m).type === 'progress',
      'progress',
    );
    first.agent.kill();
    agents.splice(agents.indexOf(first.agent), 1);
    first.release();
    await first.agent.whenIdle();
    expect(journal.find(c.commandId)).toEqual({ begin: expect.objectContaining({ type: 'begin' }) });
    const second = await start({ journal, deviceId: first.deviceId, clock: first.clock });
    await send(first.deviceId, c);
    const answers = await waitForAnswer(c.commandId, 2);
    expect(answers.map((m) => eventOf(m).error?.code)).toEqual(['OutcomeUnknown', 'OutcomeUnknown']);
    expect(first.calls.length + second.calls.length).toBe(1);
    expect(countActions(journal.entries())).toBe(1);
  });
});

describe('device agent: telemetry', () => {
  it('sends Zod-valid telemetry every heartbeat on the injected clock', async () => {
    const clock = new ScaledClock(1e3);
    const { agent, deviceId } = await start({ clock, heartbeat: 10 });
    const topic = deviceTopic(lab, deviceId, 'telemetry');
    await probe.subscribe(topic);
    const beats = await probe.waitForCount((m) => m.topic === topic, 3, 'three heartbeats');
    await agent.stop();
    agents.splice(agents.indexOf(agent), 1);
    const parsed = beats.map((m) => TelemetrySchema.parse(m.payload));
    expect(parsed[0]).toMatchObject({ deviceId, busy: false, values: { temperature: 21.5 } });
    const gaps = parsed.slice(1).map((t, i) => t.at - (parsed[i]?.at ?? 0));
    // Node timers may fire up to a wall millisecond early (the event loop caches its time): 1 s here.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(9_000);
  });
});
