import { GetCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { parseWith } from '../../contracts/errors.ts';
import type { ExperimentProposal } from '../../contracts/experiment.ts';
import { TaskFaultError } from '../errors.ts';
import { type CampaignSpec, campaignSpecOf } from '../shared/campaign-spec.ts';
import { FaultSchema } from '../shared/contracts.mini.ts';
import { experimentItems, type Progress, progressOf } from '../shared/experiment-items.ts';
import { keys } from '../shared/table.ts';
import type { TaskPayload } from '../shared/task-payload.ts';
import { lostRace, type PlanNextDeps, plannerItem, plannerOf, plannerWrite } from './plan.ts';

/** The `recordBatch` actor's input, as the compiled campaign sends it. */
export const RecordInputSchema = z.object({ batchIndex: z.int().check(z.gte(0)) });

/** An experiment execution's output: the experiment machine's `ExperimentResult`. */
export const ExperimentResultSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('succeeded'),
    values: z.record(z.string(), z.number()),
    steps: z.record(z.string(), z.record(z.string(), z.unknown())),
    devices: z.array(z.unknown()),
  }),
  z.object({
    status: z.literal('failed'),
    step: z.string(),
    error: FaultSchema,
    devices: z.array(z.unknown()),
  }),
]);

/**
 * What the compiled campaign adds to `recordBatch`'s payload (`payloadExtras` in workflows/asl/cloud-options.ts):
 * the batch Map's outputs and the ids of the experiments it ran, in the same order.
 */
export const RecordExtraSchema = z.object({
  outcomes: z.array(ExperimentResultSchema),
  experimentIds: z.array(z.string().check(z.minLength(1))),
});

/** Fault code: a `recordBatch` payload whose outcomes do not match the batch's approved experiments. */
export const OUTCOMES_MISMATCH = 'OutcomesMismatch';
/** Fault code: `recordBatch` for a batch that was never planned. */
export const BATCH_NOT_PLANNED = 'BatchNotPlanned';

type ExperimentResult = z.infer<typeof ExperimentResultSchema>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The write that stores one experiment's outcome; only an experiment the gate approved can have one. */
function outcomeWrite(
  table: string,
  campaignId: string,
  experimentId: string,
  outcome: ExperimentResult,
  now: number,
): TransactItem {
  const fields: Record<string, unknown> =
    outcome.status === 'succeeded'
      ? { values: outcome.values, steps: outcome.steps }
      : { error: { ...outcome.error, step: outcome.step } };
  Object.assign(fields, { status: outcome.status, devices: outcome.devices, finishedAt: now });
  const names = Object.keys(fields);
  return {
    Update: {
      TableName: table,
      Key: keys.experiment(campaignId, experimentId),
      UpdateExpression: `SET ${names.map((n) => `#${n} = :${n}`).join(', ')}`,
      ConditionExpression: '#status = :approved',
      ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
      ExpressionAttributeValues: {
        ...Object.fromEntries(names.map((n) => [`:${n}`, fields[n]])),
        ':approved': 'approved',
      },
    },
  };
}

/**
 * `recordBatch` in the cloud: stores each experiment's outcome on its `EXP#` item, tells the planner the batch's
 * successful measurements (in index order, as the local actor does) and saves its state, all in one transaction
 * that also marks the `BATCH#` item recorded — so a re-invoked task tells the planner nothing twice — then returns
 * the campaign's progress, computed from the items as the local store computes it.
 */
export async function recordBatch(payload: TaskPayload, deps: PlanNextDeps): Promise<Progress> {
  const campaignId = payload.context.campaignId;
  const { batchIndex } = parseWith(RecordInputSchema, payload.input, `recordBatch input of ${campaignId}`);
  const campaign = await campaignSpecOf(deps.db, deps.table, campaignId);
  const objective = campaign.spec.objectives[0] as (typeof campaign.spec.objectives)[number];
  const batch = await deps.db.send(
    new GetCommand({ TableName: deps.table, Key: keys.batch(campaignId, batchIndex), ConsistentRead: true }),
  );
  if (!batch.Item)
    throw new TaskFaultError({
      code: BATCH_NOT_PLANNED,
      message: `campaign ${campaignId} has no batch ${batchIndex} to record`,
      retryable: false,
    });
  if (batch.Item.recordedAt === undefined)
    await record(payload, deps, campaign, batch.Item.proposals, batchIndex);
  return progressOf(await experimentItems(deps.db, deps.table, campaignId), objective);
}

