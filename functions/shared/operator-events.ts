import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { keys } from './table.ts';

/**
 * An operator event queued by campaign-api: `PAUSE`, `PAUSE_NOW`, `RESUME`, `STOP`, `ABORT`, or `APPROVE` /
 * `REJECT` of one experiment; `by` is who (`operator:<name>`), `why` their reason.
 */
export interface OperatorEvent {
  type: string;
  seq: number;
  by?: string;
  why?: string;
  experimentId?: string;
}

/**
 * Takes a parked operator wait: deletes the campaign's `WAIT` item if it still holds `token`. False when the other
 * side (operator-await or campaign-api) took it first and answers the wait itself.
 */
export async function claimWait(
  db: DynamoDBDocumentClient,
  table: string,
  campaignId: string,
  token: string,
): Promise<boolean> {
  try {
    await db.send(
      new DeleteCommand({
        TableName: table,
        Key: keys.operatorWait(campaignId),
        ConditionExpression: 'taskToken = :t',
        ExpressionAttributeValues: { ':t': token },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/** Every queued operator event of a campaign, oldest first. */
export async function queuedEvents(
  db: DynamoDBDocumentClient,
  table: string,
  campaignId: string,
): Promise<OperatorEvent[]> {
  const out = await db.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ev)',
      ExpressionAttributeValues: { ':pk': keys.campaign(campaignId).pk, ':ev': 'EVENT#' },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((item) => ({
    type: String(item.type),
    seq: Number(item.seq),
    ...(typeof item.by === 'string' ? { by: item.by } : {}),
    ...(typeof item.why === 'string' ? { why: item.why } : {}),
    ...(typeof item.experimentId === 'string' ? { experimentId: item.experimentId } : {}),
  }));
}

/** Removes consumed events in one transaction; each must still exist, so two consumers never share one. */
export async function consumeEvents(
  db: DynamoDBDocumentClient,
  table: string,
  campaignId: string,
  events: readonly OperatorEvent[],
): Promise<void> {
  // DynamoDB transactions take at most 100 items; an operator queue is a handful.
  for (let i = 0; i < events.length; i += 100)
    await db.send(
      new TransactWriteCommand({
        TransactItems: events.slice(i, i + 100).map((e) => ({
          Delete: {
            TableName: table,
            Key: keys.operatorEvent(campaignId, e.seq),
            ConditionExpression: 'attribute_exists(pk)',
          },
        })),
      }),
    );
}
