import type { AnyStateMachine } from 'xstate';
import {
  type Assignments,
  type AssignValue,
  type Edge,
  eventHandlers,
  type MachineNode,
  MachineReader,
  type MachineTransition,
  pathOf,
  siteOf,
} from './internal/machine-walk.ts';
import { errorEventExpression } from './jsonata-env.ts';
import type { AslRetrier, AslState, CompiledMachine, CompileOptions, StateOrigin } from './types.ts';

/** Retries the Lambda service's own transient failures, as AWS recommends for every Lambda task. */
export const LAMBDA_SERVICE_RETRIER: AslRetrier = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
  ],
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};

/** Step Functions errors that mean "no answer in time": they take a state's `after` transitions. */
export const TIMEOUT_ERRORS = ['States.Timeout', 'States.HeartbeatTimeout'];

const OUTCOME = 'outcome__';
const EVENTS = 'events__';

/** `$event` as each kind of ASL site builds it. */
const BIND = {
  none: '{}',
  doneDirect: '{ "type": "done", "output": $states.result }',
  doneFromInput: '{ "type": "done", "output": $states.input }',
  doneFromOutcome: `{ "type": "done", "output": $${OUTCOME}.output }`,
  errorDirect: errorEventExpression('$states.errorOutput'),
  errorFromInput: errorEventExpression('$states.input'),
  errorFromOutcome: errorEventExpression(`$${OUTCOME}.error`),
  after: '{ "type": "after" }',
  operator: '$states.input',
} as const;

function expression(expr: string, binding: string): string {
  return /\$event\b/.test(expr) ? `( $event := ${binding}; ${expr} )` : expr;
}

function jsonata(expr: string): string {
  return `{% ${expr.replace(/\s*\n\s*/g, ' ').trim()} %}`;
}

function assignField(assign: Assignments, binding: string): Record<string, unknown> | undefined {
  if (assign.size === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of assign)
    out[key] = 'literal' in value ? value.literal : jsonata(expression(value.expr, binding));
  return out;
}

function withAssign(state: Record<string, unknown>, assign: Assignments, binding: string) {
  const field = assignField(assign, binding);
  if (field) state.Assign = field;
  return state;
}

/**
 * Compiles an XState v5 machine into an Amazon States Language definition (`QueryLanguage: JSONata`) under the
 * strict profile of DESIGN §5: an invoke becomes a Task (a Lambda, a `.waitForTaskToken` callback, or a Map of
 * child executions) with `Retry` and `Catch`; `always` a Choice; `after` a Wait or the task's `TimeoutSeconds`;
 * a state that waits for operator events a callback wait; a final state a Succeed with the machine's output.
 * Guards, assigns, inputs and delays come from the machine's JSONata twins; anything else is an
 * {@link AslCompileError} naming the state and the construct.
 *
 * @example
 * const { definition } = compileMachine(experimentMachine, experimentCloudOptions());
 */
export function compileMachine(machine: AnyStateMachine, options: CompileOptions): CompiledMachine {
  return new Compiler(machine, options).compile();
}

class Compiler {
  private readonly root: MachineNode;
  private readonly reader: MachineReader;
  private readonly states: Record<string, AslState> = {};
  private readonly origins: Record<string, StateOrigin> = {};
  private readonly transport = new Set<string>();
  private readonly payloadContext: string;

  constructor(
    private readonly machine: AnyStateMachine,
    private readonly options: CompileOptions,
  ) {
    this.root = machine.root as unknown as MachineNode;
    const impl = machine.implementations as {
      actions: Record<string, unknown>;
      guards: Record<string, unknown>;
    };
    this.reader = new MachineReader(machine.id, options.twins, impl, options.skipActions ?? {});
    this.payloadContext = options.payloadContext ?? '{}';
  }

