import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { Clock } from '../../contracts/clock.ts';
import type { DeviceDescriptor } from '../../contracts/device.ts';
import { parseWith } from '../../contracts/errors.ts';
import type { ExperimentProposal, GateDecision } from '../../contracts/experiment.ts';
// The local runtime's gate itself, imported by path: it imports only leaf modules (ADR 0006).
import { gateProposal } from '../../runtime/policy-gate.ts';
import { TaskFaultError } from '../errors.ts';
import { decideApproval } from '../shared/approval-decisions.ts';
import { type CampaignSpec, campaignSpecOf } from '../shared/campaign-spec.ts';
import { ExperimentProposalSchema } from '../shared/contracts.mini.ts';
import { devicesOfKind } from '../shared/devices.ts';
import { type ExperimentItem, experimentItems } from '../shared/experiment-items.ts';
import { consumeEvents, type OperatorEvent, queuedEvents } from '../shared/operator-events.ts';
import { keys } from '../shared/table.ts';
import type { TaskPayload } from '../shared/task-payload.ts';

/** The `gateBatch` actor's input, as the compiled campaign sends it. */
export const GateInputSchema = z.object({ proposals: z.array(ExperimentProposalSchema) });

/** What policy-gate works with. */
export interface GateDeps {
  db: DynamoDBDocumentClient;
  table: string;
  clock: Clock;
}

/** The `gateBatch` actor's output: the approved proposals, in order, and why the others were refused. */
export interface GateOutput {
  approved: ExperimentProposal[];
  rejections: Array<{ experimentId: string; reason: string }>;
}

/**
 * Fault code (retryable): some proposals wait for a person. The compiled campaign retries the gate task on it
 * (workflows/asl/cloud-options.ts), and each retry answers from the stored decisions until none is waiting.
 */
export const APPROVAL_PENDING = 'ApprovalPending';

type Verdict = GateDecision | { verdict: 'waiting'; reason: string; expiresAt: number };

const NOT_WAITING = new Set(['proposed', 'awaiting-approval']);

/** Queued events that end a wait for approvals at once, as they cancel the local gate's approval requests. */
const INTERRUPTS = new Set(['ABORT', 'PAUSE_NOW']);

/** A decision already stored on the experiment's item, or what waiting for a person looks like now. */
function storedVerdict(item: ExperimentItem, now: number): Verdict | 'expired' | undefined {
  if (item.status === 'rejected') return { verdict: 'rejected', reason: item.reason ?? 'rejected' };
  if (!NOT_WAITING.has(item.status)) return { verdict: 'approved', reason: item.reason ?? 'approved' };
  if (item.status === 'awaiting-approval')
    return (item.expiresAt ?? 0) <= now
      ? 'expired'
      : { verdict: 'waiting', reason: item.reason ?? 'approval needed', expiresAt: item.expiresAt ?? 0 };
  return undefined;
}

async function readItem(deps: GateDeps, campaignId: string, experimentId: string): Promise<ExperimentItem> {
  const out = await deps.db.send(
    new GetCommand({
      TableName: deps.table,
      Key: keys.experiment(campaignId, experimentId),
      ConsistentRead: true,
    }),
  );
  if (!out.Item) throw unknownExperiment(campaignId, experimentId);
  return out.Item as ExperimentItem;
}

function unknownExperiment(campaignId: string, experimentId: string): TaskFaultError {
  return new TaskFaultError({
    code: 'UnknownExperiment',
    message: `${experimentId} has no EXP item in campaign ${campaignId}; only plan-next's proposals pass the gate`,
    retryable: false,
  });
}

