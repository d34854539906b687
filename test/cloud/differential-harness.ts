import { type AnyStateMachine, createActor, fromPromise, toPromise } from 'xstate';
import { type Clock, createRng, type Fault, ScaledClock } from '../../contracts/index.ts';
import {
  type CompiledMachine,
  evaluateTwin,
  localEventBinding,
  type MachineTwins,
} from '../../workflows/asl/index.ts';
import { StepFaultError } from '../../workflows/index.ts';
import { AslExecutor, type TaskHandler } from './asl-executor.ts';

/** What one scripted actor call does: resolve, reject with a fault or an error, or never answer. */
export type Outcome =
  | { output: unknown }
  | { fault: Fault }
  | { error: { name: string; message: string } }
  | 'never'
  | 'real';

/** The same script for both runtimes. */
export interface Script {
  /** Actor name → outcomes of its calls, in order (the last repeats). */
  actors: Record<string, Outcome[]>;
  /** `<state>:<n>` (n-th invocation in that state, from 1) → operator events sent while the actor runs. */
  during?: Record<string, string[]>;
  /** Operator events answered, in order, each time the machine waits for one. */
  whenWaiting?: string[];
}

/** One state as the machine entered it, with the context it had. */
export interface Step {
  state: string;
  /** Absent for a transient initial state, whose entry XState does not report. */
  context?: Record<string, unknown>;
}

/** Both runs of a scenario, ready to compare. */
export interface Differential {
  xstate: { steps: Step[]; output: unknown; inputs: Record<string, unknown[]> };
  asl: {
    steps: Step[];
    output: unknown;
    status: string;
    inputs: Record<string, unknown[]>;
    transitions: number;
  };
  guardChecks: Array<{ guard: string; expected: boolean; twin: unknown }>;
}

/** JSON with `undefined` and `null` both dropped: XState's `undefined` context values are `null` in ASL. */
export function canon(value: unknown): unknown {
  if (value === undefined) return undefined;
  return JSON.parse(JSON.stringify(value, (_, v) => (v === null ? undefined : v)));
}

function record(into: Record<string, unknown[]>, actor: string, input: unknown): void {
  into[actor] = [...(into[actor] ?? []), canon(input)];
}

function collapse(steps: Step[]): Step[] {
  return steps.filter((s, i) => i === 0 || steps[i - 1]?.state !== s.state);
}

function cursor(script: Script) {
  const calls = new Map<string, number>();
  return {
    next(actor: string): Outcome {
      const n = (calls.get(actor) ?? 0) + 1;
      calls.set(actor, n);
      const list = script.actors[actor] ?? ['real'];
      return list[Math.min(n, list.length) - 1] ?? 'real';
    },
  };
}

function thrown(outcome: Outcome, cloud: boolean): Error | undefined {
  if (typeof outcome !== 'object') return undefined;
  if ('fault' in outcome)
    return cloud
      ? Object.assign(new Error(JSON.stringify(outcome.fault)), { name: outcome.fault.code })
      : new StepFaultError(outcome.fault);
  if ('error' in outcome)
    return Object.assign(new Error(outcome.error.message), { name: outcome.error.name });
  return undefined;
}

/**
 * Runs `machine` with XState and its compiled ASL with the local executor, feeding both the same scripted
 * actor outcomes and operator events, and records states entered, contexts, actor inputs, outputs and every
 * guard decision (with its JSONata twin's answer).
 */
