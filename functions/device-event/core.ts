import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeviceEvent } from '../../contracts/index.ts';
import { type SettleResult, sendFailure, sendHeartbeat, sendSuccess } from '../shared/settle.ts';
import { keys } from '../shared/table.ts';

/** What device-event works with. */
export interface DeviceEventDeps {
  db: DynamoDBDocumentClient;
  sfn: SFNClient;
  table: string;
}

/** What became of one event: `duplicate` and `settled` are normal (at-least-once delivery, late answers). */
export type DeviceEventResult =
  | { status: 'heartbeat' | 'succeeded' | 'failed'; commandId: string; settle: SettleResult }
  | { status: 'duplicate' | 'unknown-command'; commandId: string };

/**
 * Turns one device event into the waiting workflow task's outcome: `accepted`/`progress` are heartbeats,
 * `result` ends it with `{ output, firmware }`, `fault` fails it with the fault's code. The command's status
 * moves from `sent` exactly once (a conditional update), so a redelivered event is a `duplicate`, and a task
 * that already ended (a timeout won the race) counts as settled, never as an error. A settled command releases
 * its device's lease.
 */
export async function handleDeviceEvent(
  event: DeviceEvent,
  deps: DeviceEventDeps,
): Promise<DeviceEventResult> {
  const key = keys.command(event.commandId);
  if (event.type === 'accepted' || event.type === 'progress') {
    const stored = await deps.db.send(new GetCommand({ TableName: deps.table, Key: key }));
    const token = stored.Item?.taskToken as string | undefined;
    if (!token || stored.Item?.status !== 'sent')
      return { status: stored.Item ? 'duplicate' : 'unknown-command', commandId: event.commandId };
    return { status: 'heartbeat', commandId: event.commandId, settle: await sendHeartbeat(deps.sfn, token) };
  }
  const outcome =
    event.type === 'result'
      ? { status: 'result', value: { output: event.output } }
      : { status: 'fault', value: event.error };
  let item: Record<string, unknown>;
  try {
    const updated = await deps.db.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: key,
        UpdateExpression: 'SET #status = :status, outcome = :outcome, settledAt = :at',
        ConditionExpression: '#status = :sent',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': outcome.status,
          ':outcome': outcome.value,
          ':sent': 'sent',
          ':at': event.at,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    item = updated.Attributes ?? {};
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException)
      return { status: 'duplicate', commandId: event.commandId };
    throw error;
  }
  const token = String(item.taskToken);
  let settle: SettleResult;
  if (event.type === 'result') {
    const output = { output: event.output, firmware: String(item.firmware ?? 'unknown') };
    // The stored outcome is what a repeated dispatch of this command answers with.
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: key,
        UpdateExpression: 'SET outcome = :o',
        ExpressionAttributeValues: { ':o': output },
      }),
    );
    settle = await sendSuccess(deps.sfn, token, output);
  } else settle = await sendFailure(deps.sfn, token, event.error.code, JSON.stringify(event.error));
  if (typeof item.kind === 'string')
    await deps.db
      .send(
        new UpdateCommand({
          TableName: deps.table,
          Key: keys.device(item.kind, event.deviceId),
          UpdateExpression: 'REMOVE lease',
          ConditionExpression: 'lease.experimentId = :e',
          ExpressionAttributeValues: {
            ':e': (item.command as { experimentId?: string })?.experimentId ?? '',
          },
        }),
      )
      .catch((error: unknown) => {
        // Another experiment holds the device now: its lease is not ours to release.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  return { status: event.type === 'result' ? 'succeeded' : 'failed', commandId: event.commandId, settle };
}