  compile(): CompiledMachine {
    const start = `${this.machine.id}:start`;
    const context = new Map<string, AssignValue>(
      Object.entries(this.options.twins.context).map(([key, expr]) => [
        key,
        { expr: `( $input := $states.input; ${expr} )` },
      ]),
    );
    const initial = this.reader.resolveAtomic(this.root);
    const first = this.enter(initial, context, this.root, '(start)');
    this.add(
      start,
      { state: '(start)', role: 'helper' },
      withAssign({ Type: 'Pass', Next: first.next }, first.assign, BIND.none),
    );
    for (const node of this.atomicStates(this.root)) this.compileState(node);
    return {
      definition: {
        ...(this.options.comment ? { Comment: this.options.comment } : {}),
        QueryLanguage: 'JSONata',
        StartAt: start,
        States: this.states,
        ...(this.options.timeoutSeconds ? { TimeoutSeconds: this.options.timeoutSeconds } : {}),
      },
      origins: this.origins,
      transportVariables: [...this.transport],
    };
  }

  private atomicStates(node: MachineNode): MachineNode[] {
    if (node.type === 'parallel' || node.type === 'history') this.reader.resolveAtomic(node);
    if (node.type === 'atomic' || node.type === 'final') return [node];
    return Object.values(node.states).flatMap((child) => this.atomicStates(child));
  }

  private add(name: string, origin: StateOrigin, state: Record<string, unknown>): void {
    if (name.length > 80)
      this.reader.fail(origin.state, 'state name', `"${name}" is longer than ASL's 80 characters`);
    this.states[name] = state as AslState;
    this.origins[name] = origin;
  }

  /** Enters `target` with `assign` already applied by the transition; folds its entry actions in when it can. */
  private enter(target: MachineNode, assign: Assignments, from: MachineNode, site: string): Edge {
    const entry = this.reader.actions(target, target.entry, `${pathOf(target)}.entry`);
    if (entry.size === 0 || this.reader.canMerge(assign, entry))
      return { next: pathOf(target), assign: this.reader.merge(from, assign, entry, site) };
    const name = `${pathOf(target)}:entry`;
    if (!this.states[name])
      this.add(
        name,
        { state: pathOf(target), role: 'helper' },
        withAssign({ Type: 'Pass', Next: pathOf(target) }, entry, BIND.none),
      );
    return { next: name, assign };
  }

  private edge(t: MachineTransition, site: string, from: MachineNode): Edge {
    const assign = this.reader.actions(from, t.actions, site);
    const target = t.target?.[0];
    if (!target)
      this.reader.fail(from, `targetless transition at ${site}`, 'only operator events may be targetless');
    if ((t.target?.length ?? 0) > 1)
      this.reader.fail(from, `transition to several targets at ${site}`, 'use one target');
    const atomic = this.reader.resolveAtomic(target);
    if (atomic === from && !t.reenter)
      this.reader.fail(
        from,
        `self-transition at ${site} without reenter`,
        'a Task cannot keep running across a transition; add reenter: true',
      );
    const exit = this.reader.actions(from, from.exit, `${pathOf(from)}.exit`);
    return this.enter(atomic, this.reader.merge(from, exit, assign, site), from, site);
  }

  /** Choice rules for candidate transitions, in order; `extra` is ANDed to every condition. */
  private rules(
    from: MachineNode,
    list: readonly MachineTransition[],
    kind: string,
    binding: string,
    extra?: string,
    before: Assignments = new Map(),
  ): { rules: Array<Record<string, unknown>>; total: boolean } {
    const rules: Array<Record<string, unknown>> = [];
    for (const [i, t] of list.entries()) {
      const site = siteOf(from, kind, i);
      const edge = this.edge(t, site, from);
      const guard = t.guard === undefined ? undefined : expression(this.reader.guard(from, t.guard), binding);
      const parts = [extra, guard].filter((p): p is string => p !== undefined).map((p) => `(${p})`);
      const condition = parts.length === 0 ? 'true' : parts.join(' and ');
      rules.push(
        withAssign(
          { Condition: jsonata(condition), Next: edge.next },
          this.reader.merge(from, before, edge.assign, site),
          binding,
        ),
      );
      if (t.guard === undefined) return { rules, total: true };
    }
    return { rules, total: false };
  }

