import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ScaledClock } from '../contracts/index.ts';
import { countActions, openFileJournal } from '../devices/index.ts';
import { startTestBroker, type TestBroker } from '../test/support/broker.ts';
import {
  COLOUR_TARGET,
  COLOUR_TARGET_MIXTURE,
  colourDistance,
  type SimulatedLab,
  type SimulatedLiquidHandler,
  SimulatedWorld,
  SimulatorError,
  startSimulator,
  startSimulators,
} from './index.ts';
import { connectOrchestrator, type TestOrchestrator } from './internal/test-orchestrator.ts';

const labId = 'sim-lab';
const clock = new ScaledClock(1e5);
const everything = [
  { kind: 'liquid-handler' },
  { kind: 'plate-reader' },
  { kind: 'printer-3d', count: 2 },
  { kind: 'mechanical-tester' },
];
let broker: TestBroker;
let orchestrator: TestOrchestrator;
const labs: SimulatedLab[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  broker = await startTestBroker();
  orchestrator = await connectOrchestrator(broker.url, labId, clock);
});

afterEach(async () => {
  await Promise.all(labs.splice(0).map((lab) => lab.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await orchestrator.close();
  await broker.close();
});

async function startLab(options: { journalDir?: string; simulators?: typeof everything } = {}) {
  const lab = await startSimulators({
    brokerUrl: broker.url,
    labId,
    clock,
    seed: 42,
    simulators: options.simulators ?? everything,
    journalDir: options.journalDir,
    heartbeat: 3600,
  });
  labs.push(lab);
  return lab;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'labloop-sim-'));
  dirs.push(dir);
  return dir;
}

const output = async (promise: ReturnType<TestOrchestrator['run']>) => {
  const answer = await promise;
  if (answer.type !== 'result') throw new Error(`expected a result, got ${JSON.stringify(answer)}`);
  return answer.output;
};

