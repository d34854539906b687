import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceCommand, ScaledClock } from '../../contracts/index.ts';
import { DeviceBus, type EmbeddedBroker, startBroker } from '../../runtime/index.ts';
import {
  OVER_TEMPERATURE,
  OVER_VOLUME,
  type SimulatedLab,
  type SimulatedLiquidHandler,
  type SimulatedPrinter3d,
  startSimulators,
} from '../../simulators/index.ts';
import { StepFaultError } from '../../workflows/index.ts';

const LAB = 'hazard-lab';
const clock = new ScaledClock(1e5);
let broker: EmbeddedBroker;
let lab: SimulatedLab;
let bus: DeviceBus;

beforeAll(async () => {
  broker = await startBroker({ port: 0 });
  // The second print and the second mix go wrong; the first of each runs normally.
  lab = await startSimulators({
    brokerUrl: broker.url,
    labId: LAB,
    clock,
    seed: 5,
    simulators: [
      {
        kind: 'printer-3d',
        faults: [{ command: 'print', every: 2, code: OVER_TEMPERATURE, retryable: false }],
      },
      { kind: 'liquid-handler', faults: [{ command: 'mix', every: 2, code: OVER_VOLUME, retryable: false }] },
    ],
    logger: { warn: () => undefined },
    // About one heartbeat per wall second, so the bus never thinks a device went silent.
    heartbeat: clock.speed,
  });
  bus = await DeviceBus.connect({ url: broker.url, labId: LAB, clock });
  while (bus.devicesOfKind('printer-3d').length === 0 || bus.devicesOfKind('liquid-handler').length === 0)
    await new Promise((resolve) => bus.once('status', resolve));
});
afterAll(async () => {
  await bus?.close();
  await lab?.stop();
  await broker?.close();
});

const command = (deviceId: string, commandId: string, name: string, parameters: object): DeviceCommand => ({
  commandId,
  deviceId,
  command: name,
  parameters: parameters as Record<string, unknown>,
  issuedAt: clock.now(),
  deadline: clock.now() + 24 * 3_600_000,
});

async function faultOf(promise: Promise<unknown>): Promise<StepFaultError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StepFaultError);
  return error as StepFaultError;
}

describe('hazards drive a device to its safe state', () => {
  it('stops a print whose nozzle overheats: typed fault, heaters off, nothing printed', async () => {
    const printer = lab.device('printer-3d-1').simulator as SimulatedPrinter3d;
    const print = (id: string) =>
      bus.dispatch(
        command('printer-3d-1', id, 'print', {
          specimen: id.replace('/', '-'),
          strutThickness: 1,
          cellSize: 5,
          nozzleTemperature: 230,
        }),
      );
    await print('hot/1');
    expect(printer.safeStates).toEqual([]);
    const fault = await faultOf(print('hot/2'));
    expect(fault.fault).toMatchObject({ code: 'OverTemperature', retryable: false });
    expect(fault.fault.message).toMatch(/nozzle read 300 °C, above its 260 °C limit: .*heaters off/);
    expect(printer.safeStates).toHaveLength(1);
    expect(printer.safeStates[0]?.reason).toBe('nozzle at 300 °C');
    expect(printer.driver().telemetry?.()).toEqual({ nozzleTemperature: 25 });
    expect(lab.world.specimen('hot-1')).toBeDefined();
    expect(lab.world.specimen('hot-2')).toBeUndefined();
    // The fault is journalled as the command's outcome, so a redelivery answers it without printing again.
    const again = await faultOf(print('hot/2'));
    expect(again.fault.code).toBe('OverTemperature');
    expect(printer.safeStates).toHaveLength(1);
  });

  it('stops a mix whose well overfills: typed fault, pumps stopped, the well left as it was', async () => {
    const handler = lab.device('liquid-handler-1').simulator as SimulatedLiquidHandler;
    const mix = (id: string, well: string) =>
      bus.dispatch(
        command('liquid-handler-1', id, 'mix', { plate: 'p-h', well, volumes: { red: 100, blue: 50 } }),
      );
    await mix('wet/1', 'A1');
    const before = handler.reservoirLevels();
    const fault = await faultOf(mix('wet/2', 'A2'));
    expect(fault.fault).toMatchObject({ code: 'OverVolume', retryable: false });
    expect(fault.fault.message).toMatch(/well p-h\/A2 read 450 µL, above its 300 µL capacity: pumps stopped/);
    expect(handler.safeStates.map((s) => s.reason)).toEqual(['well p-h/A2 at 450 µL']);
    expect(lab.world.well('p-h', 'A2')).toBeUndefined();
    expect(handler.reservoirLevels()).toEqual(before);
  });
});
