import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DeviceEventSchema,
  DeviceStatusSchema,
  type FaultPlanEntry,
  ScaledClock,
  systemClock,
  TelemetrySchema,
} from '../contracts/index.ts';
import {
  countActions,
  type DeviceKind,
  describeCapabilities,
  deviceKinds,
  deviceTopic,
  WELLS,
} from '../devices/index.ts';
import { startTestBroker, type TestBroker } from '../test/support/broker.ts';
import { type SimulatedDevice, SimulatedWorld, startSimulator } from './index.ts';
import { connectOrchestrator, type TestOrchestrator } from './internal/test-orchestrator.ts';

/** How to drive one kind through the shared device contract. */
interface ContractCase {
  kind: DeviceKind;
  command: string;
  /** Puts in the world what the n-th valid command needs (a mixed well, a printed specimen). */
  prepare(world: SimulatedWorld, n: number): void;
  valid(n: number): Record<string, unknown>;
  /** Parameters that fail the command's schema. */
  invalid: Record<string, unknown>;
  /** Parameters that pass the schema but leave the envelope; absent for kinds without an envelope. */
  outside?: Record<string, unknown>;
}

const cases: ContractCase[] = [
  {
    kind: 'liquid-handler',
    command: 'mix',
    prepare: () => {},
    valid: (n) => ({ plate: 'contract', well: WELLS[n], volumes: { red: 20, yellow: 0, water: 80 } }),
    invalid: { plate: 'contract', well: 'Z9', volumes: {} },
    outside: { plate: 'contract', well: 'H12', volumes: { red: 250, water: 100 } },
  },
  {
    kind: 'plate-reader',
    command: 'measure',
    prepare: (world, n) =>
      world.fillWell('contract', WELLS[n] as string, {
        volumes: { blue: 40, water: 160 },
        filledBy: `setup-${n}`,
      }),
    valid: (n) => ({ plate: 'contract', well: WELLS[n] }),
    invalid: { plate: 'contract' },
  },
  {
    kind: 'printer-3d',
    command: 'print',
    prepare: () => {},
    valid: (n) => ({ specimen: `contract-${n}`, strutThickness: 1.2, cellSize: 4, nozzleTemperature: 220 }),
    invalid: { specimen: 'contract-x', strutThickness: '1 mm', cellSize: 4, nozzleTemperature: 220 },
    outside: { specimen: 'contract-y', strutThickness: 5, cellSize: 4, nozzleTemperature: 300 },
  },
  {
    kind: 'mechanical-tester',
    command: 'compress',
    prepare: (world, n) =>
      world.addSpecimen({
        id: `contract-${n}`,
        design: { strutThickness: 1.2, cellSize: 4, nozzleTemperature: 220 },
        mass: 2.4,
        printedBy: `setup-${n}`,
      }),
    valid: (n) => ({ specimen: `contract-${n}` }),
    invalid: { specimen: '' },
    outside: { specimen: 'contract-0', maxForce: 50_000 },
  },
];

const lab = 'contract-lab';
let broker: TestBroker;
let orchestrator: TestOrchestrator;
const clock = new ScaledClock(1e5);
const started: SimulatedDevice[] = [];

beforeAll(async () => {
  broker = await startTestBroker();
  orchestrator = await connectOrchestrator(broker.url, lab, clock);
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((device) => device.agent.stop()));
});

afterAll(async () => {
  await orchestrator.close();
  await broker.close();
});

let deviceCount = 0;
async function start(kind: DeviceKind, world: SimulatedWorld, faults: FaultPlanEntry[] = []) {
  const device = await startSimulator({
    kind,
    deviceId: `${kind}-${++deviceCount}`,
    brokerUrl: broker.url,
    labId: lab,
    world,
    clock,
    seed: 11,
    faults,
    heartbeat: 600,
  });
  started.push(device);
  return device;
}

