import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import type { Fault, ObjectiveValues, ParameterValues, ProtocolStep } from '../contracts/index.ts';
import { FaultCodes } from '../contracts/index.ts';
import { MissingActorError } from './errors.ts';
import { evaluate } from './expressions.ts';

/** What the protocol's expressions see: the proposal, the experiment's identity and labware, earlier steps' outputs. */
export interface ExperimentScope {
  proposal: ParameterValues;
  experiment: { id: string; index: number; plate: string; well: string };
  steps: Record<string, Record<string, unknown>>;
}

/** The input of one experiment run. */
export interface ExperimentInput {
  campaignId: string;
  experimentId: string;
  index: number;
  parameters: ParameterValues;
  protocol: { steps: ProtocolStep[]; output: string };
}

/** A device that took part, for provenance. */
export interface StepDevice {
  step: string;
  deviceId: string;
  firmware: string;
  commandId: string;
}

/** How an experiment machine ends. */
export type ExperimentResult =
  | { status: 'succeeded'; values: ObjectiveValues; steps: ExperimentScope['steps']; devices: StepDevice[] }
  | { status: 'failed'; step: string; error: Fault; devices: StepDevice[] };

/** Input of the `acquireDevice` actor: wait for an idle online device of `kind`. */
export interface AcquireInput {
  kind: string;
  command: string;
  experimentId: string;
  step: string;
}
/** Input of the `deviceStep` actor: render the step's command, publish it to `deviceId`, wait for its outcome. */
export interface DeviceStepInput {
  commandId: string;
  deviceId: string;
  step: ProtocolStep;
  scope: ExperimentScope;
  campaignId: string;
  experimentId: string;
}
/** Output of the `deviceStep` actor. */
export interface DeviceStepOutput {
  output: Record<string, unknown>;
  firmware: string;
}

/** A step failure as data, thrown by `deviceStep` implementations so the machine can decide on retries. */
export class StepFaultError extends Error {
  override readonly name = 'StepFaultError';
  constructor(
    readonly fault: Fault,
    options?: ErrorOptions,
  ) {
    super(`${fault.code}: ${fault.message}`, options);
  }
}

/** Turns whatever an actor rejected with into a {@link Fault}. */
export function faultOf(error: unknown): Fault {
  if (error instanceof StepFaultError) return error.fault;
  return {
    code: FaultCodes.DriverError,
    message: error instanceof Error ? error.message : String(error),
    retryable: false,
  };
}

/** Builds a step's command parameters from its `input` expression; they must come out as an object. */
export async function renderStepInput(
  step: ProtocolStep,
  scope: ExperimentScope,
): Promise<Record<string, unknown>> {
  const parameters = await evaluate(step.input, scope, `protocol step ${step.name} input`);
  if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters))
    throw new StepFaultError({
      code: FaultCodes.InvalidParameters,
      message: `protocol step ${step.name} input must give an object of command parameters, got ${JSON.stringify(parameters) ?? 'nothing'}`,
      retryable: false,
    });
  return parameters as Record<string, unknown>;
}

/** 96-well labware for experiment `index`: plate-1 A1…H12, then plate-2. */
export function labwareFor(index: number): { plate: string; well: string } {
  const slot = index % 96;
  return {
    plate: `plate-${Math.floor(index / 96) + 1}`,
    well: `${'ABCDEFGH'[Math.floor(slot / 12)]}${(slot % 12) + 1}`,
  };
}

/** The deterministic id of a step's command: the same experiment, step and attempt give the same id. */
export function commandIdFor(experimentId: string, step: string, attempt: number): string {
  return `${experimentId}/${step}/${attempt}`;
}

interface ExperimentContext extends ExperimentInput {
  stepIndex: number;
  /** Tries of the current step so far (timeouts and faults). */
  tries: number;
  /** Command attempt of the current step; a retry after a fault is a new command, a retry after a timeout is not. */
  attempt: number;
  deviceId: string | undefined;
  outputs: ExperimentScope['steps'];
  devices: StepDevice[];
  error: (Fault & { step: string }) | undefined;
  values: ObjectiveValues | undefined;
}

