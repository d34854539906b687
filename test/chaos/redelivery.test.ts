import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, type DeviceCommand, ScaledClock } from '../../contracts/index.ts';
import { DeviceBus, type EmbeddedBroker, startBroker } from '../../runtime/index.ts';
import { type SimulatedLab, startSimulators } from '../../simulators/index.ts';
import { runs } from '../fuzz/support/commands.ts';

/** Full sizes under `npm run test:chaos` run for minutes, not seconds. */
const sizedTimeout = runs(60_000, 600_000);

// Printers take no time here: the wall clock, so a late copy is not refused as expired under load.
const clock = new ScaledClock(1);
let broker: EmbeddedBroker;
let lab: SimulatedLab;
let bus: DeviceBus;
const PRINTERS = 4;

beforeAll(async () => {
  broker = await startBroker({ port: 0 });
  lab = await startSimulators({
    brokerUrl: broker.url,
    labId: 'chaos-redelivery',
    clock,
    seed: 3,
    simulators: [{ kind: 'printer-3d', count: PRINTERS, durationScale: 0 }],
    heartbeat: 3600,
  });
  bus = await DeviceBus.connect({ url: broker.url, labId: 'chaos-redelivery', clock });
  while (bus.devicesOfKind('printer-3d').length < PRINTERS)
    await new Promise((resolve) => bus.once('status', resolve));
});
afterAll(async () => {
  await bus.close();
  await lab.stop();
  await broker.close();
});

describe('redelivered commands', () => {
  it(
    '30% of commands delivered 1–3 extra times: every commandId acts exactly once',
    async () => {
      const total = runs(1_000, 10_000);
      const rng = createRng(7);
      let copies = 0;
      const started = performance.now();
      for (let window = 0; window < total; window += 200) {
        const late: string[] = [];
        const batch: Array<Promise<unknown>> = [];
        for (let i = window; i < Math.min(total, window + 200); i++) {
          const command: DeviceCommand = {
            commandId: `redelivery/${i}`,
            deviceId: `printer-3d-${(i % PRINTERS) + 1}`,
            command: 'print',
            parameters: { specimen: `s${i}`, strutThickness: 1, cellSize: 5, nozzleTemperature: 220 },
            issuedAt: clock.now(),
            deadline: clock.now() + 3_600_000,
          };
          batch.push(bus.dispatch(command));
          if (rng.next() < 0.3) {
            const extra = 1 + rng.int(3);
            copies += extra;
            // Some copies follow at once (a broker resend), some arrive later, after other commands.
            for (let k = 0; k < extra; k++)
              if (rng.next() < 0.5) void bus.publishRaw(command.deviceId, JSON.stringify(command));
              else late.push(JSON.stringify(command));
          }
        }
        for (const payload of late) void bus.publishRaw(JSON.parse(payload).deviceId, payload);
        await Promise.all(batch);
      }
      await Promise.all(lab.devices.map((d) => d.agent.whenIdle()));
      const seconds = (performance.now() - started) / 1000;

      const begun = new Map<string, number>();
      for (const device of lab.devices)
        for (const entry of device.journal.entries())
          if (entry.type === 'begin') begun.set(entry.commandId, (begun.get(entry.commandId) ?? 0) + 1);
      const stats = lab.devices.map((d) => d.agent.stats());
      const answeredFromJournal = stats.reduce((n, s) => n + s.replays, 0);
      const ignoredWhileRunning = stats.reduce((n, s) => n + s.duplicatesIgnored, 0);
      console.log(
        `redelivery: ${total} commands + ${copies} extra copies in ${seconds.toFixed(1)} s → ${begun.size} acted once, ` +
          `${answeredFromJournal} copies answered from the journal, ${ignoredWhileRunning} ignored while queued`,
      );
      expect(begun.size).toBe(total);
      expect([...begun.values()].every((n) => n === 1)).toBe(true);
      expect(answeredFromJournal + ignoredWhileRunning).toBe(copies);
      expect(lab.world.snapshot().specimens).toSatisfy((s: object) => Object.keys(s).length === total);
    },
    sizedTimeout,
  );
});