describe.each(cases)('device contract: $kind', (c) => {
  it('announces a retained online status with the catalogue capabilities', async () => {
    const device = await start(c.kind, new SimulatedWorld());
    const topic = deviceTopic(lab, device.deviceId, 'status');
    const message = await orchestrator.probe.waitFor(
      (m) => m.topic === topic && (m.payload as { state?: string }).state === 'online',
      'online status',
    );
    const status = DeviceStatusSchema.parse(message.payload);
    if (status.state !== 'online') throw new Error('expected online');
    expect(status.descriptor).toMatchObject({ deviceId: device.deviceId, kind: c.kind });
    expect(status.descriptor.model).toMatch(/simulated/);
    expect(status.descriptor.capabilities).toEqual(describeCapabilities(deviceKinds[c.kind].commands));
  });

  it('answers a valid command with accepted, rising progress and a result, every event Zod-valid', async () => {
    const world = new SimulatedWorld();
    c.prepare(world, 0);
    const device = await start(c.kind, world);
    const answer = await orchestrator.run(device.deviceId, c.command, c.valid(0));
    expect(answer.type, JSON.stringify(answer)).toBe('result');
    const events = orchestrator.events(answer.commandId);
    expect(events[0]?.type).toBe('accepted');
    expect(events.at(-1)?.type).toBe('result');
    const fractions = events.flatMap((e) => (e.type === 'progress' ? [e.fraction] : []));
    expect(fractions.length).toBeGreaterThan(0);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.at(-1)).toBe(1);
    const raw = orchestrator.probe.messages.filter(
      (m) => (m.payload as { commandId?: string }).commandId === answer.commandId,
    );
    for (const m of raw) expect(DeviceEventSchema.safeParse(m.payload).success).toBe(true);
  });

  it('acts once for a repeated commandId and replays the stored outcome', async () => {
    const world = new SimulatedWorld();
    c.prepare(world, 1);
    const device = await start(c.kind, world);
    const first = await orchestrator.run(device.deviceId, c.command, c.valid(1));
    const again = await orchestrator.run(device.deviceId, c.command, c.valid(1), {
      commandId: first.commandId,
    });
    expect(first).toMatchObject({ type: 'result', replay: false });
    expect(again).toMatchObject({ type: 'result', replay: true });
    if (first.type !== 'result' || again.type !== 'result') throw new Error('expected results');
    expect(again.output).toEqual(first.output);
    expect(countActions(device.journal.entries())).toBe(1);
  });

  it('refuses an expired command without acting', async () => {
    const world = new SimulatedWorld();
    c.prepare(world, 2);
    const device = await start(c.kind, world);
    const answer = await orchestrator.run(device.deviceId, c.command, c.valid(2), {
      deadline: clock.now() - 1,
    });
    expect(answer).toMatchObject({ type: 'fault', error: { code: 'CommandExpired', retryable: false } });
    expect(countActions(device.journal.entries())).toBe(0);
  });

  it('faults unknown commands, invalid parameters and values outside the envelope without acting', async () => {
    const device = await start(c.kind, new SimulatedWorld());
    expect(await orchestrator.run(device.deviceId, 'selfDestruct', {})).toMatchObject({
      error: { code: 'UnknownCommand' },
    });
    expect(await orchestrator.run(device.deviceId, c.command, c.invalid)).toMatchObject({
      error: { code: 'InvalidParameters' },
    });
    if (c.outside)
      expect(await orchestrator.run(device.deviceId, c.command, c.outside)).toMatchObject({
        error: { code: 'OutsideEnvelope' },
      });
    expect(countActions(device.journal.entries())).toBe(0);
  });

  it('fails as its fault plan says, with the planned code and retryable flag', async () => {
    const world = new SimulatedWorld();
    for (const n of [3, 4, 5]) c.prepare(world, n);
    const device = await start(c.kind, world, [
      { command: c.command, every: 2, code: 'SimulatedJam', message: 'jammed', retryable: true },
    ]);
    const answers = [];
    for (const n of [3, 4, 5]) answers.push(await orchestrator.run(device.deviceId, c.command, c.valid(n)));
    expect(answers.map((a) => (a.type === 'fault' ? a.error.code : a.type))).toEqual([
      'result',
      'SimulatedJam',
      'result',
    ]);
    expect(answers[1]).toMatchObject({
      error: { retryable: true, message: expect.stringMatching(/jammed/) },
    });
  });

  it('sends Zod-valid telemetry on the clock and goes offline through its last will when killed', async () => {
    const device = await start(c.kind, new SimulatedWorld());
    const telemetry = deviceTopic(lab, device.deviceId, 'telemetry');
    await orchestrator.probe.subscribe(telemetry);
    const beat = await orchestrator.probe.waitFor((m) => m.topic === telemetry, 'telemetry');
    expect(TelemetrySchema.parse(beat.payload).deviceId).toBe(device.deviceId);
    device.agent.kill();
    started.splice(started.indexOf(device), 1);
    const status = deviceTopic(lab, device.deviceId, 'status');
    await orchestrator.probe.waitFor(
      (m) => m.topic === status && (m.payload as { state?: string }).state === 'offline',
      'offline will',
    );
  });
});

describe('durationScale 0', () => {
  it('finishes a 20-minute print at once, even on the wall clock', async () => {
    const device = await startSimulator({
      kind: 'printer-3d',
      deviceId: 'printer-3d-instant',
      brokerUrl: broker.url,
      labId: lab,
      world: new SimulatedWorld(),
      clock: systemClock,
      seed: 1,
      durationScale: 0,
      heartbeat: 3600,
    });
    started.push(device);
    const answer = await orchestrator.run(device.deviceId, 'print', {
      specimen: 'instant',
      strutThickness: 0.5,
      cellSize: 15,
      nozzleTemperature: 210,
    });
    expect(answer).toMatchObject({ type: 'result', output: { printTime: expect.any(Number) } });
    if (answer.type === 'result') expect(answer.output.printTime).toBeGreaterThan(1200);
  });
});
