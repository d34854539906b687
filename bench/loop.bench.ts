/**
 * `npm run bench:loop` — latency and throughput of the local closed loop on this machine.
 *
 * 1. Command round trip: the orchestrator's device bus publishes a command (QoS 1), a simulated plate reader
 *    with zero-duration steps executes it and answers, the bus settles the command's promise and an XState
 *    experiment machine takes its next state. Measured per command, sequentially.
 * 2. Closed loop: a whole campaign (Sobol planner, policy gate, store, run directory, zero-duration steps)
 *    on the embedded broker; experiments per second over the campaign.
 *
 * Prints a table and writes bench-results/loop.json. Options: --commands N (default 2000), --experiments N
 * (default 2000).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createActor, fromPromise, toPromise } from 'xstate';
import { ScaledClock } from '../contracts/index.ts';
import { DeviceBus, runCampaign, startBroker } from '../runtime/index.ts';
import { startSimulators } from '../simulators/index.ts';
import { exampleCampaign } from '../test/support/campaigns.ts';
import { experimentMachine } from '../workflows/index.ts';

const { values } = parseArgs({
  options: {
    commands: { type: 'string', default: '2000' },
    experiments: { type: 'string', default: '2000' },
  },
});
const commands = Number(values.commands);
const experiments = Number(values.experiments);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function roundTrip(): Promise<{ p50: number; p99: number; mean: number; samples: number }> {
  const clock = new ScaledClock(1);
  const broker = await startBroker({ port: 0 });
  const lab = await startSimulators({
    brokerUrl: broker.url,
    labId: 'bench',
    clock,
    seed: 1,
    simulators: [{ kind: 'plate-reader', durationScale: 0 }],
    heartbeat: 3600,
  });
  const bus = await DeviceBus.connect({ url: broker.url, labId: 'bench', clock });
  while (bus.devicesOfKind('plate-reader').length === 0)
    await new Promise((resolve) => bus.once('status', resolve));
  // A well to read: the reader answers WellEmpty for an empty one, which is as fast as a reading but not the common path.
  lab.world.fillWell('plate-1', 'A1', { volumes: { red: 40, water: 160 }, filledBy: 'bench/mix' });

  const samples: number[] = [];
  const machine = experimentMachine.provide({
    actors: {
      acquireDevice: fromPromise(async () => ({ deviceId: 'plate-reader-1' })),
      deviceStep: fromPromise(async ({ input }) => {
        const t0 = performance.now();
        const result = await bus.dispatch({
          commandId: input.commandId,
          deviceId: input.deviceId,
          command: 'measure',
          parameters: { plate: 'plate-1', well: 'A1' },
          issuedAt: clock.now(),
          deadline: clock.now() + 60_000,
        });
        return { output: { ...result.output, t0 }, firmware: result.firmware };
      }),
    },
  });
  const step = {
    name: 'read',
    device: 'plate-reader',
    command: 'measure',
    input: '{}',
    timeout: 60,
    retry: { attempts: 1, backoff: 0 },
  };
  for (let i = 0; i < commands + 200; i++) {
    const actor = createActor(machine, {
      input: {
        campaignId: 'bench',
        experimentId: `bench-e${i}`,
        index: i,
        parameters: {},
        protocol: { steps: [step], output: '{ "r": steps.read.r }' },
      },
    });
    let t0 = 0;
    let settled = 0;
    actor.subscribe((s) => {
      if (settled === 0 && s.matches('stepDone')) return;
      if (settled === 0 && s.context.outputs.read) {
        settled = performance.now();
        t0 = s.context.outputs.read.t0 as number;
      }
    });
    actor.start();
    await toPromise(actor);
    if (i >= 200) samples.push(settled - t0); // the first 200 warm up the JIT and the sockets
  }
  await bus.close();
  await lab.stop();
  await broker.close();
  samples.sort((a, b) => a - b);
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    samples: samples.length,
  };
}

async function closedLoop(): Promise<{ experiments: number; seconds: number; perSecond: number }> {
  // The lattice campaign: printers and testers use no consumables, so thousands of experiments run dry.
  const { campaign, source } = exampleCampaign('lattice-toughness', {
    lab: 'bench-loop',
    budget: { experiments },
    planner: { strategy: 'sobol', batch: 8 },
    simulators: [
      { kind: 'printer-3d', count: 4, durationScale: 0 },
      { kind: 'mechanical-tester', count: 4, durationScale: 0 },
    ],
  });
  let startedAt = 0;
  let endedAt = 0;
  const summary = await runCampaign(campaign, source, {
    port: 0,
    runsDir: mkdtempSync(join(tmpdir(), 'labloop-bench-')),
    timeScale: 1,
    onProgress: (p) => {
      if (startedAt === 0 && p.state === 'planning') startedAt = performance.now();
      if (p.succeeded + p.failed + p.rejected === experiments && endedAt === 0) endedAt = performance.now();
    },
  });
  const seconds = (endedAt - startedAt) / 1000;
  if (summary.succeeded !== experiments)
    throw new Error(
      `closed loop: ${summary.succeeded} of ${experiments} succeeded (${JSON.stringify(summary)})`,
    );
  return { experiments: summary.experiments, seconds, perSecond: summary.experiments / seconds };
}

const rt = await roundTrip();
const loop = await closedLoop();
const rows = [
  ['command round trip p50', `${rt.p50.toFixed(3)} ms`, '≤ 2 ms', rt.p50 <= 2],
  ['command round trip p99', `${rt.p99.toFixed(3)} ms`, '≤ 10 ms', rt.p99 <= 10],
  ['command round trip mean', `${rt.mean.toFixed(3)} ms`, '', true],
  ['closed loop', `${loop.perSecond.toFixed(0)} experiments/s`, '≥ 200 /s', loop.perSecond >= 200],
] as const;
console.log(
  `\nlabloop bench:loop — ${rt.samples} commands, ${loop.experiments} experiments (${loop.seconds.toFixed(2)} s), node ${process.version}\n`,
);
console.log(`${'metric'.padEnd(26)}${'measured'.padEnd(24)}${'target'.padEnd(10)}met`);
for (const [name, measured, target, met] of rows)
  console.log(
    `${name.padEnd(26)}${measured.padEnd(24)}${target.padEnd(10)}${target ? (met ? 'yes' : 'NO') : ''}`,
  );
mkdirSync('bench-results', { recursive: true });
writeFileSync(
  'bench-results/loop.json',
  `${JSON.stringify({ at: new Date().toISOString(), node: process.version, roundTripMs: rt, closedLoop: loop }, null, 2)}\n`,
);
console.log('\nwrote bench-results/loop.json');
