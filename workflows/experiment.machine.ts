import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import type { Fault, ObjectiveValues, ParameterValues, ProtocolStep } from '../contracts/index.ts';
import { FaultCodes } from '../contracts/index.ts';
import { commandIdFor } from './command-id.ts';
import { MissingActorError } from './errors.ts';
import { type ExperimentScope, evaluateOutputValues, faultOf, labwareFor } from './protocol.ts';

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
 * sends a new command to whichever device is free — then fail the experiment with the fault as data. A step
 * interrupted by pause now starts again as a new command when that is safe (fault `Interrupted`, retryable: it
 * had not started, or its capability is resumable), without counting a try; otherwise the experiment fails. At the
 * end the protocol's `output` expression turns the step outputs into objective values.
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
      ({ input }) => evaluateOutputValues(input.expression, input.scope),
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
    // Pause now interrupted the step where starting it again is safe: a new command, and not a failed try.
    resumeInterrupted: ({ event }) => {
      const fault = faultOf((event as unknown as { error: unknown }).error);
      return fault.code === FaultCodes.Interrupted && fault.retryable;
    },
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
            guard: 'resumeInterrupted',
            target: 'acquiring',
            actions: [
              'releaseDevice',
              assign({
                attempt: ({ context }) => context.attempt + 1,
                tries: ({ context }) => context.tries - 1,
                deviceId: undefined,
              }),
            ],
          },
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
