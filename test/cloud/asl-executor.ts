import { type Clock, type Rng, sleep } from '../../contracts/index.ts';
import type { AslDefinition, AslRetrier } from '../../workflows/asl/index.ts';
import { applyAssign, evaluateField, matches, normalise, Scope, StatesError } from './asl-template.ts';

/** A task's implementation: a Lambda's handler, or the function a `.waitForTaskToken` task invokes. */
export type TaskHandler = (
  payload: unknown,
  context: { stateName: string; executionName: string },
) => Promise<unknown>;

/** Options of {@link AslExecutor}. */
export interface AslExecutorOptions {
  clock: Clock;
  rng: Rng;
  /** Resource string (`${PlanNextFunctionArn}`, a Lambda ARN) → handler. */
  resources: Record<string, TaskHandler>;
  /** State machine ARN (or placeholder) → its definition, for `states:startExecution.sync:2`. */
  stateMachines?: Record<string, AslDefinition>;
  /** An execution fails past this many transitions, as Step Functions' 25,000-event history does. @default 25000 */
  maxTransitions?: number;
  /**
   * The clock of a Lambda task's `TimeoutSeconds`: a function's own run time passes in wall time even when the
   * lab's clock is scaled, so a test on scaled time gives the wall clock here. Waits, retries and callback
   * timeouts stay on `clock`. @default clock
   */
  taskClock?: Clock;
}

/** One state entered, with the variables it saw. */
export interface Visit {
  state: string;
  variables: Record<string, unknown>;
}

/** Where an execution is: running, or how it closed (`ABORTED`: stopped by `StopExecution`). */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** How an execution ended. */
export interface ExecutionResult {
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** State transitions billed: states entered plus retries. */
  transitions: number;
  visits: Visit[];
}

/** An execution as `DescribeExecution` and `ListExecutions` report it. */
export interface ExecutionSummary {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: unknown;
  startDate: number;
  stopDate?: number;
}

interface Pending {
  resolve: (output: unknown) => void;
  reject: (error: StatesError) => void;
  beat: () => void;
}

/** One execution's run: its result so far, and what `StopExecution` needs to end it. */
interface Run {
  result: ExecutionResult;
  /** Set by `StopExecution`: the error the execution ends with. */
  stopped: StatesError | undefined;
  /** Rejects when the execution is stopped, so whatever it waits on ends. */
  halted: Promise<never>;
  halt: (error: StatesError) => void;
  /** Task tokens of its callback tasks that are still waiting. */
  tokens: Set<string>;
}

interface Execution {
  summary: ExecutionSummary;
  /** The input as canonical JSON: a repeated start of a running execution must bring the same. */
  inputText: string;
  run: Run;
  done: Promise<ExecutionResult>;
}

/**
 * A refused `StartExecution` or `StopExecution`, named as Step Functions names the API error: `ExecutionAlreadyExists`
 * (the name belongs to a closed execution of the state machine, or to a running one with another input),
 * `InvalidName`, `ExecutionDoesNotExist`.
 */
export class ExecutionApiError extends Error {
  constructor(
    override readonly name: 'ExecutionAlreadyExists' | 'InvalidName' | 'ExecutionDoesNotExist',
    message: string,
  ) {
    super(message);
  }
}

/**
 * What Step Functions refuses in an execution name (besides more than 80 characters): whitespace, brackets,
 * wildcards, these special characters, control characters (`\p{Cc}`: U+0000–001F, U+007F–009F).
 */
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]/u;

/** JSON with object keys sorted at every level, so equal inputs have one text. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );

/** `arn:…:stateMachine:<machine>` + name → `arn:…:execution:<machine>:<name>`, as Step Functions forms it. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** A settled or unknown task token, as Step Functions reports it (`TaskTimedOut`, `InvalidToken`). */
export class TaskTokenError extends Error {
  constructor(
    override readonly name: 'TaskTimedOut' | 'InvalidToken',
    message: string,
  ) {
    super(message);
  }
}

