import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Objective, ObjectiveValues } from '../../contracts/design-space.ts';
import type { Fault } from '../../contracts/device.ts';
import type { ExperimentProposal } from '../../contracts/experiment.ts';
import { keys } from './table.ts';

/**
 * Where a cloud experiment is in its life (its `EXP#` item's `status`):
 * `proposed` (plan-next) → `approved` | `rejected` | `awaiting-approval` (policy-gate) → `approved` | `rejected`
 * (an operator, or the approval timeout) → `succeeded` | `failed` (plan-next's `recordBatch`, from the experiment
 * execution's output). The local store's `running` has no twin: the experiment execution is the running state.
 */
export type ExperimentItemStatus =
  | 'proposed'
  | 'approved'
  | 'rejected'
  | 'awaiting-approval'
  | 'succeeded'
  | 'failed';

/**
 * An `EXP#<experimentId>` item: the proposal, then the gate's decision (`reason`, `decidedAt`; `requestedAt` and
 * `expiresAt` while it waits for a person), then the outcome (`values`, `steps`, `devices` or `error`).
 */
export interface ExperimentItem extends ExperimentProposal {
  status: ExperimentItemStatus;
  reason?: string;
  decidedAt?: number;
  decidedBy?: string;
  requestedAt?: number;
  expiresAt?: number;
  values?: ObjectiveValues;
  steps?: Record<string, Record<string, unknown>>;
  devices?: unknown[];
  error?: Fault & { step: string };
  finishedAt?: number;
}

/** The best experiment so far, as the campaign machine's `best`. */
export interface BestSoFar {
  experimentId: string;
  parameters: ExperimentProposal['parameters'];
  value: number;
}

/** A campaign's totals, as the campaign machine's `recordBatch` output (`CampaignProgress`). */
export interface Progress {
  proposed: number;
  succeeded: number;
  failed: number;
  rejected: number;
  best?: BestSoFar;
}

/** Every experiment item of a campaign, in index order, read consistently (all pages). */
export async function experimentItems(
  db: DynamoDBDocumentClient,
  table: string,
  campaignId: string,
): Promise<ExperimentItem[]> {
  const items: ExperimentItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :exp)',
        ExpressionAttributeValues: { ':pk': keys.campaign(campaignId).pk, ':exp': 'EXP#' },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...((out.Items ?? []) as ExperimentItem[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items.sort((a, b) => a.index - b.index);
}

/** The proposal part of an item, as the workflow passes proposals around. */
export function proposalOf(item: ExperimentItem): ExperimentProposal {
  return {
    experimentId: item.experimentId,
    campaignId: item.campaignId,
    index: item.index,
    batch: item.batch,
    parameters: item.parameters,
    strategy: item.strategy,
    proposedAt: item.proposedAt,
  };
}

/**
 * Totals and best-so-far, computed as the local store computes them: every item counts as proposed; the best is
 * the succeeded experiment with the highest (maximise) or lowest (minimise) value of the objective, the lower index
 * winning a tie.
 */
export function progressOf(items: readonly ExperimentItem[], objective: Objective): Progress {
  const count = (status: ExperimentItemStatus) => items.filter((e) => e.status === status).length;
  let best: BestSoFar | undefined;
  for (const item of [...items].sort((a, b) => a.index - b.index)) {
    const value = item.status === 'succeeded' ? item.values?.[objective.name] : undefined;
    if (typeof value !== 'number') continue;
    const better =
      objective.goal === 'maximise' ? value > (best?.value ?? -Infinity) : value < (best?.value ?? Infinity);
    if (best === undefined || better)
      best = { experimentId: item.experimentId, parameters: item.parameters, value };
  }
  return {
    proposed: items.length,
    succeeded: count('succeeded'),
    failed: count('failed'),
    rejected: count('rejected'),
    ...(best ? { best } : {}),
  };
}