  /** Routes one outcome (done, error, after) either straight from the state or through a Choice. */
  private route(
    from: MachineNode,
    list: readonly MachineTransition[],
    kind: string,
    direct: string,
    viaChoice: string,
    choiceName: string,
  ): { Next: string; Assign?: Record<string, unknown> } {
    const [only] = list;
    if (list.length === 1 && only && only.guard === undefined) {
      const edge = this.edge(only, siteOf(from, kind, 0), from);
      return withAssign({ Next: edge.next }, edge.assign, direct) as { Next: string };
    }
    const { rules, total } = this.rules(from, list, kind, viaChoice);
    if (!total) this.reader.fail(from, `guarded ${kind} transitions`, 'the last candidate must be unguarded');
    this.add(choiceName, { state: pathOf(from), role: 'helper' }, { Type: 'Choice', Choices: rules });
    return { Next: choiceName };
  }

  private compileState(node: MachineNode): void {
    const path = pathOf(node);
    if (node.type === 'final') {
      if (node.parent !== this.root)
        this.reader.fail(
          node,
          'nested final state',
          'only top-level final states (the machine ends) are in the profile',
        );
      this.add(
        path,
        { state: path, role: 'main' },
        { Type: 'Succeed', Output: jsonata(this.options.twins.output) },
      );
      return;
    }
    if (node.invoke.length > 1)
      this.reader.fail(node, 'several invokes in one state', 'invoke one actor per state');
    const events = eventHandlers(node);
    if (node.invoke.length === 1) {
      this.compileInvoke(node, events);
      return;
    }
    if (node.always?.length) {
      // A transient state is left in the same step it is entered, so no event can reach it.
      if (node.after.length > 0) this.reader.fail(node, 'always with after', 'a transient state cannot wait');
      const { rules, total } = this.rules(node, node.always, 'always', BIND.none);
      if (!total)
        this.reader.fail(node, 'guarded always transitions', 'the last candidate must be unguarded');
      this.add(path, { state: path, role: 'main' }, { Type: 'Choice', Choices: rules });
      return;
    }
    if (node.after.length > 0) {
      if (events.length > 0)
        this.reader.fail(node, 'after with operator events', 'a Wait state cannot receive events');
      const delay = this.singleDelay(node);
      const next = this.route(
        node,
        node.after,
        `after.${delay.name}`,
        BIND.after,
        BIND.after,
        `${path}:after`,
      );
      this.add(
        path,
        { state: path, role: 'main' },
        {
          Type: 'Wait',
          Seconds: jsonata(`$ceil((${delay.expr}) / 1000)`),
          ...next,
        },
      );
      return;
    }
    if (events.length > 0) {
      this.compileOperatorWait(node, events);
      return;
    }
    this.reader.fail(
      node,
      'state with no way out',
      'give it an invoke, always, after or events, or make it final',
    );
  }

  private singleDelay(node: MachineNode): { name: string; expr: string } {
    const delays = new Set(node.after.map((t) => String(t.delay)));
    if (delays.size > 1) this.reader.fail(node, 'several delays', 'one after delay per state');
    const delay = node.after[0]?.delay ?? 0;
    return { name: String(delay), expr: this.reader.delay(node, delay) };
  }

  private operatorResource(node: MachineNode): { awaitFunctionArn: string; inboxFunctionArn: string } {
    const operator = this.options.operator;
    if (!operator)
      this.reader.fail(
        node,
        'operator events',
        'the machine handles events; give options.operator its functions',
      );
    return operator;
  }

  private payload(actor: string, node: MachineNode, input: string, extra?: Record<string, string>): string {
    const fields = [
      `"actor": ${JSON.stringify(actor)}`,
      `"state": ${JSON.stringify(pathOf(node))}`,
      `"input": ${input}`,
      `"context": ${this.payloadContext}`,
      ...Object.entries(extra ?? {}).map(([k, v]) => `${JSON.stringify(k)}: ${v}`),
    ];
    return `{ ${fields.join(', ')} }`;
  }