const currentStep = (context: ExperimentContext): ProtocolStep => {
  const step = context.protocol.steps[context.stepIndex];
  if (!step) throw new RangeError(`experiment ${context.experimentId} has no step ${context.stepIndex}`);
  return step;
};

const scopeOf = (context: ExperimentContext): ExperimentScope => ({
  proposal: context.parameters,
  experiment: { id: context.experimentId, index: context.index, ...labwareFor(context.index) },
  steps: context.outputs,
});

const canTryAgain = (context: ExperimentContext) => context.tries < currentStep(context).retry.attempts;

/**
 * One experiment: the protocol's device steps in order. Each step waits for an idle device of its kind, sends
 * it a command and waits for the result, with the step's timeout; faults and timeouts are retried as the step's
 * `retry` says — a timeout re-sends the same command to the same device (it may have acted), a retryable fault
 * sends a new command to whichever device is free — then fail the experiment with the fault as data. At the end the protocol's `output`
 * expression turns the step outputs into objective values.
 *
 * Side effects are the named actors `acquireDevice` and `deviceStep`, provided by the runtime; the machine
 * emits `device.released` when it no longer needs a device.
 */
export const experimentMachine = setup({
  types: {
    input: {} as ExperimentInput,
    context: {} as ExperimentContext,
    output: {} as ExperimentResult,
    emitted: {} as { type: 'device.released'; deviceId: string },
  },
  actors: {
    acquireDevice: fromPromise<{ deviceId: string }, AcquireInput>(async () => {
      throw new MissingActorError('acquireDevice');
    }),
    deviceStep: fromPromise<DeviceStepOutput, DeviceStepInput>(async () => {
      throw new MissingActorError('deviceStep');
    }),
    evaluateOutput: fromPromise<ObjectiveValues, { expression: string; scope: ExperimentScope }>(
      async ({ input }) => {
        const values = await evaluate(input.expression, input.scope, 'protocol.output');
        if (values === null || typeof values !== 'object' || Array.isArray(values))
          throw new StepFaultError({
            code: 'InvalidOutput',
            message: `protocol.output must give an object of objective values, got ${JSON.stringify(values)}`,
            retryable: false,
          });
        for (const [name, value] of Object.entries(values))
          if (typeof value !== 'number' || !Number.isFinite(value))
            throw new StepFaultError({
              code: 'InvalidOutput',
              message: `objective ${name} must be a finite number, got ${JSON.stringify(value)}`,
              retryable: false,
            });
        return values as ObjectiveValues;
      },
    ),
  },
  delays: {
    stepTimeout: ({ context }) => currentStep(context).timeout * 1000,
    retryBackoff: ({ context }) => currentStep(context).retry.backoff * 1000,
  },
  guards: {
    canRetryFault: ({ context, event }) =>
      canTryAgain(context) && faultOf((event as unknown as { error: unknown }).error).retryable,
    canRetryTimeout: ({ context }) => canTryAgain(context),
    hasNextStep: ({ context }) => context.stepIndex + 1 < context.protocol.steps.length,
  },
  actions: {
    releaseDevice: enqueueActions(({ context, enqueue }) => {
      if (context.deviceId) enqueue.emit({ type: 'device.released', deviceId: context.deviceId });
    }),
  },
}).createMachine({
  id: 'experiment',
  context: ({ input }) => ({
    ...input,
    stepIndex: 0,
    tries: 0,
    attempt: 1,
    deviceId: undefined,
    outputs: {},
    devices: [],
    error: undefined,
    values: undefined,
  }),
  initial: 'acquiring',
  states: {
    acquiring: {
      invoke: {
        id: 'acquireDevice',
        src: 'acquireDevice',
        input: ({ context }) => ({
          kind: currentStep(context).device,
          command: currentStep(context).command,
          experimentId: context.experimentId,
          step: currentStep(context).name,
        }),
        onDone: { target: 'running', actions: assign({ deviceId: ({ event }) => event.output.deviceId }) },
        onError: {
          target: 'failed',
          actions: assign({
            error: ({ context, event }) => ({ ...faultOf(event.error), step: currentStep(context).name }),
          }),
        },
      },
    },
    running: {
      entry: assign({ tries: ({ context }) => context.tries + 1 }),
      invoke: {
        id: 'deviceStep',
        src: 'deviceStep',
        input: ({ context }) => ({
          commandId: commandIdFor(context.experimentId, currentStep(context).name, context.attempt),
          deviceId: context.deviceId ?? '',
          step: currentStep(context),
          scope: scopeOf(context),
          campaignId: context.campaignId,
          experimentId: context.experimentId,
        }),
        onDone: {
          target: 'stepDone',
          actions: assign({
            outputs: ({ context, event }) => ({
              ...context.outputs,
              [currentStep(context).name]: event.output.output,
            }),
            devices: ({ context, event }) => [
              ...context.devices,
              {
                step: currentStep(context).name,
                deviceId: context.deviceId ?? '',
                firmware: event.output.firmware,
                commandId: commandIdFor(context.experimentId, currentStep(context).name, context.attempt),
              },
            ],
          }),
        },
        onError: [
          {
            guard: 'canRetryFault',
            target: 'backoff',
            actions: assign({ attempt: ({ context }) => context.attempt + 1 }),
          },
          {
            target: 'failed',
            actions: assign({
              error: ({ context, event }) => ({ ...faultOf(event.error), step: currentStep(context).name }),
            }),
          },
        ],
      },
      after: {
        stepTimeout: [
          { guard: 'canRetryTimeout', target: 'running', reenter: true },
          {
            target: 'failed',
            actions: assign({
              error: ({ context }) => ({
                code: FaultCodes.StepTimeout,
                message: `no result from ${context.deviceId} within ${currentStep(context).timeout} s (${context.tries} ${context.tries === 1 ? 'try' : 'tries'})`,
                retryable: false,
                step: currentStep(context).name,
              }),
            }),
          },
        ],
      },
    },
    backoff: {
      // A retryable fault means the device did not complete the step: a new command, on whichever device is free.
      entry: ['releaseDevice', assign({ deviceId: undefined })],
      after: { retryBackoff: 'acquiring' },
    },
    stepDone: {
      entry: 'releaseDevice',
      always: [
        {
          guard: 'hasNextStep',
          target: 'acquiring',
          actions: assign({
            stepIndex: ({ context }) => context.stepIndex + 1,
            tries: 0,
            attempt: 1,
            deviceId: undefined,
          }),
        },
        { target: 'measuring' },
      ],
    },
    measuring: {
      invoke: {
        id: 'evaluateOutput',
        src: 'evaluateOutput',
        input: ({ context }) => ({ expression: context.protocol.output, scope: scopeOf(context) }),
        onDone: { target: 'succeeded', actions: assign({ values: ({ event }) => event.output }) },
        onError: {
          target: 'failed',
          actions: assign({ error: ({ event }) => ({ ...faultOf(event.error), step: 'output' }) }),
        },
      },
    },
    succeeded: { type: 'final' },
    failed: {
      type: 'final',
      entry: 'releaseDevice',
    },
  },
  output: ({ context }): ExperimentResult =>
    context.error
      ? {
          status: 'failed',
          step: context.error.step,
          error: {
            code: context.error.code,
            message: context.error.message,
            retryable: context.error.retryable,
          },
          devices: context.devices,
        }
      : {
          status: 'succeeded',
          values: context.values ?? {},
          steps: context.outputs,
          devices: context.devices,
        },
});
