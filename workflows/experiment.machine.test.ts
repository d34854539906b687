import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, toPromise } from 'xstate';
import { type ProtocolStep, ScaledClock } from '../contracts/index.ts';
import {
  type DeviceStepInput,
  type DeviceStepOutput,
  type ExperimentInput,
  experimentMachine,
} from './experiment.machine.ts';
import { labwareFor, StepFaultError } from './protocol.ts';

const step = (name: string, extra: Partial<ProtocolStep> = {}): ProtocolStep => ({
  name,
  device: 'sim',
  command: name,
  input: '{ "x": proposal.x }',
  timeout: 60,
  retry: { attempts: 1, backoff: 0 },
  ...extra,
});

const input = (steps: ProtocolStep[], output = '{ "y": steps.read.value * 2 }'): ExperimentInput => ({
  campaignId: 'c1',
  experimentId: 'c1/e0001',
  index: 1,
  parameters: { x: 3 },
  protocol: { steps, output },
});

/** Runs the machine with a scripted deviceStep; returns the result, the commands sent and the devices released. */
async function run(
  experiment: ExperimentInput,
  script: (call: DeviceStepInput, n: number) => Promise<DeviceStepOutput>,
) {
  const calls: DeviceStepInput[] = [];
  const released: string[] = [];
  const machine = experimentMachine.provide({
    actors: {
      acquireDevice: fromPromise(async ({ input: i }) => ({ deviceId: `${i.kind}-1` })),
      deviceStep: fromPromise(async ({ input: i }) => {
        calls.push(i);
        return script(i, calls.length);
      }),
    },
  });
  const actor = createActor(machine, { input: experiment, clock: new ScaledClock(1e6) });
  actor.on('device.released', (e) => released.push(e.deviceId));
  actor.start();
  return { result: await toPromise(actor), calls, released };
}

const ok = (value: number): Promise<DeviceStepOutput> =>
  Promise.resolve({ output: { value }, firmware: '1.0' });

describe('experiment machine', () => {
  it('runs every step in order and evaluates the output expression over their results', async () => {
    const { result, calls, released } = await run(input([step('mix'), step('read')]), (_, n) => ok(n * 10));
    expect(calls.map((c) => c.commandId)).toEqual(['c1/e0001/mix/1', 'c1/e0001/read/1']);
    expect(calls[0]?.scope.proposal).toEqual({ x: 3 });
    expect(calls[1]?.scope.steps).toEqual({ mix: { value: 10 } });
    expect(result).toMatchObject({ status: 'succeeded', values: { y: 40 } });
    expect(result.devices.map((d) => d.commandId)).toEqual(['c1/e0001/mix/1', 'c1/e0001/read/1']);
    expect(released).toEqual(['sim-1', 'sim-1']);
  });

  it('retries a retryable fault with a new command id, then succeeds', async () => {
    const { result, calls } = await run(
      input([step('read', { retry: { attempts: 3, backoff: 5 } })]),
      (_, n) =>
        n === 1
          ? Promise.reject(new StepFaultError({ code: 'NozzleClog', message: 'clogged', retryable: true }))
          : ok(1),
    );
    expect(calls.map((c) => c.commandId)).toEqual(['c1/e0001/read/1', 'c1/e0001/read/2']);
    expect(result.status).toBe('succeeded');
  });

  it('starts an interrupted step again as a new command when that is safe, without counting a try', async () => {
    const interrupted = (retryable: boolean) =>
      Promise.reject(new StepFaultError({ code: 'Interrupted', message: 'pause now', retryable }));
    const { result, calls, released } = await run(input([step('mix'), step('read')]), (_, n) =>
      n === 2 || n === 3 ? interrupted(true) : ok(n),
    );
    expect(calls.map((c) => c.commandId)).toEqual([
      'c1/e0001/mix/1',
      'c1/e0001/read/1',
      'c1/e0001/read/2',
      'c1/e0001/read/3',
    ]);
    expect(result).toMatchObject({ status: 'succeeded', values: { y: 8 } });
    expect(released).toHaveLength(4);

    const spoilt = await run(input([step('mix', { retry: { attempts: 3, backoff: 0 } })]), () =>
      interrupted(false),
    );
    expect(spoilt.calls).toHaveLength(1);
    expect(spoilt.result).toMatchObject({
      status: 'failed',
      step: 'mix',
      error: { code: 'Interrupted', retryable: false },
    });
  });

  it('fails at once on a fault that is not retryable, with the fault as data', async () => {
    const fault = {
      code: 'OutsideEnvelope',
      message: 'volume must be 1–1000 µL, got 1500',
      retryable: false,
    };
    const { result, calls, released } = await run(
      input([step('read', { retry: { attempts: 3, backoff: 0 } })]),
      () => Promise.reject(new StepFaultError(fault)),
    );
    expect(calls).toHaveLength(1);
    expect(result).toEqual({ status: 'failed', step: 'read', error: fault, devices: [] });
    expect(released).toEqual(['sim-1']);
  });

  it('gives up after the last retryable fault', async () => {
    const { result, calls } = await run(input([step('read', { retry: { attempts: 2, backoff: 0 } })]), () =>
      Promise.reject(new StepFaultError({ code: 'NozzleClog', message: 'clogged', retryable: true })),
    );
    expect(calls).toHaveLength(2);
    expect(result).toMatchObject({ status: 'failed', error: { code: 'NozzleClog' } });
  });

  it('times out a silent step and re-sends the same command id, since the device may have acted', async () => {
    const { result, calls } = await run(
      input([step('read', { timeout: 3600, retry: { attempts: 2, backoff: 0 } })]),
      () => new Promise<DeviceStepOutput>(() => {}),
    );
    expect(calls.map((c) => c.commandId)).toEqual(['c1/e0001/read/1', 'c1/e0001/read/1']);
    expect(result).toMatchObject({
      status: 'failed',
      step: 'read',
      error: { code: 'StepTimeout', retryable: false },
    });
  });

  it('fails with InvalidOutput when the output expression does not give numbers', async () => {
    const { result } = await run(input([step('read')], '{ "y": "high" }'), () => ok(1));
    expect(result).toMatchObject({ status: 'failed', step: 'output', error: { code: 'InvalidOutput' } });
  });

  it('an unexpected error from an actor fails the experiment as a DriverError instead of crashing', async () => {
    const { result } = await run(input([step('read')]), () => Promise.reject(new Error('socket hang up')));
    expect(result).toMatchObject({
      status: 'failed',
      error: { code: 'DriverError', message: 'socket hang up' },
    });
  });
});

describe('labwareFor', () => {
  it('fills a 96-well plate row by row, then the next plate', () => {
    expect(labwareFor(0)).toEqual({ plate: 'plate-1', well: 'A1' });
    expect(labwareFor(13)).toEqual({ plate: 'plate-1', well: 'B2' });
    expect(labwareFor(95)).toEqual({ plate: 'plate-1', well: 'H12' });
    expect(labwareFor(96)).toEqual({ plate: 'plate-2', well: 'A1' });
  });
});