describe('simulated lab', () => {
  it('starts count devices per kind with ids <kind>-<n>', async () => {
    const lab = await startLab();
    expect(lab.devices.map((d) => d.deviceId)).toEqual([
      'liquid-handler-1',
      'plate-reader-1',
      'printer-3d-1',
      'printer-3d-2',
      'mechanical-tester-1',
    ]);
    expect(() => lab.device('furnace-1')).toThrow(SimulatorError);
  });

  it('refuses an unknown kind before connecting anything', async () => {
    await expect(
      startSimulators({ brokerUrl: broker.url, labId, clock, seed: 1, simulators: [{ kind: 'furnace' }] }),
    ).rejects.toThrow(/no simulator for device kind "furnace"; expected one of liquid-handler/);
  });

  it('reads the colour target from the target mixture, and another colour from another mixture', async () => {
    await startLab();
    await output(
      orchestrator.run('liquid-handler-1', 'mix', {
        plate: 'p1',
        well: 'A1',
        volumes: COLOUR_TARGET_MIXTURE,
      }),
    );
    await output(
      orchestrator.run('liquid-handler-1', 'mix', {
        plate: 'p1',
        well: 'A2',
        volumes: { yellow: 100, water: 100 },
      }),
    );
    const target = await output(orchestrator.run('plate-reader-1', 'measure', { plate: 'p1', well: 'A1' }));
    const yellow = await output(orchestrator.run('plate-reader-1', 'measure', { plate: 'p1', well: 'A2' }));
    const rgb = (o: Record<string, unknown>) => ({ r: Number(o.r), g: Number(o.g), b: Number(o.b) });
    expect(colourDistance(rgb(target), COLOUR_TARGET)).toBeLessThan(0.03);
    expect(colourDistance(rgb(yellow), COLOUR_TARGET)).toBeGreaterThan(0.2);
    expect(Number(yellow.b)).toBeLessThan(Number(yellow.r));
  });

  it('faults reading a plate that was never used or a well that is empty', async () => {
    await startLab();
    expect(await orchestrator.run('plate-reader-1', 'measure', { plate: 'ghost', well: 'A1' })).toMatchObject(
      {
        error: { code: 'PlateMissing' },
      },
    );
    await output(
      orchestrator.run('liquid-handler-1', 'mix', { plate: 'p2', well: 'A1', volumes: { red: 10 } }),
    );
    expect(await orchestrator.run('plate-reader-1', 'measure', { plate: 'p2', well: 'B1' })).toMatchObject({
      error: { code: 'WellEmpty' },
    });
  });

  it('refuses a mix into an occupied well and a reservoir without enough liquid, acting on neither', async () => {
    const world = new SimulatedWorld();
    const device = await startSimulator({
      kind: 'liquid-handler',
      deviceId: 'liquid-handler-9',
      brokerUrl: broker.url,
      labId,
      world,
      clock,
      seed: 3,
      reservoirs: { red: 150, water: 1000 },
      heartbeat: 3600,
    });
    try {
      const mix = (well: string, red: number) =>
        orchestrator.run(device.deviceId, 'mix', { plate: 'p3', well, volumes: { red, water: 50 } });
      await output(mix('A1', 100));
      expect(await mix('A1', 10)).toMatchObject({ error: { code: 'WellOccupied', retryable: false } });
      expect(await mix('A2', 100)).toMatchObject({
        error: {
          code: 'ReservoirEmpty',
          message: expect.stringMatching(/red holds 50 µL, the mix needs 100 µL/),
        },
      });
      expect(world.well('p3', 'A2')).toBeUndefined();
      const handler = device.simulator as SimulatedLiquidHandler;
      expect(handler.reservoirLevels()).toEqual({ red: 50, water: 950 });
      await output(orchestrator.run(device.deviceId, 'refill', { reservoir: 'red' }));
      await output(mix('A2', 100));
      expect(handler.reservoirLevels()).toEqual({ red: 50, water: 900 });
    } finally {
      await device.agent.stop();
    }
  });

  it('prints a specimen once and crushes it once, with toughness and peak force from the model', async () => {
    const lab = await startLab();
    const design = { strutThickness: 1.2, cellSize: 4, nozzleTemperature: 226 };
    const printed = await output(orchestrator.run('printer-3d-2', 'print', { specimen: 's1', ...design }));
    expect(Number(printed.mass)).toBeGreaterThan(2);
    expect(Number(printed.printTime)).toBeGreaterThan(20 * 60);
    expect(await orchestrator.run('printer-3d-1', 'print', { specimen: 's1', ...design })).toMatchObject({
      error: { code: 'SpecimenExists' },
    });
    const crushed = await output(orchestrator.run('mechanical-tester-1', 'compress', { specimen: 's1' }));
    expect(Number(crushed.toughness)).toBeGreaterThan(3);
    expect(Number(crushed.peakForce)).toBeGreaterThan(100);
    expect(await orchestrator.run('mechanical-tester-1', 'compress', { specimen: 's1' })).toMatchObject({
      error: { code: 'SpecimenAlreadyTested' },
    });
    expect(await orchestrator.run('mechanical-tester-1', 'compress', { specimen: 'never' })).toMatchObject({
      error: { code: 'SpecimenMissing', retryable: false },
    });
    expect(lab.world.testedBy('s1')).toBeDefined();
  });

  it('measures the same with the same seed and differently with another', async () => {
    const measureWith = async (seed: number) => {
      const world = new SimulatedWorld();
      world.fillWell('p', 'A1', { volumes: COLOUR_TARGET_MIXTURE, filledBy: 'setup' });
      const device = await startSimulator({
        kind: 'plate-reader',
        deviceId: `plate-reader-seed-${seed}`,
        brokerUrl: broker.url,
        labId,
        world,
        clock,
        seed,
        heartbeat: 3600,
      });
      try {
        return await output(
          orchestrator.run(device.deviceId, 'measure', { plate: 'p', well: 'A1' }, { commandId: 'same' }),
        );
      } finally {
        await device.agent.stop();
      }
    };
    const a = await measureWith(1);
    const b = await measureWith(1);
    const c = await measureWith(2);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
});

describe('world rebuilt from journals', () => {
  it('restores wells, reservoirs, specimens and tests after a restart, and replays old commands', async () => {
    const journalDir = tempDir();
    const first = await startLab({ journalDir });
    await output(
      orchestrator.run('liquid-handler-1', 'mix', {
        plate: 'r',
        well: 'C3',
        volumes: { blue: 60, water: 40 },
      }),
    );
    await output(
      orchestrator.run('liquid-handler-1', 'mix', { plate: 'r', well: 'C4', volumes: { red: 30 } }),
    );
    const design = { strutThickness: 1, cellSize: 5, nozzleTemperature: 215 };
    await output(orchestrator.run('printer-3d-1', 'print', { specimen: 'keep', ...design }));
    await output(orchestrator.run('printer-3d-2', 'print', { specimen: 'crush', ...design }));
    const crushed = await orchestrator.run('mechanical-tester-1', 'compress', { specimen: 'crush' });
    const before = first.world.snapshot();
    const levels = (first.device('liquid-handler-1').simulator as SimulatedLiquidHandler).reservoirLevels();
    await first.stop();
    labs.splice(labs.indexOf(first), 1);

    const second = await startLab({ journalDir });
    expect(second.world).not.toBe(first.world);
    expect(second.world.snapshot()).toEqual(before);
    expect((second.device('liquid-handler-1').simulator as SimulatedLiquidHandler).reservoirLevels()).toEqual(
      levels,
    );
    const replay = await orchestrator.run(
      'mechanical-tester-1',
      'compress',
      { specimen: 'crush' },
      {
        commandId: crushed.commandId,
      },
    );
    expect(replay).toMatchObject({ type: 'result', replay: true });
    if (replay.type === 'result' && crushed.type === 'result') expect(replay.output).toEqual(crushed.output);
    expect(await orchestrator.run('plate-reader-1', 'measure', { plate: 'r', well: 'C3' })).toMatchObject({
      type: 'result',
    });
    expect(await orchestrator.run('mechanical-tester-1', 'compress', { specimen: 'crush' })).toMatchObject({
      error: { code: 'SpecimenAlreadyTested' },
    });
  });

  it('answers OutcomeUnknown for a print cut short by a crash, and the specimen does not exist', async () => {
    const journalDir = tempDir();
    const first = await startLab({ journalDir, simulators: [{ kind: 'printer-3d' }] as typeof everything });
    const printer = first.device('printer-3d-1');
    await orchestrator.probe.publish(`labloop/${labId}/devices/printer-3d-1/commands`, {
      commandId: 'cut-short',
      deviceId: 'printer-3d-1',
      command: 'print',
      parameters: { specimen: 'half', strutThickness: 3, cellSize: 3, nozzleTemperature: 220 },
      issuedAt: clock.now(),
      deadline: clock.now() + 30 * 86_400_000,
    });
    await orchestrator.probe.waitFor((m) => {
      const p = m.payload as { commandId?: string; type?: string };
      return p.commandId === 'cut-short' && p.type === 'progress';
    }, 'the print to be under way');
    await first.kill();
    labs.splice(labs.indexOf(first), 1);
    expect(printer.journal.find('cut-short')?.finish).toBeUndefined();

    const reopened = await openFileJournal(join(journalDir, 'printer-3d-1.jsonl'));
    expect(countActions(reopened.entries(), 'print')).toBe(1);
    await reopened.close();

    const second = await startLab({ journalDir, simulators: [{ kind: 'printer-3d' }] as typeof everything });
    // The restarted device tells the orchestrator at once, then answers every repeat the same way.
    const announced = await orchestrator.probe.waitFor((m) => {
      const p = m.payload as { commandId?: string; type?: string; error?: { code?: string } };
      return p.commandId === 'cut-short' && p.error?.code === 'OutcomeUnknown';
    }, 'OutcomeUnknown announced on restart');
    expect(announced.payload).toMatchObject({ replay: false });
    const answer = await orchestrator.run(
      'printer-3d-1',
      'print',
      { specimen: 'half' },
      { commandId: 'cut-short' },
    );
    expect(answer).toMatchObject({
      type: 'fault',
      error: { code: 'OutcomeUnknown', retryable: false },
      replay: true,
    });
    expect(second.world.specimen('half')).toBeUndefined();
    expect(countActions(second.device('printer-3d-1').journal.entries(), 'print')).toBe(1);
  });
});
