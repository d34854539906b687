import { createActor, fromPromise, toPromise } from 'xstate';
import {
  type Campaign,
  type Clock,
  type ExperimentProposal,
  envelopeViolations,
  FaultCodes,
  type GateDecision,
  type ObjectiveValues,
} from '../contracts/index.ts';
import type { Planner } from '../planners/index.ts';
import {
  type AcquireInput,
  type CampaignProgress,
  type DeviceStepInput,
  type DeviceStepOutput,
  type ExperimentResult,
  experimentMachine,
  proposalsFrom,
  type Rejection,
  renderStepInput,
  StepFaultError,
} from '../workflows/index.ts';
import type { ApprovalDesk } from './approvals.ts';
import type { DeviceBus } from './device-bus.ts';
import type { DevicePool } from './device-pool.ts';
import { gateProposal } from './policy-gate.ts';
import type { RunDirectory } from './run-directory.ts';
import type { Store } from './store.ts';

/** What the campaign's actors work with. */
export interface CampaignDeps {
  campaign: Campaign;
  campaignId: string;
  workflowVersion: string;
  store: Store;
  runDir: RunDirectory;
  bus: DeviceBus;
  pool: DevicePool;
  planner: Planner;
  approvals: ApprovalDesk;
  clock: Clock;
}

type Outcome = { experimentId: string; result: ExperimentResult };

/** The result of an experiment that already ended, rebuilt from the store (a resumed campaign). */
function storedResult(deps: CampaignDeps, experimentId: string): ExperimentResult | undefined {
  const record = deps.store.experiment(experimentId);
  if (record?.status === 'succeeded') {
    const m = deps.store.measurement(experimentId);
    if (m) return { status: 'succeeded', values: m.values, steps: m.steps, devices: m.devices };
  }
  if (record?.status === 'failed' && record.error) {
    const { step, ...error } = record.error;
    return { status: 'failed', step, error, devices: [] };
  }
  return undefined;
}

/** `deviceStep`: render, check the envelope of the chosen device, publish, wait; every command is stored. */
function deviceStep(deps: CampaignDeps) {
  return fromPromise<DeviceStepOutput, DeviceStepInput>(async ({ input, signal }) => {
    const { store, bus, runDir, clock } = deps;
    const stored = store.command(input.commandId);
    if (stored?.status === 'result' && stored.output)
      return { output: stored.output, firmware: stored.firmware ?? 'unknown' };
    if (stored?.status === 'fault' && stored.error) throw new StepFaultError(stored.error);

    const parameters = await renderStepInput(input.step, input.scope);
    // Pause now or abort may have cancelled the step while it rendered: send nothing then.
    signal.throwIfAborted();
    const descriptor = bus.devices.get(input.deviceId)?.descriptor;
    const capability = descriptor?.capabilities.find((c) => c.command === input.step.command);
    const refuse = (code: string, reason: string) => {
      runDir.append(
        { type: 'command.refused', commandId: input.commandId, deviceId: input.deviceId, reason },
        clock.now(),
        'runtime',
      );
      return new StepFaultError({ code, message: reason, retryable: false });
    };
    if (!capability)
      throw refuse(FaultCodes.UnknownCommand, `${input.deviceId} does not offer "${input.step.command}"`);
    const violations = envelopeViolations(capability.envelope, parameters);
    if (violations.length > 0)
      throw refuse(
        FaultCodes.OutsideEnvelope,
        `${violations.join('; ')} (command ${input.commandId}, device ${input.deviceId})`,
      );

    const now = clock.now();
    const command = {
      commandId: input.commandId,
      deviceId: input.deviceId,
      command: input.step.command,
      parameters,
      issuedAt: now,
      deadline: now + input.step.timeout * 1000,
      campaignId: input.campaignId,
      experimentId: input.experimentId,
    };
    store.recordCommandSent(command, input.step.name);
    runDir.append(
      {
        type: 'command.sent',
        commandId: command.commandId,
        deviceId: command.deviceId,
        command: command.command,
        parameters,
      },
      now,
      'runtime',
    );
    try {
      const result = await bus.dispatch(command, signal);
      store.recordCommandOutcome(
        command.commandId,
        { status: 'result', output: result.output, firmware: result.firmware },
        clock.now(),
      );
      return { output: result.output, firmware: result.firmware };
    } catch (error) {
      if (error instanceof StepFaultError)
        store.recordCommandOutcome(command.commandId, { status: 'fault', error: error.fault }, clock.now());
      throw error;
    }
  });
}

