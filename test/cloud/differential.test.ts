import { describe, expect, it } from 'vitest';
import type { ExperimentProposal, ProtocolStep } from '../../contracts/index.ts';
import {
  type AslDefinition,
  campaignCompileOptions,
  campaignTwins,
  compileMachine,
  experimentCompileOptions,
  experimentTwins,
  RESOURCE_PLACEHOLDERS,
} from '../../workflows/asl/index.ts';
import { campaignMachine, evaluate, experimentMachine, faultOf } from '../../workflows/index.ts';
import { type Differential, runDifferential, type Script } from './differential-harness.ts';

/** The placeholder of the scripted experiment task. */
const SCRIPTED_EXPERIMENT = `\${ScriptedExperiment}`;
const campaignAsl = compileMachine(campaignMachine, campaignCompileOptions());
const experimentAsl = compileMachine(experimentMachine, experimentCompileOptions());

/** Stands in for the experiment state machine in campaign scenarios: one scripted task per experiment. */
const scriptedExperiment: AslDefinition = {
  QueryLanguage: 'JSONata',
  StartAt: 'experiment',
  States: {
    experiment: {
      Type: 'Task',
      Resource: SCRIPTED_EXPERIMENT,
      Arguments: '{% $states.input %}',
      End: true,
    },
  },
};

function expectEquivalent(run: Differential): void {
  expect(run.asl.status).toBe('SUCCEEDED');
  expect(run.asl.steps.map((s) => s.state)).toEqual(run.xstate.steps.map((s) => s.state));
  run.xstate.steps.forEach((step, i) => {
    const twin = run.asl.steps[i];
    if (step.context && twin?.context)
      expect({ state: twin.state, ...twin.context }).toEqual({ state: step.state, ...step.context });
  });
  expect(run.asl.output).toEqual(run.xstate.output);
  // A Map actor's input is the Map's items; the children's inputs are checked by the campaign scenarios.
  const { runBatch: _, ...xInputs } = run.xstate.inputs;
  expect(run.asl.inputs).toEqual(xInputs);
  for (const check of run.guardChecks)
    expect({ guard: check.guard, value: check.twin }).toEqual({ guard: check.guard, value: check.expected });
}

const proposal = (index: number, batch: number): ExperimentProposal => ({
  experimentId: `c-e${String(index).padStart(4, '0')}`,
  campaignId: 'c',
  index,
  batch,
  parameters: { x: index / 10 },
  strategy: 'sobol',
  proposedAt: 0,
});
const batch = (first: number, count: number, b: number) =>
  Array.from({ length: count }, (_, k) => proposal(first + k, b));
const progress = (proposed: number, failed: number, best?: number) => ({
  proposed,
  succeeded: proposed - failed,
  failed,
  rejected: 0,
  ...(best === undefined ? {} : { best: { experimentId: 'c-e0001', parameters: { x: 0.1 }, value: best } }),
});

function campaignScript(
  batches: number,
  extra: Partial<Script> = {},
  progressOf = (b: number) => progress(4 * (b + 1), 0, 0.1 * b),
): Script {
  return {
    actors: {
      planBatch: Array.from({ length: batches }, (_, b) => ({ output: batch(4 * b, 4, b) })),
      gateBatch: Array.from({ length: batches }, (_, b) => ({
        output: { approved: batch(4 * b, 4, b), rejections: [] },
      })),
      runBatch: Array.from({ length: batches }, () => ({ output: [] })),
      recordBatch: Array.from({ length: batches }, (_, b) => ({ output: progressOf(b) })),
    },
    ...extra,
  };
}

async function campaign(script: Script, input: Record<string, unknown> = {}) {
  return runDifferential({
    machine: campaignMachine,
    compiled: campaignAsl,
    twins: campaignTwins,
    input: {
      campaignId: 'c',
      budget: { experiments: 8 },
      batchSize: 4,
      objective: { name: 'y', goal: 'maximise' },
      ...input,
    },
    script,
    children: {
      stateMachines: { [RESOURCE_PLACEHOLDERS.experimentStateMachine]: scriptedExperiment },
      resources: {
        [SCRIPTED_EXPERIMENT]: async () => ({
          status: 'succeeded',
          values: { y: 1 },
          steps: {},
          devices: [],
        }),
      },
    },
  });
}

