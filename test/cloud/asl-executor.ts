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

/** How an execution ended. */
export interface ExecutionResult {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** State transitions billed: states entered plus retries. */
  transitions: number;
  visits: Visit[];
}

interface Pending {
  resolve: (output: unknown) => void;
  reject: (error: StatesError) => void;
  beat: () => void;
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
 * injected clock (a Lambda task's own timeout from `taskClock`). Not covered: JSONPath, Parallel, distributed Map,
 * ItemReader/ResultWriter, ResultSelector, execution-level timeouts, StopExecution, redrive, the 90-day reuse
 * rule of execution names (a repeated name returns the first execution, whatever its state), and Step Functions'
 * payload size limits.
 */
export class AslExecutor {
  private readonly pending = new Map<string, Pending>();
  private readonly executions = new Map<string, Promise<ExecutionResult>>();
  private tokens = 0;

  constructor(private readonly options: AslExecutorOptions) {}

  /** Starts an execution; a repeated name returns the first execution, as `StartExecution` does. */
  start(definition: AslDefinition, input: unknown, name: string): Promise<ExecutionResult> {
    const existing = this.executions.get(name);
    if (existing) return existing;
    const run = this.run(definition, input, name);
    this.executions.set(name, run);
    return run;
  }

  /** The execution named `name`, as `DescribeExecution` finds it. */
  execution(name: string): Promise<ExecutionResult> | undefined {
    return this.executions.get(name);
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

  private async run(definition: AslDefinition, input: unknown, name: string): Promise<ExecutionResult> {
    const result: ExecutionResult = { status: 'SUCCEEDED', transitions: 0, visits: [] };
    const execution = {
      Id: `local:${name}`,
      Name: name,
      Input: input,
      StartTime: new Date(this.options.clock.now()).toISOString(),
    };
    try {
      result.output = await this.runStates(definition, input, new Scope(), { Execution: execution }, result);
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      result.status = 'FAILED';
      result.error = error.error;
      if (error.cause !== undefined) result.cause = error.cause;
    }
    return result;
  }

  private async runStates(
    machine: { StartAt: string; States: AslDefinition['States'] },
    input: unknown,
    scope: Scope,
    context: Record<string, unknown>,
    result: ExecutionResult,
  ): Promise<unknown> {
    let name: string | undefined = machine.StartAt;
    let data = input;
    while (name !== undefined) {
      const state = machine.States[name];
      if (!state) throw new StatesError('States.Runtime', `no state named ${name}`);
      result.transitions += 1;
      if (result.transitions > (this.options.maxTransitions ?? 25_000))
        throw new StatesError(
          'States.Runtime',
          `the execution passed ${this.options.maxTransitions ?? 25_000} transitions (entering ${name})`,
        );
      result.visits.push({ state: name, variables: normalise(scope.all()) as Record<string, unknown> });
      const stateContext = {
        ...context,
        State: { Name: name, EnteredTime: new Date(this.options.clock.now()).toISOString(), RetryCount: 0 },
      };
      const step = await this.runState(name, state, data, scope, stateContext, result);
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
    result: ExecutionResult,
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
        await sleep(this.options.clock, seconds * 1000);
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
          taskResult = await this.withRetry(state, result, () =>
            state.Type === 'Map'
              ? this.runMap(name, state, scope, states, result)
              : this.runTask(name, state, scope, states),
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

  private async withRetry(
    state: Record<string, unknown>,
    result: ExecutionResult,
    attempt: () => Promise<unknown>,
  ) {
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
        result.transitions += 1;
        await sleep(this.options.clock, delay * 1000);
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
      const run = await this.start(child, args.Input, String(args.Name));
      if (run.status !== 'SUCCEEDED')
        throw new StatesError('States.TaskFailed', JSON.stringify({ error: run.error, cause: run.cause }));
      return { Output: run.output, Status: run.status };
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
      return settled;
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
    if (timeout === undefined) return call;
    const taskClock = this.options.taskClock ?? this.options.clock;
    let timer: unknown;
    const timedOut = new Promise<never>((_, reject) => {
      timer = taskClock.setTimeout(
        () => reject(new StatesError('States.Timeout', `${name} ran past ${timeout} s`)),
        timeout * 1000,
      );
    });
    try {
      return await Promise.race([call, timedOut]);
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
    result: ExecutionResult,
  ): Promise<unknown[]> {
    const items = await this.eval(state.Items, scope, states, `${name}.Items`);
    if (!Array.isArray(items))
      throw new StatesError('States.QueryEvaluationError', `${name}.Items must be an array`);
    const processor = state.ItemProcessor as { StartAt: string; States: AslDefinition['States'] };
    const limit = Number(state.MaxConcurrency ?? 0) || items.length || 1;
    const outputs: unknown[] = new Array(items.length);
    let nextIndex = 0;
    const worker = async () => {
      while (nextIndex < items.length) {
        const index = nextIndex++;
        const mapStates = {
          ...states,
          context: { ...(states.context as object), Map: { Item: { Index: index, Value: items[index] } } },
        };
        const input =
          state.ItemSelector === undefined
            ? items[index]
            : await this.eval(state.ItemSelector, scope, mapStates, `${name}.ItemSelector`);
        outputs[index] = await this.runStates(
          processor,
          input,
          new Scope(scope),
          states.context as Record<string, unknown>,
          result,
        );
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