/** Writes the gate's first decision on a `proposed` experiment; false when another writer decided first. */
async function storeDecision(
  deps: GateDeps,
  campaign: CampaignSpec,
  proposal: ExperimentProposal,
  decision: GateDecision,
): Promise<boolean> {
  const now = deps.clock.now();
  const fields: Record<string, unknown> =
    decision.verdict === 'approval-needed'
      ? {
          status: 'awaiting-approval',
          reason: decision.reason,
          requestedAt: now,
          expiresAt: now + campaign.spec.approval.timeout * 1000,
        }
      : { status: decision.verdict, reason: decision.reason, decidedBy: 'gate', decidedAt: now };
  const names = Object.keys(fields);
  try {
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: keys.experiment(proposal.campaignId, proposal.experimentId),
        UpdateExpression: `SET ${names.map((n) => `#${n} = :${n}`).join(', ')}`,
        ConditionExpression: '#status = :proposed',
        ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
        ExpressionAttributeValues: {
          ...Object.fromEntries(names.map((n) => [`:${n}`, fields[n]])),
          ':proposed': 'proposed',
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * One proposal's verdict: the stored one when there is one (a re-invoked task, a retry while a person decides),
 * else the local runtime's {@link gateProposal}, stored with a conditional write. An `approval-needed` proposal
 * is parked as `awaiting-approval` with its deadline; when the deadline passes with no decision, the gate rejects
 * it as the local approval desk does.
 */
async function decide(
  deps: GateDeps,
  campaign: CampaignSpec,
  proposal: ExperimentProposal,
  item: ExperimentItem,
  descriptorsOf: (kind: string) => DeviceDescriptor[],
): Promise<Verdict> {
  for (let attempt = 0; ; attempt++) {
    const now = deps.clock.now();
    const stored = storedVerdict(item, now);
    if (stored === 'expired') {
      const why = `no decision within ${campaign.spec.approval.timeout} s`;
      await decideApproval(
        deps.db,
        deps.table,
        proposal.campaignId,
        proposal.experimentId,
        { verdict: 'rejected', who: 'runtime', why },
        now,
      );
    } else if (stored) return stored;
    else {
      const decision = await gateProposal(campaign.spec, proposal, descriptorsOf);
      if (await storeDecision(deps, campaign, proposal, decision))
        return decision.verdict === 'approval-needed'
          ? {
              verdict: 'waiting',
              reason: decision.reason,
              expiresAt: now + campaign.spec.approval.timeout * 1000,
            }
          : decision;
    }
    // Someone else wrote the item meanwhile (an operator, a concurrent invocation): decide from what is stored.
    if (attempt >= 3)
      throw new Error(`the EXP item of ${proposal.experimentId} kept changing while the gate decided it`);
    item = await readItem(deps, proposal.campaignId, proposal.experimentId);
  }
}

/**
 * Applies the `APPROVE` / `REJECT` events campaign-api queued for experiments that wait for a person, and consumes
 * them; returns the items as they are now. Events for experiments that do not wait stay queued, for the campaign's
 * inbox to drop, as the local approval desk refuses a decision on a proposal that is not waiting.
 */
async function applyOperatorDecisions(
  deps: GateDeps,
  campaignId: string,
  queued: readonly OperatorEvent[],
  items: Map<string, ExperimentItem>,
): Promise<Map<string, ExperimentItem>> {
  const decisions = queued.filter(
    (e) =>
      (e.type === 'APPROVE' || e.type === 'REJECT') &&
      e.experimentId !== undefined &&
      items.get(e.experimentId)?.status === 'awaiting-approval',
  );
  if (decisions.length === 0) return items;
  for (const event of decisions)
    await decideApproval(
      deps.db,
      deps.table,
      campaignId,
      event.experimentId as string,
      {
        verdict: event.type === 'APPROVE' ? 'approved' : 'rejected',
        who: event.by ?? 'operator',
        why: event.why,
      },
      deps.clock.now(),
    );
  try {
    await consumeEvents(deps.db, deps.table, campaignId, decisions);
  } catch (error) {
    // A concurrent invocation of this task consumed them first, after applying the same decisions.
    if ((error as Error).name !== 'TransactionCanceledException') throw error;
  }
  return new Map((await experimentItems(deps.db, deps.table, campaignId)).map((e) => [e.experimentId, e]));
}

/**
 * `gateBatch` in the cloud: every proposal passes the same policy gate as on the local runtime (design space,
 * the catalogue's and every online device's envelope, the campaign's approval policy), with the device envelopes
 * from the registry. Decisions are stored on the experiments' items, so a re-invoked task answers the same.
 * While a proposal waits for a person the task fails `ApprovalPending` (retried by the workflow); a queued `ABORT`
 * or `PAUSE_NOW` ends the wait at once (the waiting proposals are left out and stay parked), as they cancel the
 * local campaign's approval requests.
 */
export async function gateBatch(payload: TaskPayload, deps: GateDeps): Promise<GateOutput> {
  const campaignId = payload.context.campaignId;
  const { proposals } = parseWith(GateInputSchema, payload.input, `gateBatch input of ${campaignId}`);
  const campaign = await campaignSpecOf(deps.db, deps.table, campaignId);
  const queued = await queuedEvents(deps.db, deps.table, campaignId);
  const items = await applyOperatorDecisions(
    deps,
    campaignId,
    queued,
    new Map((await experimentItems(deps.db, deps.table, campaignId)).map((e) => [e.experimentId, e])),
  );
  const descriptors = new Map<string, DeviceDescriptor[]>();
  for (const kind of new Set(campaign.spec.protocol.steps.map((s) => s.device)))
    descriptors.set(
      kind,
      (await devicesOfKind(deps.db, deps.table, kind)).flatMap((d) =>
        d.online && d.descriptor ? [d.descriptor] : [],
      ),
    );
  const descriptorsOf = (kind: string) => descriptors.get(kind) ?? [];

  const verdicts: Verdict[] = [];
  for (const proposal of proposals) {
    const item = items.get(proposal.experimentId);
    if (!item) throw unknownExperiment(campaignId, proposal.experimentId);
    verdicts.push(await decide(deps, campaign, proposal, item, descriptorsOf));
  }

  const waiting = proposals.filter((_, i) => verdicts[i]?.verdict === 'waiting');
  if (waiting.length > 0) {
    if (!queued.some((e) => INTERRUPTS.has(e.type))) {
      const soonest = Math.min(...verdicts.flatMap((v) => (v.verdict === 'waiting' ? [v.expiresAt] : [])));
      throw new TaskFaultError({
        code: APPROVAL_PENDING,
        message: `${waiting.map((p) => p.experimentId).join(', ')} of campaign ${campaignId} wait for a person to approve them (the first is rejected at ${new Date(soonest).toISOString()} if nobody decides)`,
        retryable: true,
      });
    }
  }
  return {
    approved: proposals.filter((_, i) => verdicts[i]?.verdict === 'approved'),
    rejections: proposals.flatMap((p, i) => {
      const v = verdicts[i];
      return v?.verdict === 'rejected' ? [{ experimentId: p.experimentId, reason: v.reason }] : [];
    }),
  };
}