describe('campaign machine: XState and its ASL agree', () => {
  it('runs batches until the budget is spent', async () => {
    const run = await campaign(campaignScript(2));
    expectEquivalent(run);
    expect(run.xstate.output).toMatchObject({ reason: 'budget', proposed: 8 });
    expect(run.asl.steps.map((s) => s.state)).toEqual([
      'deciding',
      'planning',
      'gating',
      'running',
      'recording',
      'deciding',
      'planning',
      'gating',
      'running',
      'recording',
      'deciding',
      'completed',
    ]);
  });

  it('stops when the target is reached', async () => {
    const run = await campaign(
      campaignScript(2, {}, (b) => progress(4 * (b + 1), 0, 0.9)),
      {
        objective: { name: 'y', goal: 'maximise', target: 0.5 },
      },
    );
    expectEquivalent(run);
    expect(run.asl.output).toMatchObject({ reason: 'target', proposed: 4 });
  });

  it('stops at the failure limit', async () => {
    const run = await campaign(
      campaignScript(2, {}, (b) => progress(4 * (b + 1), 3 * (b + 1))),
      {
        budget: { experiments: 40, failures: 3 },
      },
    );
    expectEquivalent(run);
    expect(run.asl.output).toMatchObject({ reason: 'failures', failed: 3 });
  });

  it('pauses at the next safe point and resumes', async () => {
    const run = await campaign(
      campaignScript(2, { during: { 'running:1': ['PAUSE'] }, whenWaiting: ['RESUME'] }),
    );
    expectEquivalent(run);
    expect(run.asl.steps.map((s) => s.state)).toContain('paused');
    expect(run.asl.output).toMatchObject({ reason: 'budget', proposed: 8 });
  });

  it('pauses now mid-batch and runs the same batch again on resume, as new experiment executions', async () => {
    // The batch is planned and gated again from the store (the same proposals), and the Map starts its
    // experiments a second time: Step Functions refuses a closed execution's name, so the names must differ.
    const again = campaignScript(2, { during: { 'running:1': ['PAUSE_NOW'] }, whenWaiting: ['RESUME'] });
    for (const actor of ['planBatch', 'gateBatch', 'runBatch']) {
      const outcomes = again.actors[actor] ?? [];
      again.actors[actor] = outcomes.slice(0, 1).concat(outcomes);
    }
    const run = await campaign(again);
    expectEquivalent(run);
    expect(run.asl.steps.map((s) => s.state).slice(0, 8)).toEqual([
      'deciding',
      'planning',
      'gating',
      'running',
      'paused',
      'deciding',
      'planning',
      'gating',
    ]);
    expect(run.asl.output).toMatchObject({ reason: 'budget', proposed: 8 });
  });

  it('stops from a pause', async () => {
    const run = await campaign(
      campaignScript(2, { during: { 'gating:1': ['PAUSE'] }, whenWaiting: ['STOP'] }),
    );
    expectEquivalent(run);
    expect(run.asl.output).toMatchObject({ reason: 'stopped', proposed: 4 });
  });

  it('aborts', async () => {
    const run = await campaign(campaignScript(2, { during: { 'recording:1': ['ABORT'] } }));
    expectEquivalent(run);
    expect(run.asl.output).toMatchObject({ reason: 'aborted', proposed: 0 });
  });

  it('ends failed with the error when the planner throws', async () => {
    const script = campaignScript(1);
    script.actors.planBatch = [{ error: { name: 'Error', message: 'planner exploded' } }];
    const run = await campaign(script);
    expectEquivalent(run);
    expect(run.asl.output).toMatchObject({ reason: 'error', error: 'Error: planner exploded' });
  });
});

const step = (name: string, extra: Partial<ProtocolStep> = {}): ProtocolStep => ({
  name,
  device: 'sim',
  command: name,
  input: '{ "x": proposal.x }',
  timeout: 60,
  retry: { attempts: 2, backoff: 5 },
  ...extra,
});

