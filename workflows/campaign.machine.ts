import { assign, fromPromise, setup } from 'xstate';
import type { ExperimentProposal, Objective, ParameterValues } from '../contracts/index.ts';
import { MissingActorError } from './errors.ts';
import type { ExperimentResult } from './experiment.machine.ts';

/** The best experiment so far. */
export interface BestSoFar {
  experimentId: string;
  parameters: ParameterValues;
  value: number;
}

/** Totals of a campaign, recomputed from the store after every batch. */
export interface CampaignProgress {
  proposed: number;
  succeeded: number;
  failed: number;
  rejected: number;
  best: BestSoFar | undefined;
}

/** Input of the campaign machine. */
export interface CampaignMachineInput {
  campaignId: string;
  budget: { experiments: number; failures?: number | undefined };
  batchSize: number;
  objective: Objective;
}

/** A proposal the gate refused, with its reason. */
export interface Rejection {
  experimentId: string;
  reason: string;
}

/** Why a campaign ended. */
export type StopReason = 'budget' | 'target' | 'failures' | 'stopped' | 'aborted' | 'error';

/** What the campaign machine ends with. */
export interface CampaignOutput extends CampaignProgress {
  reason: StopReason;
  error?: string;
}

/** Operator events, accepted in the states where they make sense and ignored elsewhere. */
export type CampaignEvent =
  | { type: 'PAUSE' }
  | { type: 'PAUSE_NOW' }
  | { type: 'RESUME' }
  | { type: 'STOP' }
  | { type: 'ABORT' };

interface CampaignContext extends CampaignMachineInput, CampaignProgress {
  batchIndex: number;
  proposals: ExperimentProposal[];
  approved: ExperimentProposal[];
  pauseRequested: boolean;
  stopRequested: boolean;
  reason: StopReason | undefined;
  error: string | undefined;
}

const reached = (context: CampaignContext): boolean => {
  const { target, goal } = context.objective;
  if (target === undefined || context.best === undefined) return false;
  return goal === 'maximise' ? context.best.value >= target : context.best.value <= target;
};

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * A closed-loop campaign: ask the planner for a batch → policy gate → run the approved experiments in parallel →
 * record → stop on budget, target or failures, else loop. Operators can pause (at the next safe point: between
 * batches), pause now (the running batch or the wait for approvals is cancelled; on resume the batch is planned,
 * gated and run again from the store, so finished experiments stay finished and interrupted steps start again
 * where that is safe), resume, stop (cleanly, after the running batch) and abort (now: the running batch is
 * cancelled).
 *
 * The side effects are the named actors `planBatch`, `gateBatch`, `runBatch` and `recordBatch`, provided by the
 * runtime; each is idempotent for a given batch index, so a campaign restored from a snapshot re-invokes them
 * safely.
 */