const CALLBACK = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const CHILD = 'arn:aws:states:::states:startExecution.sync:2';

/**
 * A local interpreter of the ASL subset the compiler emits (JSONata only): Pass, Task (Lambda resources,
 * `.waitForTaskToken` callbacks with timeouts and heartbeats, child executions), Choice, Wait, Map (inline),
 * Succeed, Fail; Assign, Output, Retry (with backoff, max delay and jitter) and Catch. Time comes from the
 * injected clock (a Lambda task's own timeout from `taskClock`); execution names unique per state machine
 * (`ExecutionAlreadyExists`), `StopExecution`, `ListExecutions` and `DescribeExecution`. Not covered: JSONPath,
 * Parallel, distributed Map, ItemReader/ResultWriter, ResultSelector, execution-level timeouts, redrive, the end
 * of a name's 90-day reservation, and Step Functions' payload size limits.
 */
export class AslExecutor {
  private readonly pending = new Map<string, Pending>();
  /** State machine ARN → execution name → execution. */
  private readonly executions = new Map<string, Map<string, Execution>>();
  private readonly unregistered = new WeakMap<AslDefinition, string>();
  private tokens = 0;

  constructor(private readonly options: AslExecutorOptions) {}

  /**
   * Starts an execution, as `StartExecution` does for a Standard workflow: a name is unique per state machine, so
   * a repeated start of a running execution with the same input returns it, and a name that belongs to a closed
   * execution (or to a running one with another input) is refused with `ExecutionAlreadyExists`
   * ({@link ExecutionApiError}). The state machine is the ARN `definition` is registered under in
   * `stateMachines`, if any.
   */
  start(definition: AslDefinition, input: unknown, name: string): Promise<ExecutionResult> {
    const stateMachineArn = this.arnOf(definition);
    if (name.length < 1 || name.length > 80 || INVALID_NAME.test(name))
      throw new ExecutionApiError(
        'InvalidName',
        `execution name must be 1–80 characters without whitespace, brackets, wildcards or "#%\\^|~\`$&,;:/, got "${name}" (${name.length} characters)`,
      );
    const inputText = canonical(normalise(input));
    const named = this.executions.get(stateMachineArn) ?? new Map<string, Execution>();
    this.executions.set(stateMachineArn, named);
    const existing = named.get(name);
    if (existing) {
      if (existing.summary.status === 'RUNNING' && existing.inputText === inputText) return existing.done;
      throw new ExecutionApiError(
        'ExecutionAlreadyExists',
        `execution ${name} of ${stateMachineArn} already exists (${existing.summary.status}${existing.summary.status === 'RUNNING' ? ', with another input' : ''})`,
      );
    }
    let halt: (error: StatesError) => void = () => {};
    const halted = new Promise<never>((_, reject) => {
      halt = reject;
    });
    halted.catch(() => {});
    const run: Run = {
      result: { status: 'SUCCEEDED', transitions: 0, visits: [] },
      stopped: undefined,
      halted,
      halt,
      tokens: new Set(),
    };
    const summary: ExecutionSummary = {
      executionArn: executionArnOf(stateMachineArn, name),
      stateMachineArn,
      name,
      status: 'RUNNING',
      input: normalise(input),
      startDate: this.options.clock.now(),
    };
    const done = this.run(definition, input, summary, run).then((result) => {
      if (summary.status === 'RUNNING') {
        summary.status = result.status;
        summary.stopDate = this.options.clock.now();
      }
      return result;
    });
    named.set(name, { summary, inputText, run, done });
    return done;
  }

  /** Executions of a state machine, newest first, as `ListExecutions` lists them (optionally of one status). */
  list(stateMachineArn: string, status?: ExecutionStatus): ExecutionSummary[] {
    return [...(this.executions.get(stateMachineArn)?.values() ?? [])]
      .map((e) => ({ ...e.summary }))
      .filter((e) => status === undefined || e.status === status)
      .reverse();
  }

