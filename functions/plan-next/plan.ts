import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { Clock } from '../../contracts/clock.ts';
import { parseWith } from '../../contracts/errors.ts';
import type { ExperimentProposal } from '../../contracts/experiment.ts';
// Leaf modules, not planners/index.ts (ADR 0006): the local strategies without classic Zod or remote routes.
import { localPlanner } from '../../planners/local-planners.ts';
import type { Planner } from '../../planners/planner.ts';
import { LocalStateSchema } from '../../planners/state.ts';
import { proposalsFrom } from '../../workflows/proposals.ts';
import { TaskFaultError } from '../errors.ts';
import { type CampaignSpec, campaignSpecOf, plannerIssues, plannerSpecOf } from '../shared/campaign-spec.ts';
import { experimentItems } from '../shared/experiment-items.ts';
import { keys } from '../shared/table.ts';
import type { TaskPayload } from '../shared/task-payload.ts';

/** The `planBatch` actor's input, as the compiled campaign sends it. */
export const PlanInputSchema = z.object({
  batchIndex: z.int().check(z.gte(0)),
  count: z.int().check(z.gte(1), z.lte(96)),
});

/** What plan-next works with; clients are created once per cold start by the handler. */
export interface PlanNextDeps {
  db: DynamoDBDocumentClient;
  table: string;
  clock: Clock;
}

/** The `PLANNER` item: the planner's `toJSON()` as JSON text, a version for conditional writes, the next index. */
export interface PlannerItem {
  state: string;
  version: number;
  nextIndex: number;
}

/** The stored planner item, or none before the first batch. */
export async function plannerItem(deps: PlanNextDeps, campaignId: string): Promise<PlannerItem | undefined> {
  const out = await deps.db.send(
    new GetCommand({ TableName: deps.table, Key: keys.planner(campaignId), ConsistentRead: true }),
  );
  return out.Item as PlannerItem | undefined;
}

/** Fault code: the campaign's planner sections cannot make a planner on the cloud path. Not retryable. */
export const PLANNER_SPEC_INVALID = 'PlannerSpecInvalid';

/**
 * The campaign's planner: restored from its stored state (checked by `LocalStateSchema`; the spec is the
 * campaign's), or created from the campaign file and seed.
 */
export function plannerOf(campaign: CampaignSpec, stored: PlannerItem | undefined): Planner {
  const issues = plannerIssues(campaign.spec);
  if (issues.length > 0)
    throw new TaskFaultError({
      code: PLANNER_SPEC_INVALID,
      message: `the campaign's planner sections cannot make a planner:\n${issues.map((i) => `  - ${i}`).join('\n')}`,
      retryable: false,
    });
  const saved = stored && parseWith(LocalStateSchema, JSON.parse(stored.state), 'stored planner state');
  return localPlanner(plannerSpecOf(campaign), saved);
}

/**
 * The `PLANNER` write that goes with a batch: the new state and index, on the condition that nobody wrote since
 * `stored` was read (or that nothing was there).
 */
export function plannerWrite(
  deps: PlanNextDeps,
  campaignId: string,
  stored: PlannerItem | undefined,
  planner: Planner,
  nextIndex: number,
): NonNullable<TransactWriteCommandInput['TransactItems']>[number] {
  return {
    Put: {
      TableName: deps.table,
      Item: {
        ...keys.planner(campaignId),
        state: JSON.stringify(planner.toJSON()),
        version: (stored?.version ?? 0) + 1,
        nextIndex,
        updatedAt: deps.clock.now(),
      },
      ...(stored
        ? {
            ConditionExpression: 'version = :v',
            ExpressionAttributeValues: { ':v': stored.version },
          }
        : { ConditionExpression: 'attribute_not_exists(pk)' }),
    },
  };
}

/** Whether a transaction failed because one of its conditions did not hold (another invocation won). */
export function lostRace(error: unknown): boolean {
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
  return (
    (error as Error).name === 'TransactionCanceledException' &&
    (reasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed')
  );
}

async function storedBatch(
  deps: PlanNextDeps,
  campaignId: string,
  batch: number,
): Promise<ExperimentProposal[] | undefined> {
  const out = await deps.db.send(
    new GetCommand({ TableName: deps.table, Key: keys.batch(campaignId, batch), ConsistentRead: true }),
  );
  return out.Item?.proposals as ExperimentProposal[] | undefined;
}

/**
 * `planBatch` in the cloud: asks the campaign's planner for `count` proposals (given the experiments still
 * pending) and stores them in one transaction — the `BATCH#` item, one `EXP#` item per proposal and the planner's
 * new state — each write conditional, so a re-invoked task (a Lambda retry, a redriven execution) returns the
 * stored batch and the planner never proposes it twice. Experiment ids and indexes continue the campaign's count,
 * as the local store's do.
 */
export async function planBatch(payload: TaskPayload, deps: PlanNextDeps): Promise<ExperimentProposal[]> {
  const campaignId = payload.context.campaignId;
  const input = parseWith(PlanInputSchema, payload.input, `planBatch input of ${campaignId}`);
  const existing = await storedBatch(deps, campaignId, input.batchIndex);
  if (existing) return existing;

  const campaign = await campaignSpecOf(deps.db, deps.table, campaignId);
  const stored = await plannerItem(deps, campaignId);
  const planner = plannerOf(campaign, stored);
  // Proposed but not measured yet, as the local store's `pendingParameters` (proposed or running).
  const pending = (await experimentItems(deps.db, deps.table, campaignId))
    .filter((e) => e.status === 'proposed' || e.status === 'approved')
    .map((e) => e.parameters);
  const drafts = await planner.ask(input.count, pending);
  const first = stored?.nextIndex ?? 0;
  const now = deps.clock.now();
  const proposals = proposalsFrom(drafts, {
    campaignId,
    first,
    index: input.batchIndex,
    strategy: planner.strategy,
    at: now,
  });
  try {
    await deps.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: deps.table,
              Item: {
                ...keys.batch(campaignId, input.batchIndex),
                batch: input.batchIndex,
                proposals,
                plannedAt: now,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          ...proposals.map((p) => ({
            Put: {
              TableName: deps.table,
              Item: { ...keys.experiment(campaignId, p.experimentId), ...p, status: 'proposed' },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          })),
          plannerWrite(deps, campaignId, stored, planner, first + proposals.length),
        ],
      }),
    );
  } catch (error) {
    if (!lostRace(error)) throw error;
    // A concurrent invocation of the same task stored its batch first: that batch is the answer.
    const winner = await storedBatch(deps, campaignId, input.batchIndex);
    if (winner) return winner;
    throw error;
  }
  return proposals;
}
