import { getAdjacencyMap, getShortestPaths, getStateNodes } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine, EventObject } from 'xstate';
import { campaignMachine } from './campaign.machine.ts';
import { experimentMachine } from './experiment.machine.ts';
import { StepFaultError } from './protocol.ts';

/**
 * Model-based tests: @xstate/graph walks each machine's state space with every event it can receive — the
 * named actors' done and error events with the outputs that matter to the guards, the step timers, and the
 * operator events — and the tests check that every state is reachable and every transition the machine
 * defines is taken on some path.
 */

type Step = { state: string; event: string };

function explore(
  machine: AnyStateMachine,
  input: unknown,
  events: (value: string) => EventObject[],
  key: (s: { value: unknown; context: Record<string, unknown> }) => string,
) {
  const options = {
    input,
    events: (snapshot: { value: unknown }) => events(String(snapshot.value)),
    serializeState: (snapshot: unknown) => key(snapshot as never),
    limit: 5_000,
  };
  // The adjacency map holds every state the events reach and every edge between them.
  const adjacency = getAdjacencyMap(machine, options);
  const reached = new Set<string>();
  const taken = new Set<string>();
  for (const { state, transitions } of Object.values(adjacency)) {
    reached.add(String(state.value));
    for (const edge of Object.values(transitions) as Array<{ event: EventObject }>)
      taken.add(`${String(state.value)} ${edge.event.type}`);
  }
  return { paths: getShortestPaths(machine, options), reached, taken };
}

/** The states a snapshot can rest in: all but the root and the ones that only choose where to go next. */
function restingStates(machine: AnyStateMachine): string[] {
  return getStateNodes(machine.root)
    .filter((n) => n !== machine.root && !(n.always?.length && n.transitions.size === 0))
    .map((n) => n.key);
}

/** Every (state, event) pair for which the machine defines a transition, eventless ones as `always`. */
function definedTransitions(machine: AnyStateMachine): Step[] {
  const steps: Step[] = [];
  for (const node of getStateNodes(machine.root)) {
    if (node === machine.root) continue;
    for (const type of node.transitions.keys()) steps.push({ state: node.key, event: type });
    if (node.always?.length) steps.push({ state: node.key, event: 'always' });
  }
  return steps;
}

const done = (id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output }) as EventObject;
const error = (id: string, e: unknown) => ({ type: `xstate.error.actor.${id}`, error: e }) as EventObject;

