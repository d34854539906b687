import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { assign, fromPromise, setup } from 'xstate';
import { campaignMachine, experimentMachine } from '../index.ts';
import {
  AslCompileError,
  type AslDefinition,
  campaignCompileOptions,
  compileMachine,
  experimentCompileOptions,
  type MachineTwins,
} from './index.ts';

/** asl-validator mutates its input, so it gets a copy. */
function validate(definition: AslDefinition) {
  const result = validator(structuredClone(definition) as never);
  return result.isValid ? [] : result.errorsText('\n').split('\n');
}

const twins = (extra: Partial<MachineTwins> = {}): MachineTwins => ({
  context: { n: '0' },
  guards: {},
  delays: {},
  inputs: {},
  assigns: {},
  output: '{ "n": $n }',
  ...extra,
});
const WORK = `\${Work}`;
const task = { kind: 'task', functionArn: WORK } as const;

describe('compileMachine', () => {
  it('compiles every shipped machine into ASL that asl-validator accepts', () => {
    const campaign = compileMachine(campaignMachine, campaignCompileOptions());
    const experiment = compileMachine(experimentMachine, experimentCompileOptions());
    expect(validate(campaign.definition)).toEqual([]);
    expect(validate(experiment.definition)).toEqual([]);
    expect(campaign.definition.QueryLanguage).toBe('JSONata');
  });

  it('makes a device step a .waitForTaskToken task with a heartbeat below its timeout', () => {
    const { definition } = compileMachine(experimentMachine, experimentCompileOptions());
    const running = definition.States.running as Record<string, unknown>;
    expect(running.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(running.HeartbeatSeconds).toMatch(/\$h < \$t \? \$h : \$t - 1/);
    expect(running.Catch).toEqual([
      { ErrorEquals: ['States.Timeout', 'States.HeartbeatTimeout'], Next: 'running:after' },
      { ErrorEquals: ['States.ALL'], Next: 'running:error' },
    ]);
    expect(definition.States.backoff?.Type).toBe('Wait');
    expect(definition.States.stepDone?.Type).toBe('Choice');
  });

  it('makes a paused campaign a callback wait and a batch a Map of experiment executions', () => {
    const { definition } = compileMachine(campaignMachine, campaignCompileOptions());
    expect(definition.States.paused?.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(definition.States.running?.Type).toBe('Map');
    expect(JSON.stringify(definition.States.running)).toContain('states:startExecution.sync:2');
  });

  it('names the state and the construct it cannot compile', () => {
    const inlineGuard = setup({ actors: { work: fromPromise(async () => 1) } }).createMachine({
      id: 'm',
      context: { n: 0 },
      initial: 'a',
      states: {
        a: { always: [{ guard: ({ context }) => context.n > 1, target: 'b' }, { target: 'b' }] },
        b: { type: 'final' },
      },
    });
    expect(() => compileMachine(inlineGuard, { twins: twins(), actors: {} })).toThrow(
      /state "a": inline guard function/,
    );

    const parallel = setup({}).createMachine({
      id: 'p',
      initial: 'x',
      states: { x: { type: 'parallel', states: { l: {}, r: {} } } },
    });
    expect(() => compileMachine(parallel, { twins: twins(), actors: {} })).toThrow(AslCompileError);

    const unbound = setup({ actors: { work: fromPromise(async () => 1) } }).createMachine({
      id: 'u',
      context: { n: 0 },
      initial: 'a',
      states: { a: { invoke: { src: 'work', onDone: 'b' } }, b: { type: 'final' } },
    });
    expect(() => compileMachine(unbound, { twins: twins(), actors: {} })).toThrow(
      /state "a": actor "work": no cloud binding/,
    );

    const untwinned = setup({ actors: { work: fromPromise(async () => 1) } }).createMachine({
      id: 'v',
      context: { n: 0 },
      initial: 'a',
      states: {
        a: {
          invoke: {
            src: 'work',
            onDone: { target: 'b', actions: assign({ n: ({ event }) => event.output }) },
          },
        },
        b: { type: 'final' },
      },
    });
    expect(() => compileMachine(untwinned, { twins: twins(), actors: { work: task } })).toThrow(
      /state "a": assign to n at a\.onDone: no JSONata twin/,
    );
    const ok = compileMachine(untwinned, {
      twins: twins({ assigns: { 'a.onDone': { n: '$event.output' } } }),
      actors: { work: task },
    });
    expect(validate(ok.definition)).toEqual([]);
  });

  it('refuses to merge assigns that depend on each other in one step', () => {
    const m = setup({}).createMachine({
      id: 'd',
      context: { n: 0, m: 0 },
      initial: 'a',
      states: {
        a: {
          always: { target: 'b', actions: [assign({ n: 1 }), assign({ m: ({ context }) => context.n + 1 })] },
        },
        b: { type: 'final' },
      },
    });
    expect(() =>
      compileMachine(m, { twins: twins({ assigns: { 'a.always': { m: '$n + 1' } } }), actors: {} }),
    ).toThrow(/reads n, which an earlier action of the same step assigns/);
  });
});