  private compileInvoke(node: MachineNode, events: ReturnType<typeof eventHandlers>): void {
    const path = pathOf(node);
    const invoke = node.invoke[0] as MachineNode['invoke'][number];
    if (typeof invoke.src !== 'string')
      this.reader.fail(node, 'inline actor', 'name the actor in setup({ actors }) and invoke it by name');
    const src = invoke.src;
    const binding = this.options.actors[src];
    if (!binding) this.reader.fail(node, `actor "${src}"`, 'no cloud binding; add it to options.actors');
    const inputTwin = this.options.twins.inputs[path];
    if (invoke.input !== undefined && inputTwin === undefined)
      this.reader.fail(node, `input of actor "${src}"`, `no JSONata twin; add it to twins.inputs["${path}"]`);
    const input = expression(inputTwin ?? '{}', BIND.none);
    const extras = this.options.payloadExtras?.[src];
    const delay = node.after.length > 0 ? this.singleDelay(node) : undefined;
    const timeout = delay ? `$max([2, $ceil((${expression(delay.expr, BIND.none)}) / 1000)])` : undefined;

    const state: Record<string, unknown> = {};
    if (binding.kind === 'task') {
      Object.assign(state, {
        Type: 'Task',
        Resource: binding.functionArn,
        Arguments: jsonata(this.payload(src, node, input, extras ? { extra: extras } : undefined)),
        TimeoutSeconds: timeout ? jsonata(timeout) : (binding.timeoutSeconds ?? 60),
        Retry: [LAMBDA_SERVICE_RETRIER, ...(binding.retry ?? [])],
      });
    } else if (binding.kind === 'callback') {
      const heartbeat =
        typeof binding.heartbeatSeconds === 'number'
          ? String(binding.heartbeatSeconds)
          : binding.heartbeatSeconds;
      Object.assign(state, {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Arguments: {
          FunctionName: binding.functionArn,
          Payload: jsonata(
            this.payload(src, node, input, {
              ...(extras ? { extra: extras } : {}),
              taskToken: '$states.context.Task.Token',
            }),
          ),
        },
        ...(timeout
          ? {
              TimeoutSeconds: jsonata(timeout),
              HeartbeatSeconds: jsonata(`( $t := ${timeout}; $h := ${heartbeat}; $h < $t ? $h : $t - 1 )`),
            }
          : { HeartbeatSeconds: jsonata(heartbeat) }),
        Retry: [LAMBDA_SERVICE_RETRIER, ...(binding.retry ?? [])],
      });
    } else {
      if (node.after.length > 0)
        this.reader.fail(node, 'after on a map actor', 'put the timeout on the child machine');
      const child = `${path}:child`;
      Object.assign(state, {
        Type: 'Map',
        Items: jsonata(`(${input}).${binding.items}`),
        // The name is made here, where `$states.context.State` is the Map state's (its EnteredTime), not the child
        // task's; the child task starts `input` under `name`.
        ItemSelector: jsonata(
          `( $item := $states.context.Map.Item.Value; { "input": ${binding.itemInput}, "name": ${binding.executionName} } )`,
        ),
        MaxConcurrency: binding.maxConcurrency ?? 0,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: child,
          States: {
            [child]: {
              Type: 'Task',
              Resource: 'arn:aws:states:::states:startExecution.sync:2',
              Arguments: {
                StateMachineArn: binding.stateMachineArn,
                Input: '{% $states.input.input %}',
                Name: '{% $states.input.name %}',
              },
              Output: '{% $states.result.Output %}',
              End: true,
            },
          },
        },
      });
      this.origins[child] = { state: path, role: 'helper' };
    }
    const keep: Assignments = new Map();
    if (binding.kind === 'map' && binding.resultVariable) {
      keep.set(binding.resultVariable, { expr: '$states.result' });
      this.transport.add(binding.resultVariable);
    }

    const done = node.transitions.get(`xstate.done.actor.${invoke.id}`) ?? [];
    const error = node.transitions.get(`xstate.error.actor.${invoke.id}`) ?? [];
    if (done.length === 0)
      this.reader.fail(node, `invoke of "${src}" without onDone`, 'say where the machine goes next');