  /** The execution `executionArn`, as `DescribeExecution` finds it, with its result once it has closed. */
  describe(executionArn: string): { summary: ExecutionSummary; done: Promise<ExecutionResult> } {
    const execution = this.find(executionArn);
    return { summary: { ...execution.summary }, done: execution.done };
  }

  /**
   * Stops a running execution, as `StopExecution` does: it closes `ABORTED` with the given error and cause, its
   * waiting task tokens are no longer valid, and nothing it waited on runs on. A closed execution is left as it
   * is; an unknown one is `ExecutionDoesNotExist`.
   */
  stop(executionArn: string, error = 'States.Aborted', cause?: string): ExecutionSummary {
    const { summary, run } = this.find(executionArn);
    if (summary.status !== 'RUNNING') return { ...summary };
    summary.status = 'ABORTED';
    summary.stopDate = this.options.clock.now();
    run.stopped = new StatesError(error, cause);
    for (const token of run.tokens) this.pending.delete(token);
    run.tokens.clear();
    run.halt(run.stopped);
    return { ...summary };
  }

  sendTaskSuccess(token: string, output: unknown): void {
    this.settle(token).resolve(normalise(output));
  }

  sendTaskFailure(token: string, error: string, cause?: string): void {
    this.settle(token).reject(new StatesError(error, cause));
  }

  sendTaskHeartbeat(token: string): void {
    const pending = this.pending.get(token);
    if (!pending) throw new TaskTokenError('TaskTimedOut', `task ${token} is no longer waiting`);
    pending.beat();
  }

  private settle(token: string): Pending {
    const pending = this.pending.get(token);
    if (!pending) throw new TaskTokenError('TaskTimedOut', `task ${token} is no longer waiting`);
    this.pending.delete(token);
    return pending;
  }

  private arnOf(definition: AslDefinition): string {
    const registered = Object.entries(this.options.stateMachines ?? {}).find(
      ([, d]) => d === definition,
    )?.[0];
    if (registered) return registered;
    let arn = this.unregistered.get(definition);
    if (!arn) {
      arn = `arn:aws:states:local:000000000000:stateMachine:unregistered-${this.executions.size + 1}`;
      this.unregistered.set(definition, arn);
    }
    return arn;
  }

  private find(executionArn: string): Execution {
    for (const named of this.executions.values())
      for (const execution of named.values())
        if (execution.summary.executionArn === executionArn) return execution;
    throw new ExecutionApiError('ExecutionDoesNotExist', `no execution ${executionArn}`);
  }

  /** `work`, or the stop error as soon as the execution is stopped. */
  private guard<T>(run: Run, work: Promise<T>): Promise<T> {
    return Promise.race([work, run.halted]);
  }

  private async run(
    definition: AslDefinition,
    input: unknown,
    summary: ExecutionSummary,
    run: Run,
  ): Promise<ExecutionResult> {
    const { result } = run;
    const execution = {
      Id: summary.executionArn,
      Name: summary.name,
      Input: input,
      StartTime: new Date(summary.startDate).toISOString(),
    };
    try {
      result.output = await this.guard(
        run,
        this.runStates(definition, input, new Scope(), { Execution: execution }, run),
      );
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      result.status = run.stopped ? 'ABORTED' : 'FAILED';
      const ended = run.stopped ?? error;
      result.error = ended.error;
      if (ended.cause !== undefined) result.cause = ended.cause;
    }
    return result;
  }