async function runExperiment(
  deps: CampaignDeps,
  proposal: ExperimentProposal,
  signal: AbortSignal,
): Promise<Outcome> {
  const { store, runDir, clock, campaign, pool } = deps;
  const done = storedResult(deps, proposal.experimentId);
  if (done) return { experimentId: proposal.experimentId, result: done };

  store.setExperimentStatus(proposal.experimentId, 'running');
  runDir.append({ type: 'experiment.started', experimentId: proposal.experimentId }, clock.now(), 'runtime');
  const machine = experimentMachine.provide({
    actors: {
      acquireDevice: fromPromise<{ deviceId: string }, AcquireInput>(
        async ({ input, signal: stepSignal }) => {
          const sent = store.lastCommandOf(input.experimentId, input.step);
          const device = await pool.acquire(input.kind, input.command, input.experimentId, {
            signal: stepSignal,
            only: sent?.status === 'sent' ? sent.deviceId : undefined,
          });
          return { deviceId: device.deviceId };
        },
      ),
      deviceStep: deviceStep(deps),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: {
      campaignId: deps.campaignId,
      experimentId: proposal.experimentId,
      index: proposal.index,
      parameters: proposal.parameters,
      protocol: campaign.protocol,
    },
  });
  actor.on('device.released', (event) => pool.release(event.deviceId));
  const onAbort = () => actor.stop();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    actor.start();
    const result = await toPromise(actor);
    record(deps, proposal, result);
    return { experimentId: proposal.experimentId, result };
  } finally {
    signal.removeEventListener('abort', onAbort);
    pool.releaseHolder(proposal.experimentId);
  }
}

function record(deps: CampaignDeps, proposal: ExperimentProposal, result: ExperimentResult): void {
  const { store, runDir, clock } = deps;
  const at = clock.now();
  if (result.status === 'succeeded') {
    store.saveMeasurement({
      experimentId: proposal.experimentId,
      campaignId: deps.campaignId,
      values: result.values,
      steps: result.steps,
      devices: result.devices,
      workflowVersion: deps.workflowVersion,
      measuredAt: at,
    });
    runDir.append(
      {
        type: 'experiment.finished',
        experimentId: proposal.experimentId,
        status: 'succeeded',
        values: result.values,
      },
      at,
      'runtime',
    );
  } else {
    const error = { ...result.error, step: result.step };
    store.setExperimentStatus(proposal.experimentId, 'failed', { error, at });
    runDir.append(
      { type: 'experiment.finished', experimentId: proposal.experimentId, status: 'failed', error },
      at,
      'runtime',
    );
  }
}

/**
 * Decides one proposal: the policy gate, then — if the campaign's approval policy asks for it — a person, through
 * the approval desk. Decisions already in the store are reused, so a resumed campaign asks nobody twice.
 */