    if (events.length === 0) {
      const next = this.route(node, done, 'onDone', BIND.doneDirect, BIND.doneFromInput, `${path}:done`);
      Object.assign(state, next);
      if (keep.size > 0) state.Assign = { ...(state.Assign as object), ...assignField(keep, BIND.none) };
      const catches: Array<Record<string, unknown>> = [];
      if (node.after.length > 0 && delay)
        catches.push({
          ErrorEquals: TIMEOUT_ERRORS,
          ...this.route(node, node.after, `after.${delay.name}`, BIND.after, BIND.after, `${path}:after`),
        });
      if (error.length > 0)
        catches.push({
          ErrorEquals: ['States.ALL'],
          ...this.route(node, error, 'onError', BIND.errorDirect, BIND.errorFromInput, `${path}:error`),
        });
      if (catches.length > 0) state.Catch = catches;
      this.add(path, { state: path, role: 'main' }, state);
      return;
    }
    this.compileInbox(node, state, events, { done, error, keep, delayName: delay?.name });
  }

  /**
   * A task in a state that answers operator events: Step Functions cannot interrupt it, so the events queued
   * while it ran are fetched after it, and applied before its outcome, as XState would have.
   */
  private compileInbox(
    node: MachineNode,
    state: Record<string, unknown>,
    events: ReturnType<typeof eventHandlers>,
    outcome: {
      done: MachineTransition[];
      error: MachineTransition[];
      keep: Assignments;
      delayName: string | undefined;
    },
  ): void {
    const path = pathOf(node);
    const operator = this.operatorResource(node);
    this.transport.add(OUTCOME);
    this.transport.add(EVENTS);
    const inbox = `${path}:inbox`;
    const choice = `${path}:events`;
    state.Assign = {
      [OUTCOME]: '{% { "ok": true, "output": $states.result } %}',
      ...assignField(outcome.keep, BIND.none),
    };
    state.Next = inbox;
    state.Catch = [
      {
        ErrorEquals: ['States.ALL'],
        Assign: { [OUTCOME]: '{% { "ok": false, "error": $states.errorOutput } %}' },
        Next: inbox,
      },
    ];
    this.add(path, { state: path, role: 'main' }, state);
    const accepts = events.map((e) => e.event);
    this.add(
      inbox,
      { state: path, role: 'helper' },
      {
        Type: 'Task',
        Resource: operator.inboxFunctionArn,
        Arguments: jsonata(this.payload('operatorInbox', node, `{ "accepts": ${JSON.stringify(accepts)} }`)),
        Assign: { [EVENTS]: '{% $states.result.events %}' },
        TimeoutSeconds: 30,
        Retry: [LAMBDA_SERVICE_RETRIER],
        Next: choice,
      },
    );

    // Targetless handlers (PAUSE, STOP while busy) only assign; they apply whatever else happens. Several events
    // may set one variable to the same constant (PAUSE and PAUSE_NOW both request a pause).
    let pending: Assignments = new Map();
    const targeted: Array<{ event: string; owner: MachineNode; list: MachineTransition[] }> = [];
    const setBy = new Map<string, { value: AssignValue; events: string[]; binding: string; site: string }>();
    for (const handler of events) {
      const [first] = handler.list;
      if (first && first.target === undefined) {
        if (handler.list.length > 1 || first.guard !== undefined)
          this.reader.fail(
            node,
            `guarded targetless ${handler.event}`,
            'a targetless operator event must be unguarded',
          );
        const site = siteOf(handler.owner, `on.${handler.event}`, 0);
        for (const [key, value] of this.reader.actions(node, first.actions, site)) {
          const earlier = setBy.get(key);
          if (earlier === undefined)
            setBy.set(key, {
              value,
              events: [handler.event],
              binding: `$${EVENTS}[type = ${JSON.stringify(handler.event)}][-1]`,
              site,
            });
          else if (
            'literal' in value &&
            'literal' in earlier.value &&
            JSON.stringify(value.literal) === JSON.stringify(earlier.value.literal)
          )
            earlier.events.push(handler.event);
          else
            this.reader.fail(
              node,
              `assign to ${key} by several operator events`,
              'assign it from one event, or the same constant from each',
            );
        }
      } else targeted.push(handler);
    }
    for (const [key, { value, events: setters, binding, site }] of setBy) {
      const then =
        'literal' in value ? JSON.stringify(value.literal) : `(${expression(value.expr, binding)})`;
      const when = setters.map((event) => `(${JSON.stringify(event)} in $${EVENTS}.type)`).join(' or ');
      pending = this.reader.merge(
        node,
        pending,
        new Map([[key, { expr: `${when} ? ${then} : $${key}` }]]),
        site,
      );
    }
    const rules: Array<Record<string, unknown>> = [];
    for (const handler of targeted) {
      const eventBinding = `$${EVENTS}[type = ${JSON.stringify(handler.event)}][-1]`;
      const has = `${JSON.stringify(handler.event)} in $${EVENTS}.type`;
      rules.push(
        ...this.rules(
          handler.owner === node ? node : node,
          handler.list,
          `on.${handler.event}`,
          eventBinding,
          has,
          pending,
        ).rules,
      );
    }
    const ok = `$${OUTCOME}.ok`;
    rules.push(
      ...this.requireTotal(
        node,
        'onDone',
        this.rules(node, outcome.done, 'onDone', BIND.doneFromOutcome, ok, pending),
      ),
    );
    if (outcome.delayName !== undefined) {
      const timedOut = `$not(${ok}) and $${OUTCOME}.error.Error in ${JSON.stringify(TIMEOUT_ERRORS)}`;
      rules.push(
        ...this.requireTotal(
          node,
          'after',
          this.rules(node, node.after, `after.${outcome.delayName}`, BIND.after, timedOut, pending),
        ),
      );
    }
    if (outcome.error.length > 0)
      rules.push(
        ...this.requireTotal(
          node,
          'onError',
          this.rules(node, outcome.error, 'onError', BIND.errorFromOutcome, `$not(${ok})`, pending),
        ),
      );
    else {
      const fail = `${path}:unhandled`;
      this.add(
        fail,
        { state: path, role: 'helper' },
        {
          Type: 'Fail',
          Error: `{% $${OUTCOME}.error.Error %}`,
          Cause: `{% $string($${OUTCOME}.error.Cause) %}`,
        },
      );
      rules.push({ Condition: `{% $not(${ok}) %}`, Next: fail });
    }
    this.add(choice, { state: path, role: 'helper' }, { Type: 'Choice', Choices: rules });
  }

  private requireTotal(
    node: MachineNode,
    kind: string,
    result: { rules: Array<Record<string, unknown>>; total: boolean },
  ) {
    if (!result.total)
      this.reader.fail(node, `guarded ${kind} transitions`, 'the last candidate must be unguarded');
    return result.rules;
  }

  /** A state that only waits for operator events: a callback wait, then a Choice on the event's type. */
  private compileOperatorWait(node: MachineNode, events: ReturnType<typeof eventHandlers>): void {
    const path = pathOf(node);
    const operator = this.operatorResource(node);
    const choice = `${path}:events`;
    const accepts = events.map((e) => e.event);
    this.add(
      path,
      { state: path, role: 'main' },
      {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Arguments: {
          FunctionName: operator.awaitFunctionArn,
          Payload: jsonata(
            this.payload('awaitOperator', node, `{ "accepts": ${JSON.stringify(accepts)} }`, {
              taskToken: '$states.context.Task.Token',
            }),
          ),
        },
        Retry: [LAMBDA_SERVICE_RETRIER],
        Next: choice,
      },
    );
    const rules: Array<Record<string, unknown>> = [];
    for (const handler of events) {
      const is = `$states.input.type = ${JSON.stringify(handler.event)}`;
      for (const [i, t] of handler.list.entries()) {
        const site = siteOf(handler.owner, `on.${handler.event}`, i);
        const guard =
          t.guard === undefined ? undefined : expression(this.reader.guard(node, t.guard), BIND.operator);
        const condition = guard ? `(${is}) and (${guard})` : is;
        if (t.target === undefined) {
          const assign = this.reader.actions(node, t.actions, site);
          rules.push(withAssign({ Condition: jsonata(condition), Next: path }, assign, BIND.operator));
        } else {
          const edge = this.edge(t, site, node);
          rules.push(
            withAssign({ Condition: jsonata(condition), Next: edge.next }, edge.assign, BIND.operator),
          );
        }
        if (t.guard === undefined) break;
      }
    }
    // An event no handler takes leaves the machine where it is, as in XState: wait again.
    rules.push({ Condition: '{% true %}', Next: path });
    this.add(choice, { state: path, role: 'helper' }, { Type: 'Choice', Choices: rules });
  }
}