  private async runStates(
    machine: { StartAt: string; States: AslDefinition['States'] },
    input: unknown,
    scope: Scope,
    context: Record<string, unknown>,
    run: Run,
  ): Promise<unknown> {
    let name: string | undefined = machine.StartAt;
    let data = input;
    while (name !== undefined) {
      const state = machine.States[name];
      if (!state) throw new StatesError('States.Runtime', `no state named ${name}`);
      if (run.stopped) throw run.stopped;
      run.result.transitions += 1;
      if (run.result.transitions > (this.options.maxTransitions ?? 25_000))
        throw new StatesError(
          'States.Runtime',
          `the execution passed ${this.options.maxTransitions ?? 25_000} transitions (entering ${name})`,
        );
      run.result.visits.push({ state: name, variables: normalise(scope.all()) as Record<string, unknown> });
      const stateContext = {
        ...context,
        State: { Name: name, EnteredTime: new Date(this.options.clock.now()).toISOString(), RetryCount: 0 },
      };
      const step = await this.runState(name, state, data, scope, stateContext, run);
      if (step.end) return step.output;
      name = step.next;
      data = step.output;
    }
    return data;
  }

  private eval(template: unknown, scope: Scope, states: Record<string, unknown>, where: string) {
    return evaluateField(template, scope, states, this.options.rng, where);
  }

  private async runState(
    name: string,
    state: Record<string, unknown>,
    input: unknown,
    scope: Scope,
    context: Record<string, unknown>,
    run: Run,
  ): Promise<{ next?: string; end?: boolean; output: unknown }> {
    const states = { input, context };
    const leave = async (extra: Record<string, unknown>, fallback: unknown) => {
      const all = { ...states, ...extra };
      const output =
        state.Output === undefined ? fallback : await this.eval(state.Output, scope, all, `${name}.Output`);
      await applyAssign(state.Assign, scope, all, this.options.rng, name);
      return { next: state.Next as string | undefined, end: state.End === true, output };
    };
    switch (state.Type) {
      case 'Pass':
        return leave({}, input);
      case 'Succeed':
        return {
          end: true,
          output:
            state.Output === undefined
              ? input
              : await this.eval(state.Output, scope, states, `${name}.Output`),
        };
      case 'Fail': {
        const error = String(await this.eval(state.Error ?? 'States.Fail', scope, states, `${name}.Error`));
        const cause =
          state.Cause === undefined
            ? undefined
            : String(await this.eval(state.Cause, scope, states, `${name}.Cause`));
        throw new StatesError(error, cause);
      }
      case 'Wait': {
        const seconds = Number(await this.eval(state.Seconds, scope, states, `${name}.Seconds`));
        if (!Number.isInteger(seconds) || seconds < 0)
          throw new StatesError(
            'States.Runtime',
            `${name}.Seconds must be a non-negative integer, got ${seconds}`,
          );
        await this.guard(run, sleep(this.options.clock, seconds * 1000));
        return leave({}, input);
      }
      case 'Choice': {
        for (const rule of state.Choices as Array<Record<string, unknown>>) {
          if ((await this.eval(rule.Condition, scope, states, `${name}.Condition`)) !== true) continue;
          const output =
            rule.Output === undefined ? input : await this.eval(rule.Output, scope, states, `${name}.Output`);
          await applyAssign(rule.Assign, scope, states, this.options.rng, name);
          return { next: rule.Next as string, output };
        }
        if (typeof state.Default === 'string') return { next: state.Default, output: input };
        throw new StatesError('States.NoChoiceMatched', `no choice rule of ${name} matched`);
      }
      case 'Task':
      case 'Map': {
        let taskResult: unknown;
        try {
          taskResult = await this.withRetry(state, run, () =>
            state.Type === 'Map'
              ? this.runMap(name, state, scope, states, run)
              : this.runTask(name, state, scope, states, run),
          );
        } catch (error) {
          if (!(error instanceof StatesError)) throw error;
          const catcher = (state.Catch as Array<Record<string, unknown>> | undefined)?.find((c) =>
            matches(c.ErrorEquals as string[], error.error),
          );
          if (!catcher) throw error;
          const all = { ...states, errorOutput: error.errorOutput };
          const output =
            catcher.Output === undefined
              ? error.errorOutput
              : await this.eval(catcher.Output, scope, all, `${name}.Catch.Output`);
          await applyAssign(catcher.Assign, scope, all, this.options.rng, `${name}.Catch`);
          return { next: catcher.Next as string, output };
        }
        return leave({ result: taskResult }, taskResult);
      }
      default:
        throw new StatesError(
          'States.Runtime',
          `state type ${String(state.Type)} of ${name} is not supported by the local executor`,
        );
    }
  }

