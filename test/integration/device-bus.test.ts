import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceCommand, type DeviceEvent, ScaledClock } from '../../contracts/index.ts';
import { countActions } from '../../devices/index.ts';
import { DeviceBus, DevicePool, type EmbeddedBroker, startBroker } from '../../runtime/index.ts';
import { type SimulatedLab, startSimulators } from '../../simulators/index.ts';
import { StepFaultError } from '../../workflows/index.ts';

// 100×: a heartbeat every 300 ms of wall time, so a loaded CI machine does not look like a silent device (1.5
// heartbeats of slack was 45 ms at 1,000×, and a device was declared lost in CI).
const clock = new ScaledClock(100);
let broker: EmbeddedBroker;
let lab: SimulatedLab;
let bus: DeviceBus;

beforeAll(async () => {
  broker = await startBroker({ port: 0 });
  lab = await startSimulators({
    brokerUrl: broker.url,
    labId: 'bus-lab',
    clock,
    seed: 1,
    simulators: [{ kind: 'liquid-handler' }, { kind: 'plate-reader' }],
  });
  bus = await DeviceBus.connect({ url: broker.url, labId: 'bus-lab', clock });
  while (bus.devicesOfKind('liquid-handler').length === 0 || bus.devicesOfKind('plate-reader').length === 0)
    await new Promise((resolve) => bus.once('status', resolve));
});
afterAll(async () => {
  await bus.close();
  await lab.stop();
  await broker.close();
});

const mix = (commandId: string, well: string, deadline = clock.now() + 600_000): DeviceCommand => ({
  commandId,
  deviceId: 'liquid-handler-1',
  command: 'mix',
  parameters: { plate: 'plate-9', well, volumes: { red: 40, water: 160 } },
  issuedAt: clock.now(),
  deadline,
});

function collect(commandId: string): DeviceEvent[] {
  const events: DeviceEvent[] = [];
  bus.on('event', (e) => e.commandId === commandId && events.push(e));
  return events;
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => bus.once('event', resolve));
}

describe('the device contract over a real broker', () => {
  it('executes a command delivered three times once, answering the repeats from the journal', async () => {
    const command = mix('bus/dup/1', 'A1');
    const events = collect(command.commandId);
    const results = () => events.filter((e) => e.type === 'result');
    for (let copy = 1; copy <= 3; copy++) {
      await bus.publishRaw('liquid-handler-1', JSON.stringify(command));
      await until(() => results().length === copy);
    }
    const journal = lab.device('liquid-handler-1').journal.entries();
    expect(journal.filter((e) => e.type === 'begin' && e.commandId === command.commandId)).toHaveLength(1);
    expect(results().map((e) => e.type === 'result' && e.replay)).toEqual([false, true, true]);
    expect(new Set(results().map((e) => JSON.stringify(e.type === 'result' && e.output))).size).toBe(1);
  });

  it('ignores a copy that arrives while the first is still running', async () => {
    const command = mix('bus/dup/2', 'A5');
    const events = collect(command.commandId);
    const payload = JSON.stringify(command);
    await Promise.all([1, 2, 3].map(() => bus.publishRaw('liquid-handler-1', payload)));
    await until(() => events.some((e) => e.type === 'result'));
    await lab.device('liquid-handler-1').agent.whenIdle();
    expect(events.filter((e) => e.type === 'result')).toHaveLength(1);
    expect(
      countActions(
        lab
          .device('liquid-handler-1')
          .journal.entries()
          .filter((e) => e.commandId === command.commandId),
      ),
    ).toBe(1);
  });

  it('dispatch resolves once even when the device answers repeats', async () => {
    const command = mix('bus/dispatch/1', 'A2');
    const first = await bus.dispatch(command);
    const again = await bus.dispatch(command);
    expect(again.output).toEqual(first.output);
    expect(again.replay).toBe(true);
    expect(
      countActions(
        lab
          .device('liquid-handler-1')
          .journal.entries()
          .filter((e) => e.commandId === command.commandId),
      ),
    ).toBe(1);
  });

  it('refuses an expired command without acting, and a repeat gets the same refusal', async () => {
    const command = mix('bus/expired/1', 'A3', clock.now() - 1);
    const before = countActions(lab.device('liquid-handler-1').journal.entries());
    await expect(bus.dispatch(command)).rejects.toMatchObject({
      fault: { code: 'CommandExpired', retryable: false },
    });
    await expect(bus.dispatch(command)).rejects.toBeInstanceOf(StepFaultError);
    expect(countActions(lab.device('liquid-handler-1').journal.entries())).toBe(before);
  });

  it('a device refuses an out-of-envelope command it receives directly, without acting', async () => {
    const command = {
      ...mix('bus/envelope/1', 'A4'),
      parameters: { plate: 'plate-9', well: 'A4', volumes: { red: 1500 } },
    };
    const before = countActions(lab.device('liquid-handler-1').journal.entries());
    await expect(bus.dispatch(command)).rejects.toMatchObject({ fault: { code: 'OutsideEnvelope' } });
    expect(countActions(lab.device('liquid-handler-1').journal.entries())).toBe(before);
  });

  it('the pool hands a device to one holder at a time, in order of request', async () => {
    const pool = new DevicePool(bus, clock);
    const first = await pool.acquire('plate-reader', 'measure', 'a');
    const order: string[] = [];
    const second = pool.acquire('plate-reader', 'measure', 'b').then((d) => order.push(`b:${d.deviceId}`));
    const third = pool.acquire('plate-reader', 'measure', 'c').then((d) => order.push(`c:${d.deviceId}`));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual([]);
    pool.release(first.deviceId);
    await second;
    pool.releaseHolder('b');
    await third;
    expect(order).toEqual(['b:plate-reader-1', 'c:plate-reader-1']);
  });

  it('the pool fails with NoDeviceAvailable when no device of the kind is online', async () => {
    const pool = new DevicePool(bus, clock, 60_000);
    await expect(pool.acquire('furnace', 'ramp', 'x')).rejects.toMatchObject({
      fault: { code: 'NoDeviceAvailable' },
    });
  });
});