async function record(
  payload: TaskPayload,
  deps: PlanNextDeps,
  campaign: CampaignSpec,
  proposals: ExperimentProposal[],
  batchIndex: number,
): Promise<void> {
  const campaignId = payload.context.campaignId;
  const { outcomes, experimentIds } = parseWith(
    RecordExtraSchema,
    payload.extra,
    `recordBatch outcomes of ${campaignId} batch ${batchIndex}`,
  );
  const inBatch = new Map(proposals.map((p) => [p.experimentId, p]));
  const strays = experimentIds.filter((id) => !inBatch.has(id));
  if (outcomes.length !== experimentIds.length || strays.length > 0)
    throw new TaskFaultError({
      code: OUTCOMES_MISMATCH,
      message: `batch ${batchIndex} of ${campaignId}: ${outcomes.length} outcomes for ${experimentIds.length} experiments${strays.length > 0 ? `, ${strays.join(', ')} not in the batch` : ''}; expected one outcome per approved experiment of ${[...inBatch.keys()].join(', ')}`,
      retryable: false,
    });
  const now = deps.clock.now();
  const results = experimentIds.map((id, i) => ({
    proposal: inBatch.get(id) as ExperimentProposal,
    outcome: outcomes[i] as z.infer<typeof ExperimentResultSchema>,
  }));
  // In index order, as the local actor tells the batch's experiments; the writes below follow the same order.
  results.sort((a, b) => a.proposal.index - b.proposal.index);
  const observations = results.flatMap(({ proposal, outcome }) =>
    outcome.status === 'succeeded' ? [{ parameters: proposal.parameters, values: outcome.values }] : [],
  );
  const stored = await plannerItem(deps, campaignId);
  const planner = plannerOf(campaign, stored);
  planner.tell(observations);
  try {
    await deps.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: deps.table,
              Key: keys.batch(campaignId, batchIndex),
              UpdateExpression: 'SET recordedAt = :now',
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(recordedAt)',
              ExpressionAttributeValues: { ':now': now },
            },
          },
          ...results.map(({ proposal, outcome }) =>
            outcomeWrite(deps.table, campaignId, proposal.experimentId, outcome, now),
          ),
          plannerWrite(deps, campaignId, stored, planner, stored?.nextIndex ?? 0),
        ],
      }),
    );
  } catch (error) {
    if (!lostRace(error)) throw error;
    // A concurrent invocation recorded the batch first: its progress is the same. Otherwise say which condition
    // failed: an experiment the gate did not approve (or already recorded), or a planner state written meanwhile.
    const again = await deps.db.send(
      new GetCommand({
        TableName: deps.table,
        Key: keys.batch(campaignId, batchIndex),
        ConsistentRead: true,
      }),
    );
    if (again.Item?.recordedAt !== undefined) return;
    const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
    const failed = (i: number) => reasons[i]?.Code === 'ConditionalCheckFailed';
    const unapproved = results.filter((_, i) => failed(i + 1)).map((r) => r.proposal.experimentId);
    const plannerMoved = failed(results.length + 1);
    throw new TaskFaultError(
      {
        code: OUTCOMES_MISMATCH,
        message: `batch ${batchIndex} of ${campaignId} was not recorded: ${
          [
            ...(unapproved.length > 0 ? [`${unapproved.join(', ')} not approved or already recorded`] : []),
            ...(plannerMoved
              ? [`the planner state changed since version ${stored?.version ?? 0} was read`]
              : []),
          ].join('; ') || 'a condition failed'
        }`,
        retryable: false,
      },
      { cause: error },
    );
  }
}