  private async withRetry(state: Record<string, unknown>, run: Run, attempt: () => Promise<unknown>) {
    const retriers = (state.Retry as AslRetrier[] | undefined) ?? [];
    const counts = retriers.map(() => 0);
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof StatesError)) throw error;
        const i = retriers.findIndex((r) => matches(r.ErrorEquals, error.error));
        const retrier = retriers[i];
        if (!retrier || (counts[i] as number) >= (retrier.MaxAttempts ?? 3)) throw error;
        let delay = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** (counts[i] as number);
        if (retrier.MaxDelaySeconds !== undefined) delay = Math.min(delay, retrier.MaxDelaySeconds);
        if (retrier.JitterStrategy === 'FULL') delay *= this.options.rng.next();
        counts[i] = (counts[i] as number) + 1;
        run.result.transitions += 1;
        await this.guard(run, sleep(this.options.clock, delay * 1000));
        if (run.stopped) throw run.stopped;
      }
    }
  }

  private async seconds(
    state: Record<string, unknown>,
    field: string,
    scope: Scope,
    states: Record<string, unknown>,
    name: string,
  ) {
    if (state[field] === undefined) return undefined;
    const value = Number(await this.eval(state[field], scope, states, `${name}.${field}`));
    if (!Number.isInteger(value) || value < 1)
      throw new StatesError('States.Runtime', `${name}.${field} must be a positive integer, got ${value}`);
    return value;
  }

  private async runTask(
    name: string,
    state: Record<string, unknown>,
    scope: Scope,
    states: Record<string, unknown>,
    run: Run,
  ): Promise<unknown> {
    const executionName = (states.context as { Execution: { Name: string } }).Execution.Name;
    const timeout = await this.seconds(state, 'TimeoutSeconds', scope, states, name);
    const resource = state.Resource as string;
    if (resource === CHILD) {
      const args = (await this.eval(state.Arguments, scope, states, `${name}.Arguments`)) as Record<
        string,
        unknown
      >;
      const child = this.options.stateMachines?.[args.StateMachineArn as string];
      if (!child)
        throw new StatesError(
          'States.Runtime',
          `no state machine ${String(args.StateMachineArn)} is registered`,
        );
      let started: Promise<ExecutionResult>;
      try {
        started = this.start(child, args.Input, String(args.Name));
      } catch (error) {
        // A refused StartExecution fails the task with the API's exception, as a service integration reports it.
        if (!(error instanceof ExecutionApiError)) throw error;
        throw new StatesError(`StepFunctions.${error.name}Exception`, error.message);
      }
      const ended = await this.guard(run, started);
      if (ended.status !== 'SUCCEEDED')
        throw new StatesError(
          'States.TaskFailed',
          JSON.stringify({ status: ended.status, error: ended.error, cause: ended.cause }),
        );
      return { Output: ended.output, Status: ended.status };
    }
    if (resource === CALLBACK) {
      this.tokens += 1;
      const token = `token-${this.tokens}`;
      const taskStates = { ...states, context: { ...(states.context as object), Task: { Token: token } } };
      const args = (await this.eval(state.Arguments, scope, taskStates, `${name}.Arguments`)) as Record<
        string,
        unknown
      >;
      const heartbeat = await this.seconds(state, 'HeartbeatSeconds', scope, taskStates, name);
      const handler = this.handler(args.FunctionName as string);
      const settled = new Promise<unknown>((resolve, reject) => {
        const { clock } = this.options;
        const timers: unknown[] = [];
        const stop = () => {
          for (const t of timers) clock.clearTimeout(t);
        };
        const fail = (error: string) => () => {
          if (!this.pending.delete(token)) return;
          stop();
          reject(
            new StatesError(
              error,
              `${name} had no ${error === 'States.Timeout' ? 'result' : 'heartbeat'} in time`,
            ),
          );
        };
        let beatTimer: unknown;
        const beat = () => {
          if (heartbeat === undefined) return;
          clock.clearTimeout(beatTimer);
          beatTimer = clock.setTimeout(fail('States.HeartbeatTimeout'), heartbeat * 1000);
          timers.push(beatTimer);
        };
        if (timeout !== undefined) timers.push(clock.setTimeout(fail('States.Timeout'), timeout * 1000));
        beat();
        run.tokens.add(token);
        this.pending.set(token, {
          resolve: (output) => {
            stop();
            resolve(output);
          },
          reject: (error) => {
            stop();
            reject(error);
          },
          beat,
        });
      });
      // A timeout may end the task while the function still runs; the outcome is read once it returns.
      settled.catch(() => {});
      try {
        await handler(args.Payload, { stateName: name, executionName });
      } catch (error) {
        this.pending.get(token)?.reject(lambdaError(error));
        this.pending.delete(token);
      }
      try {
        return await this.guard(run, settled);
      } finally {
        run.tokens.delete(token);
      }
    }
    const args = await this.eval(
      state.Arguments ?? '{% $states.input %}',
      scope,
      states,
      `${name}.Arguments`,
    );
    const call = this.handler(resource)(args, { stateName: name, executionName }).then(normalise, (error) => {
      throw lambdaError(error);
    });
    if (timeout === undefined) return this.guard(run, call);
    const taskClock = this.options.taskClock ?? this.options.clock;
    let timer: unknown;
    const timedOut = new Promise<never>((_, reject) => {
      timer = taskClock.setTimeout(
        () => reject(new StatesError('States.Timeout', `${name} ran past ${timeout} s`)),
        timeout * 1000,
      );
    });
    try {
      return await Promise.race([call, timedOut, run.halted]);
    } finally {
      taskClock.clearTimeout(timer);
    }
  }

  private handler(resource: string): TaskHandler {
    const handler = this.options.resources[resource];
    if (!handler) throw new StatesError('States.Runtime', `no handler for resource ${resource}`);
    return handler;
  }

  private async runMap(
    name: string,
    state: Record<string, unknown>,
    scope: Scope,
    states: Record<string, unknown>,
    run: Run,
  ): Promise<unknown[]> {
    const items = await this.eval(state.Items, scope, states, `${name}.Items`);
    if (!Array.isArray(items))
      throw new StatesError('States.QueryEvaluationError', `${name}.Items must be an array`);
    const processor = state.ItemProcessor as { StartAt: string; States: AslDefinition['States'] };
    const limit = Number(state.MaxConcurrency ?? 0) || items.length || 1;
    const outputs: unknown[] = new Array(items.length);
    let nextIndex = 0;
    // An iteration that fails fails the Map: no further iteration starts.
    let failed = false;
    const worker = async () => {
      while (nextIndex < items.length && !failed && !run.stopped) {
        const index = nextIndex++;
        const mapStates = {
          ...states,
          context: { ...(states.context as object), Map: { Item: { Index: index, Value: items[index] } } },
        };
        const input =
          state.ItemSelector === undefined
            ? items[index]
            : await this.eval(state.ItemSelector, scope, mapStates, `${name}.ItemSelector`);
        try {
          outputs[index] = await this.runStates(
            processor,
            input,
            new Scope(scope),
            states.context as Record<string, unknown>,
            run,
          );
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, Math.max(items.length, 1)) }, worker));
    return outputs;
  }
}

/** A thrown handler error as Step Functions reports a Lambda function error: the name is the error to match. */
export function lambdaError(error: unknown): StatesError {
  if (error instanceof StatesError) return error;
  const e = error instanceof Error ? error : new Error(String(error));
  return new StatesError(e.name, JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }));
}