export async function runDifferential(options: {
  machine: AnyStateMachine;
  compiled: CompiledMachine;
  twins: MachineTwins;
  input: Record<string, unknown>;
  script: Script;
  /** Local implementations for `real` outcomes, by actor name, for the ASL side. */
  real?: Record<string, TaskHandler>;
  /** Child machine definitions for Map actors, by ARN, and the ARN's scripted handler resources. */
  children?: {
    stateMachines: Record<string, import('../../workflows/asl/index.ts').AslDefinition>;
    resources: Record<string, TaskHandler>;
  };
  clock?: Clock;
}): Promise<Differential> {
  const clock = options.clock ?? new ScaledClock(1e5);
  const guardChecks: Differential['guardChecks'] = [];
  const guardCalls: Array<{ guard: string; variables: Record<string, unknown>; expected: boolean }> = [];

  // XState.
  const xs = cursor(options.script);
  const xInputs: Record<string, unknown[]> = {};
  const stateCalls = new Map<string, number>();
  let actorRef: { send(event: { type: string }): void } | undefined;
  const actors: Record<string, unknown> = {};
  const original = options.machine.implementations.actors as Record<string, unknown>;
  for (const name of Object.keys(options.script.actors)) {
    actors[name] = fromPromise(async ({ input }: { input: unknown }) => {
      record(xInputs, name, input);
      const outcome = xs.next(name);
      await Promise.resolve();
      const state = String(
        (actorRef as unknown as { getSnapshot(): { value: unknown } }).getSnapshot().value,
      );
      const n = (stateCalls.get(state) ?? 0) + 1;
      stateCalls.set(state, n);
      for (const type of options.script.during?.[`${state}:${n}`] ?? []) actorRef?.send({ type });
      if (outcome === 'never') return new Promise(() => {});
      if (outcome === 'real')
        return toPromise(createActor(original[name] as never, { input } as never).start() as never);
      const error = thrown(outcome, false);
      if (error) throw error;
      return (outcome as { output: unknown }).output;
    });
  }
  const guards: Record<string, unknown> = {};
  const implementations = options.machine.implementations.guards as Record<
    string,
    (a: unknown, p: unknown) => boolean
  >;
  for (const [name, guard] of Object.entries(implementations)) {
    guards[name] = (args: { context: Record<string, unknown>; event: { type: string } }, params: unknown) => {
      const expected = guard(args, params);
      guardCalls.push({
        guard: name,
        variables: { ...structuredClone(args.context), event: localEventBinding(args.event) },
        expected,
      });
      return expected;
    };
  }
  const machine = options.machine.provide({ actors, guards } as never);
  const xSteps: Step[] = [];
  const waiting = [...(options.script.whenWaiting ?? [])];
  const actor = createActor(machine, {
    input: options.input,
    clock,
    inspect: (event) => {
      if (event.type !== '@xstate.microstep') return;
      const snapshot = (
        event as unknown as { snapshot: { value: unknown; context: Record<string, unknown> } }
      ).snapshot;
      for (const t of (
        event as unknown as { _transitions: Array<{ source: { path: string[]; type: string } }> }
      )._transitions)
        if (t.source.type === 'atomic' && xSteps.length === 0)
          xSteps.push({ state: t.source.path.join('.') });
      xSteps.push({
        state: String(snapshot.value),
        context: canon(snapshot.context) as Record<string, unknown>,
      });
    },
  });
  actorRef = actor as never;
  actor.subscribe((snapshot) => {
    const state = String(snapshot.value);
    const node = (
      options.machine.root as unknown as {
        states: Record<string, { invoke: unknown[]; always?: unknown[]; after: unknown[]; type: string }>;
      }
    ).states[state];
    if (
      snapshot.status === 'active' &&
      node &&
      node.invoke.length === 0 &&
      !node.always &&
      node.after.length === 0 &&
      node.type !== 'final'
    ) {
      const type = waiting.shift();
      if (type) queueMicrotask(() => actor.send({ type } as never));
    }
  });
  actor.start();
  const xOutput = canon(await toPromise(actor));
  for (const call of guardCalls) {
    const twin = await evaluateTwin(options.twins.guards[call.guard] as string, call.variables, createRng(1));
    guardChecks.push({ guard: call.guard, expected: call.expected, twin });
  }

  // ASL.
  const as = cursor(options.script);
  const aInputs: Record<string, unknown[]> = {};
  const aslStateCalls = new Map<string, number>();
  const aslWaiting = [...(options.script.whenWaiting ?? [])];
  let executor: AslExecutor | undefined;
  const handle =
    (callback: boolean): TaskHandler =>
    async (payload, ctx) => {
      const p = payload as { actor: string; state: string; input: unknown; taskToken?: string };
      if (p.actor === 'operatorInbox') {
        // One inbox call follows each task of the state, so the n-th call follows the n-th invocation.
        const n = (aslStateCalls.get(`inbox:${p.state}`) ?? 0) + 1;
        aslStateCalls.set(`inbox:${p.state}`, n);
        return { events: (options.script.during?.[`${p.state}:${n}`] ?? []).map((type) => ({ type })) };
      }
      if (p.actor === 'awaitOperator') {
        const type = aslWaiting.shift();
        if (type) queueMicrotask(() => executor?.sendTaskSuccess(p.taskToken as string, { type }));
        return {};
      }
      record(aInputs, p.actor, p.input);
      const outcome = as.next(p.actor);
      if (outcome === 'real') {
        const real = options.real?.[p.actor];
        if (!real) throw new Error(`no real implementation of ${p.actor}`);
        return real(payload, ctx);
      }
      if (!callback) {
        if (outcome === 'never') return new Promise(() => {});
        const error = thrown(outcome, true);
        if (error) throw error;
        return (outcome as { output: unknown }).output;
      }
      const token = p.taskToken as string;
      queueMicrotask(() => {
        if (outcome === 'never') return;
        if (typeof outcome === 'object' && 'fault' in outcome)
          executor?.sendTaskFailure(token, outcome.fault.code, JSON.stringify(outcome.fault));
        else if (typeof outcome === 'object' && 'error' in outcome)
          executor?.sendTaskFailure(
            token,
            outcome.error.name,
            JSON.stringify({ errorType: outcome.error.name, errorMessage: outcome.error.message }),
          );
        else executor?.sendTaskSuccess(token, (outcome as { output: unknown }).output);
      });
      return {};
    };
  const resources: Record<string, TaskHandler> = { ...(options.children?.resources ?? {}) };
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const state of Object.values(states)) {
      if (typeof state.Resource === 'string' && state.Resource.startsWith('${'))
        resources[state.Resource] ??= handle(false);
      const fn = (state.Arguments as { FunctionName?: string } | undefined)?.FunctionName;
      if (typeof fn === 'string') resources[fn] ??= handle(true);
    }
  };
  walk(options.compiled.definition.States as never);
  executor = new AslExecutor({
    clock,
    rng: createRng(7),
    resources,
    stateMachines: options.children?.stateMachines ?? {},
  });
  const run = await executor.start(options.compiled.definition, options.input, 'differential');
  const keys = new Set(Object.keys(xSteps.at(-1)?.context ?? {}));
  const aSteps: Step[] = [];
  for (const visit of run.visits) {
    const origin = options.compiled.origins[visit.state];
    if (!origin || origin.state === '(start)') continue;
    if (origin.role === 'helper' && aSteps.at(-1)?.state === origin.state) continue;
    if (origin.role === 'helper') continue;
    const context = Object.fromEntries(Object.entries(visit.variables).filter(([k]) => keys.has(k)));
    aSteps.push({ state: origin.state, context: canon(context) as Record<string, unknown> });
  }
  return {
    xstate: { steps: collapse(xSteps), output: xOutput, inputs: xInputs },
    asl: {
      steps: collapse(aSteps),
      output: canon(run.output),
      status: run.status,
      inputs: aInputs,
      transitions: run.transitions,
    },
    guardChecks,
  };
}
