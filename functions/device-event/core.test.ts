import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handleDeviceEvent } from './core.ts';

const db = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const deps = {
  db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  sfn: new SFNClient({ region: 'eu-west-1' }),
  table: 'labloop',
};
const base = { commandId: 'c-e0001/mix/1', deviceId: 'lh-1', at: 5 };
const sent = {
  taskToken: 'token-1',
  status: 'sent',
  kind: 'liquid-handler',
  firmware: '3.1',
  command: { experimentId: 'c-e0001' },
};

describe('handleDeviceEvent', () => {
  beforeEach(() => {
    db.reset();
    sfn.reset();
  });

  it('turns accepted and progress into heartbeats of the waiting task', async () => {
    db.on(GetCommand).resolves({ Item: sent });
    expect(await handleDeviceEvent({ type: 'progress', fraction: 0.5, ...base }, deps)).toMatchObject({
      status: 'heartbeat',
      settle: 'sent',
    });
    expect(sfn.commandCalls(SendTaskHeartbeatCommand)[0]?.args[0].input).toEqual({ taskToken: 'token-1' });
  });

  it('settles a result once, stores it for repeats and releases the device lease', async () => {
    db.on(UpdateCommand).resolves({ Attributes: sent });
    const result = await handleDeviceEvent(
      { type: 'result', output: { r: 0.4 }, replay: false, ...base },
      deps,
    );
    expect(result).toEqual({ status: 'succeeded', commandId: base.commandId, settle: 'sent' });
    const [settle, store, release] = db.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(settle).toMatchObject({
      Key: { pk: 'CMD#c-e0001/mix/1', sk: 'CMD' },
      ConditionExpression: '#status = :sent',
      ExpressionAttributeValues: { ':status': 'result', ':sent': 'sent' },
    });
    expect(store).toMatchObject({
      ExpressionAttributeValues: { ':o': { output: { r: 0.4 }, firmware: '3.1' } },
    });
    expect(release).toMatchObject({
      Key: { pk: 'KIND#liquid-handler', sk: 'DEVICE#lh-1' },
      UpdateExpression: 'REMOVE lease',
      ExpressionAttributeValues: { ':e': 'c-e0001' },
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: 'token-1',
      output: JSON.stringify({ output: { r: 0.4 }, firmware: '3.1' }),
    });
  });

  it('fails the task with the fault code, the fault as cause', async () => {
    db.on(UpdateCommand).resolves({ Attributes: sent });
    const error = { code: 'DeviceBusy', message: 'busy', retryable: true };
    await handleDeviceEvent({ type: 'fault', error, replay: false, ...base }, deps);
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toEqual({
      taskToken: 'token-1',
      error: 'DeviceBusy',
      cause: JSON.stringify(error),
    });
  });

  it('treats a redelivered result as a duplicate and sends nothing', async () => {
    db.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'settled', $metadata: {} }));
    expect(await handleDeviceEvent({ type: 'result', output: {}, replay: true, ...base }, deps)).toEqual({
      status: 'duplicate',
      commandId: base.commandId,
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('treats a task that already timed out as settled, not as an error', async () => {
    db.on(UpdateCommand).resolves({ Attributes: sent });
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    expect(
      await handleDeviceEvent({ type: 'result', output: {}, replay: false, ...base }, deps),
    ).toMatchObject({
      status: 'succeeded',
      settle: 'settled',
    });
  });
});