export const campaignMachine = setup({
  types: {
    input: {} as CampaignMachineInput & { progress?: CampaignProgress; batchIndex?: number },
    context: {} as CampaignContext,
    events: {} as CampaignEvent,
    output: {} as CampaignOutput,
  },
  actors: {
    planBatch: fromPromise<ExperimentProposal[], { batchIndex: number; count: number }>(async () => {
      throw new MissingActorError('planBatch');
    }),
    gateBatch: fromPromise<
      { approved: ExperimentProposal[]; rejections: Rejection[] },
      { proposals: ExperimentProposal[] }
    >(async () => {
      throw new MissingActorError('gateBatch');
    }),
    runBatch: fromPromise<
      Array<{ experimentId: string; result: ExperimentResult }>,
      { proposals: ExperimentProposal[] }
    >(async () => {
      throw new MissingActorError('runBatch');
    }),
    recordBatch: fromPromise<CampaignProgress, { batchIndex: number }>(async () => {
      throw new MissingActorError('recordBatch');
    }),
  },
  actions: {
    requestPause: assign({ pauseRequested: true }),
    recordError: assign({
      reason: 'error' as const,
      error: ({ event }) => describeError((event as unknown as { error: unknown }).error),
    }),
  },
  guards: {
    stopRequested: ({ context }) => context.stopRequested,
    pauseRequested: ({ context }) => context.pauseRequested,
    budgetSpent: ({ context }) => context.proposed >= context.budget.experiments,
    targetReached: ({ context }) => reached(context),
    tooManyFailures: ({ context }) =>
      context.budget.failures !== undefined && context.failed >= context.budget.failures,
  },
}).createMachine({
  id: 'campaign',
  context: ({ input }) => ({
    campaignId: input.campaignId,
    budget: input.budget,
    batchSize: input.batchSize,
    objective: input.objective,
    ...(input.progress ?? { proposed: 0, succeeded: 0, failed: 0, rejected: 0, best: undefined }),
    batchIndex: input.batchIndex ?? 0,
    proposals: [],
    approved: [],
    pauseRequested: false,
    stopRequested: false,
    reason: undefined,
    error: undefined,
  }),
  initial: 'deciding',
  on: {
    ABORT: { target: '.aborted' },
    STOP: { actions: assign({ stopRequested: true }) },
  },
  states: {
    deciding: {
      always: [
        { guard: 'targetReached', target: 'completed', actions: assign({ reason: 'target' }) },
        { guard: 'budgetSpent', target: 'completed', actions: assign({ reason: 'budget' }) },
        { guard: 'tooManyFailures', target: 'completed', actions: assign({ reason: 'failures' }) },
        { guard: 'stopRequested', target: 'completed', actions: assign({ reason: 'stopped' }) },
        { guard: 'pauseRequested', target: 'paused' },
        { target: 'planning' },
      ],
    },
    planning: {
      on: { PAUSE: { actions: 'requestPause' }, PAUSE_NOW: { actions: 'requestPause' } },
      invoke: {
        id: 'planBatch',
        src: 'planBatch',
        input: ({ context }) => ({
          batchIndex: context.batchIndex,
          count: Math.min(context.batchSize, context.budget.experiments - context.proposed),
        }),
        onDone: { target: 'gating', actions: assign({ proposals: ({ event }) => event.output }) },
        onError: { target: 'failed', actions: 'recordError' },
      },
    },
    gating: {
      on: { PAUSE: { actions: 'requestPause' }, PAUSE_NOW: { target: 'paused' } },
      invoke: {
        id: 'gateBatch',
        src: 'gateBatch',
        input: ({ context }) => ({ proposals: context.proposals }),
        onDone: {
          target: 'running',
          actions: assign({ approved: ({ event }) => event.output.approved }),
        },
        onError: { target: 'failed', actions: 'recordError' },
      },
    },
    running: {
      on: { PAUSE: { actions: 'requestPause' }, PAUSE_NOW: { target: 'paused' } },
      invoke: {
        id: 'runBatch',
        src: 'runBatch',
        input: ({ context }) => ({ proposals: context.approved }),
        onDone: { target: 'recording' },
        onError: { target: 'failed', actions: 'recordError' },
      },
    },
    recording: {
      on: { PAUSE: { actions: 'requestPause' }, PAUSE_NOW: { actions: 'requestPause' } },
      invoke: {
        id: 'recordBatch',
        src: 'recordBatch',
        input: ({ context }) => ({ batchIndex: context.batchIndex }),
        onDone: {
          target: 'deciding',
          actions: assign(({ context, event }) => ({
            ...event.output,
            batchIndex: context.batchIndex + 1,
            proposals: [],
            approved: [],
          })),
        },
        onError: { target: 'failed', actions: 'recordError' },
      },
    },
    paused: {
      on: {
        RESUME: { target: 'deciding', actions: assign({ pauseRequested: false }) },
        STOP: { target: 'completed', actions: assign({ reason: 'stopped' }) },
      },
    },
    completed: { type: 'final' },
    aborted: { type: 'final', entry: assign({ reason: 'aborted' }) },
    failed: { type: 'final' },
  },
  output: ({ context }) => ({
    reason: context.reason ?? 'error',
    proposed: context.proposed,
    succeeded: context.succeeded,
    failed: context.failed,
    rejected: context.rejected,
    best: context.best,
    ...(context.error === undefined ? {} : { error: context.error }),
  }),
});