async function experiment(script: Script, steps = [step('mix'), step('read')]) {
  return runDifferential({
    machine: experimentMachine,
    compiled: experimentAsl,
    twins: experimentTwins,
    input: {
      campaignId: 'c',
      experimentId: 'c-e0107',
      index: 107,
      parameters: { x: 3 },
      protocol: {
        steps,
        output:
          '{ "y": steps.read.value * 2, "well": $length(experiment.well), "plate2": experiment.plate = "plate-2" ? 1 : 0 }',
      },
    },
    script: {
      ...script,
      actors: {
        acquireDevice: [{ output: { deviceId: 'sim-1' } }],
        evaluateOutput: ['real'],
        ...script.actors,
      },
    },
    real: {
      evaluateOutput: async (payload) => {
        // As the evaluate-output Lambda does: the fault travels as data in the error.
        const { input } = payload as { input: { expression: string; scope: unknown } };
        const values = await evaluate(input.expression, input.scope, 'protocol.output').catch((error) => {
          const fault = faultOf(error);
          throw Object.assign(new Error(JSON.stringify(fault)), { name: fault.code });
        });
        return values;
      },
    },
  });
}

const read = { output: { output: { value: 0.25 }, firmware: '1.2' } };
const mixed = { output: { output: { ok: true }, firmware: '2.0' } };

describe('experiment machine: XState and its ASL agree', () => {
  it('runs every step and measures', async () => {
    const run = await experiment({ actors: { deviceStep: [mixed, read] } });
    expectEquivalent(run);
    expect(run.asl.output).toMatchObject({ status: 'succeeded', values: { y: 0.5, well: 3, plate2: 1 } });
  });

  it('retries a retryable device fault as a new command after the backoff', async () => {
    const busy = { fault: { code: 'DeviceBusy', message: 'busy', retryable: true } };
    const run = await experiment({ actors: { deviceStep: [busy, mixed, read] } });
    expectEquivalent(run);
    expect(run.asl.steps.map((s) => s.state)).toContain('backoff');
    expect(run.asl.inputs.deviceStep?.map((i) => (i as { commandId: string }).commandId)).toEqual([
      'c-e0107/mix/1',
      'c-e0107/mix/2',
      'c-e0107/read/1',
    ]);
  });

  it('fails on a fault that is not retryable', async () => {
    const run = await experiment({
      actors: { deviceStep: [{ fault: { code: 'OutsideEnvelope', message: 'too hot', retryable: false } }] },
    });
    expectEquivalent(run);
    expect(run.asl.output).toMatchObject({
      status: 'failed',
      step: 'mix',
      error: { code: 'OutsideEnvelope' },
    });
  });

  it('re-sends the same command after a step timeout, then fails with StepTimeout', async () => {
    const run = await experiment({ actors: { deviceStep: ['never'] } });
    expectEquivalent(run);
    expect(run.asl.output).toMatchObject({
      status: 'failed',
      error: { code: 'StepTimeout', message: 'no result from sim-1 within 60 s (2 tries)' },
    });
    expect(run.asl.inputs.deviceStep?.map((i) => (i as { commandId: string }).commandId)).toEqual([
      'c-e0107/mix/1',
      'c-e0107/mix/1',
    ]);
  });

  it('recovers when the re-sent command answers', async () => {
    const run = await experiment({ actors: { deviceStep: ['never', mixed, read] } });
    expectEquivalent(run);
    expect(run.asl.output).toMatchObject({ status: 'succeeded' });
  });

  it('fails when no device can be acquired', async () => {
    const run = await experiment({
      actors: {
        acquireDevice: [{ fault: { code: 'NoDeviceAvailable', message: 'no sim online', retryable: false } }],
      },
    });
    expectEquivalent(run);
    expect(run.asl.output).toMatchObject({ status: 'failed', error: { code: 'NoDeviceAvailable' } });
  });

  it('fails at the output when the protocol output is not a number', async () => {
    const run = await experiment({
      actors: { deviceStep: [mixed, { output: { output: { value: 'n/a' }, firmware: '1' } }] },
    });
    expectEquivalent(run);
    expect(run.asl.output).toMatchObject({ status: 'failed', step: 'output' });
  });
});