async function gate(
  deps: CampaignDeps,
  proposal: ExperimentProposal,
  signal: AbortSignal,
): Promise<GateDecision> {
  const { store, runDir, clock, campaign } = deps;
  const id = proposal.experimentId;
  const stored = store.experiment(id);
  if (stored?.status === 'rejected') return { verdict: 'rejected', reason: stored.reason ?? 'rejected' };
  if (stored && stored.status !== 'proposed' && stored.status !== 'awaiting-approval')
    return { verdict: 'approved', reason: 'approved before the campaign was resumed' };
  let decision: GateDecision;
  if (stored?.status === 'awaiting-approval') {
    decision = { verdict: 'approval-needed', reason: stored.reason ?? 'approval needed' };
  } else {
    decision = await gateProposal(campaign, proposal, (kind) =>
      deps.bus.devicesOfKind(kind).flatMap((d) => (d.descriptor ? [d.descriptor] : [])),
    );
    runDir.append(
      { type: 'gate.decided', experimentId: id, verdict: decision.verdict, reason: decision.reason },
      clock.now(),
      'gate',
    );
  }
  if (decision.verdict === 'approval-needed') {
    store.setExperimentStatus(id, 'awaiting-approval', { reason: decision.reason });
    runDir.append(
      { type: 'approval.requested', experimentId: id, reason: decision.reason },
      clock.now(),
      'gate',
      decision.reason,
    );
    const answer = await deps.approvals.request(
      id,
      decision.reason,
      campaign.approval.timeout * 1000,
      signal,
    );
    runDir.append(
      { type: 'approval.decided', experimentId: id, verdict: answer.verdict },
      clock.now(),
      answer.who,
      answer.why,
    );
    decision =
      answer.verdict === 'approved'
        ? { verdict: 'approved', reason: `approved by ${answer.who}` }
        : { verdict: 'rejected', reason: `rejected by ${answer.who}${answer.why ? `: ${answer.why}` : ''}` };
    if (decision.verdict === 'approved') store.setExperimentStatus(id, 'proposed');
  }
  if (decision.verdict === 'rejected')
    store.setExperimentStatus(id, 'rejected', { reason: decision.reason, at: clock.now() });
  return decision;
}

/**
 * The runtime's implementations of the campaign machine's named actors. Each is idempotent for a batch index:
 * proposals, gate decisions, finished experiments and told observations come from the store when they exist,
 * so a resumed campaign repeats nothing.
 */
export function campaignActors(deps: CampaignDeps) {
  const { store, runDir, clock, campaign, planner, campaignId } = deps;
  return {
    planBatch: fromPromise<ExperimentProposal[], { batchIndex: number; count: number }>(async ({ input }) => {
      const existing = store.experimentsOfBatch(campaignId, input.batchIndex);
      if (existing.length > 0) return existing;
      const pending = store.pendingParameters(campaignId);
      const drafts = await planner.ask(input.count, pending);
      const now = clock.now();
      const proposals = proposalsFrom(drafts, {
        campaignId,
        first: store.proposalCount(campaignId),
        index: input.batchIndex,
        strategy: planner.strategy,
        at: now,
      });
      store.saveProposals(proposals, planner.toJSON());
      runDir.append(
        {
          type: 'planner.proposed',
          batch: input.batchIndex,
          experiments: proposals.map((p) => ({ experimentId: p.experimentId, parameters: p.parameters })),
        },
        now,
        `planner:${planner.strategy}`,
      );
      return proposals;
    }),

    gateBatch: fromPromise<
      { approved: ExperimentProposal[]; rejections: Rejection[] },
      { proposals: ExperimentProposal[] }
    >(async ({ input, signal }) => {
      const decisions = await Promise.all(input.proposals.map((proposal) => gate(deps, proposal, signal)));
      return {
        approved: input.proposals.filter((_, i) => decisions[i]?.verdict === 'approved'),
        rejections: input.proposals.flatMap((p, i) =>
          decisions[i]?.verdict === 'rejected'
            ? [{ experimentId: p.experimentId, reason: decisions[i].reason }]
            : [],
        ),
      };
    }),

    runBatch: fromPromise<Outcome[], { proposals: ExperimentProposal[] }>(({ input, signal }) =>
      Promise.all(input.proposals.map((proposal) => runExperiment(deps, proposal, signal))),
    ),

    recordBatch: fromPromise<CampaignProgress, { batchIndex: number }>(async ({ input }) => {
      if (!store.batchRecorded(campaignId, input.batchIndex)) {
        const observations = store
          .experimentsOfBatch(campaignId, input.batchIndex)
          .filter((e) => e.status === 'succeeded')
          .map((e) => ({
            parameters: e.parameters,
            values: store.measurement(e.experimentId)?.values as ObjectiveValues,
          }));
        planner.tell(observations);
        store.recordBatch(campaignId, input.batchIndex, planner.toJSON(), clock.now());
        store.anchorAudit(campaignId, runDir.log.head());
      }
      return store.progress(campaignId, campaign.objectives[0] as Campaign['objectives'][number]);
    }),
  };
}