describe('campaign machine, model-based', () => {
  const proposal = {
    experimentId: 'c-e0000',
    campaignId: 'c',
    index: 0,
    batch: 0,
    parameters: { x: 1 },
    strategy: 't',
    proposedAt: 0,
  };
  const progress = (over: Record<string, unknown>) => ({
    proposed: 1,
    succeeded: 1,
    failed: 0,
    rejected: 0,
    best: undefined,
    ...over,
  });
  const operator = ['PAUSE', 'PAUSE_NOW', 'RESUME', 'STOP', 'ABORT'].map((type) => ({ type }));
  const events = (state: string): EventObject[] => {
    const byState: Record<string, EventObject[]> = {
      planning: [done('planBatch', [proposal]), error('planBatch', new Error('planner down'))],
      gating: [
        done('gateBatch', { approved: [proposal], rejections: [] }),
        error('gateBatch', new Error('gate down')),
      ],
      running: [done('runBatch', []), error('runBatch', new Error('lab down'))],
      recording: [
        done('recordBatch', progress({})),
        done('recordBatch', progress({ proposed: 3 })),
        done('recordBatch', progress({ best: { experimentId: 'c-e0000', parameters: {}, value: 9 } })),
        done('recordBatch', progress({ failed: 2 })),
        error('recordBatch', new Error('store full')),
      ],
    };
    return [...(byState[state] ?? []), ...operator];
  };
  const input = {
    campaignId: 'c',
    budget: { experiments: 3, failures: 2 },
    batchSize: 1,
    objective: { name: 'y', goal: 'maximise', target: 5 },
  };
  const { paths, reached, taken } = explore(campaignMachine, input, events, (s) =>
    JSON.stringify([
      s.value,
      s.context.proposed,
      s.context.failed,
      s.context.best !== undefined,
      s.context.pauseRequested,
      s.context.stopRequested,
    ]),
  );

  it('reaches every state', () => {
    // `deciding` only chooses where to go (eventless transitions): no snapshot ever rests in it.
    const states = restingStates(campaignMachine);
    expect([...states].sort()).toEqual([...reached].filter((s) => states.includes(s)).sort());
  });

  it('takes every transition the machine defines', () => {
    const missing = definedTransitions(campaignMachine).filter(
      (t) => t.event !== 'always' && ![...taken].some((k) => k === `${t.state} ${t.event}`),
    );
    // Root-level operator transitions are defined on the machine itself and taken from every state.
    expect(missing).toEqual([]);
    console.log(
      `model: campaign machine, ${definedTransitions(campaignMachine).length} defined transitions (eventless included), ${reached.size} states reached`,
    );
    for (const event of ['PAUSE', 'PAUSE_NOW', 'RESUME', 'STOP', 'ABORT'])
      expect([...taken].some((k) => k.endsWith(` ${event}`))).toBe(true);
  });

  it('ends in each final state for the right reason', () => {
    for (const end of ['completed', 'aborted', 'failed']) expect(reached.has(end)).toBe(true);
  });

  it('refuses operator events that make no sense where they are sent', () => {
    const paused = paths.find((p) => p.state.matches('paused'))?.state;
    expect(paused?.can({ type: 'RESUME' })).toBe(true);
    expect(paused?.can({ type: 'PAUSE' })).toBe(false);
    expect(paused?.can({ type: 'PAUSE_NOW' })).toBe(false);
    const running = paths.find((p) => p.state.matches('running'))?.state;
    expect(running?.can({ type: 'RESUME' })).toBe(false);
    expect(running?.can({ type: 'PAUSE_NOW' })).toBe(true);
  });
});

describe('experiment machine, model-based', () => {
  const step = (name: string) => ({
    name,
    device: 'd',
    command: name,
    input: '{}',
    timeout: 60,
    retry: { attempts: 2, backoff: 1 },
  });
  const input = {
    campaignId: 'c',
    experimentId: 'c-e0000',
    index: 0,
    parameters: {},
    protocol: { steps: [step('mix'), step('read')], output: '{ "y": 1 }' },
  };
  const retryable = new StepFaultError({ code: 'Clog', message: 'clogged', retryable: true });
  const fatal = new StepFaultError({ code: 'OutsideEnvelope', message: 'no', retryable: false });
  const interrupted = (retryable: boolean) =>
    new StepFaultError({ code: 'Interrupted', message: 'pause now', retryable });
  const events = (state: string): EventObject[] =>
    ({
      acquiring: [done('acquireDevice', { deviceId: 'd-1' }), error('acquireDevice', fatal)],
      running: [
        done('deviceStep', { output: { v: 1 }, firmware: '1' }),
        error('deviceStep', retryable),
        error('deviceStep', fatal),
        error('deviceStep', interrupted(true)),
        error('deviceStep', interrupted(false)),
        { type: 'xstate.after.stepTimeout.experiment.running' },
      ],
      backoff: [{ type: 'xstate.after.retryBackoff.experiment.backoff' }],
      measuring: [done('evaluateOutput', { y: 1 }), error('evaluateOutput', fatal)],
    })[state] ?? [];
  const { reached, taken } = explore(experimentMachine, input, events, (s) =>
    // Interruptions can restart a step forever: attempts past 3 count as the same state.
    JSON.stringify([s.value, s.context.stepIndex, s.context.tries, Math.min(Number(s.context.attempt), 3)]),
  );

  it('reaches every state', () => {
    for (const state of restingStates(experimentMachine)) expect(reached, state).toContain(state);
  });

  it('takes every transition the machine defines', () => {
    const missing = definedTransitions(experimentMachine).filter(
      (t) => t.event !== 'always' && ![...taken].some((k) => k === `${t.state} ${t.event}`),
    );
    expect(missing).toEqual([]);
    console.log(
      `model: experiment machine, ${definedTransitions(experimentMachine).length} defined transitions (eventless included), ${reached.size} states reached`,
    );
  });
});
