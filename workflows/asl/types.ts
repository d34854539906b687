/** A state of an Amazon States Language definition, JSONata flavour (the subset the compiler emits). */
export type AslState = Record<string, unknown> & {
  Type: 'Task' | 'Pass' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Map' | 'Parallel';
};

/** An Amazon States Language state machine definition with `QueryLanguage: JSONata`. */
export interface AslDefinition {
  Comment?: string;
  QueryLanguage: 'JSONata';
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
}

/** A Step Functions retrier, as emitted into `Retry`. */
export interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

/**
 * The JSONata twins of a machine's TypeScript logic (ADR 0005): every expression the machine computes in
 * TypeScript, written once more in JSONata so Step Functions can compute it. Expressions see each context key
 * as a variable (`$proposed`), the triggering event as `$event` (`$event.output` of an actor,
 * `$event.error.fault` of a failure) and, in `context`, the machine input as `$input`. The differential test
 * proves each twin equal to its TypeScript original on the scenarios.
 */
export interface MachineTwins {
  /** Context key → JSONata over `$input`: the machine's `context` factory. */
  context: Record<string, string>;
  /** Guard name → JSONata boolean. */
  guards: Record<string, string>;
  /** Delay name → JSONata giving milliseconds, as XState's `delays`. */
  delays: Record<string, string>;
  /** State path → JSONata giving the invoked actor's input. */
  inputs: Record<string, string>;
  /**
   * Assign site → context key → JSONata. A site is `<state>.onDone`, `<state>.onError` (`.onError.1` for the
   * second candidate), `<state>.after.<delay>[.n]`, `<state>.always.<n>`, `<state>.on.<EVENT>[.n]`,
   * `<state>.entry`, `(root).on.<EVENT>`, or `action:<name>` for a named assign action. Only keys assigned by a
   * function need a twin; static values compile as they are.
   */
  assigns: Record<string, Record<string, string>>;
  /** JSONata over the context variables: the machine's `output`. */
  output: string;
}

/** How an invoked actor runs in the cloud. */
export type ActorBinding =
  | {
      /** A Lambda function invoked synchronously; its return value is the actor's output. */
      kind: 'task';
      /** The function's ARN, or a `${Substitution}` the deployment fills in. */
      functionArn: string;
      /** Retriers beyond the Lambda service-error retrier every task gets. @default [] */
      retry?: AslRetrier[];
      /** s. @default 60 */
      timeoutSeconds?: number;
    }
  | {
      /**
       * A `.waitForTaskToken` Lambda: the function receives the payload with `taskToken` and returns at once;
       * the actor's output arrives later through `SendTaskSuccess` (a device's result), its error through
       * `SendTaskFailure`, and liveness through `SendTaskHeartbeat`.
       */
      kind: 'callback';
      functionArn: string;
      /** s, a number or a JSONata expression; always kept below the task's timeout. */
      heartbeatSeconds: number | string;
      retry?: AslRetrier[];
    }
  | {
      /**
       * Runs a child state machine (another compiled machine) once per item of the actor input's `items` key, in
       * a Map state, each as a `states:startExecution.sync:2` task; the actor's output is the array of the
       * children's outputs.
       */
      kind: 'map';
      /** Key of the actor's input that holds the array of items. */
      items: string;
      /** JSONata: a child's input, built from `$item` (one element of `items`) and the parent's variables. */
      itemInput: string;
      /**
       * JSONata: a child's execution name, from `$item` (one element of `items`), evaluated in the Map's
       * `ItemSelector` (`$states.context.State` is the Map state's). Step Functions refuses the name of a closed
       * execution, so a name that must differ between runs of the Map derives from
       * `$states.context.State.EnteredTime`; within one run a repeated start with the same name is harmless.
       */
      executionName: string;
      stateMachineArn: string;
      /** @default 0 (no limit) */
      maxConcurrency?: number;
      /** A variable (not a context key) the Map's result is kept in, for later payloads. */
      resultVariable?: string;
    };

/** Options of {@link compileMachine}. */
export interface CompileOptions {
  twins: MachineTwins;
  /** Invoked actor name (`src`) → how it runs in the cloud. */
  actors: Record<string, ActorBinding>;
  /** Named actions that are not assigns → why the cloud does without them (e.g. a device lease that expires). */
  skipActions?: Record<string, string>;
  /**
   * JSONata object added to every task payload as `context`, for what the local actors close over and a Lambda
   * cannot (the campaign id). @default '{}'
   */
  payloadContext?: string;
  /** Per actor: JSONata object added to its payload as `extra` (e.g. a Map's kept result). */
  payloadExtras?: Record<string, string>;
  /**
   * Where operator events (pause, resume, abort, approve) come from: `awaitFunctionArn` is a `.waitForTaskToken`
   * function that completes with the next event; `inboxFunctionArn` returns the events queued while a task ran.
   * Required when the machine handles events.
   */
  operator?: { awaitFunctionArn: string; inboxFunctionArn: string };
  /** The execution's own timeout in s. @default none */
  timeoutSeconds?: number;
  comment?: string;
}

/** What an ASL state stands for in the machine: `main` is where the machine state's work happens. */
export interface StateOrigin {
  /** Path of the machine state, dot-separated; `(start)` for the state that builds the initial context. */
  state: string;
  role: 'main' | 'helper';
}

/** The result of {@link compileMachine}. */
export interface CompiledMachine {
  definition: AslDefinition;
  /** ASL state name → the machine state it belongs to. */
  origins: Record<string, StateOrigin>;
  /** Variables that are not context keys (kept results, operator bookkeeping). */
  transportVariables: string[];
}
