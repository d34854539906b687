import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { recordDeviceStatus } from './core.ts';

const db = mockClient(DynamoDBDocumentClient);
const deps = {
  db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  table: 'labloop',
};

const descriptor = {
  deviceId: 'lh-1',
  kind: 'liquid-handler',
  model: 'LH-9',
  firmware: '3.1',
  heartbeat: 5,
  capabilities: [
    {
      command: 'mix',
      description: 'Mixes.',
      parameters: {},
      envelope: [{ parameter: 'volume', unit: 'µL', max: 300 }],
      resumable: false,
    },
  ],
};
/** The descriptor as the registry stores it: the contract's defaults applied. */
const stored = {
  ...descriptor,
  capabilities: [
    {
      ...descriptor.capabilities[0],
      envelope: [{ parameter: 'volume', unit: 'µL', max: 300, aggregate: 'each', allowZero: false }],
    },
  ],
};

/** A message as the status topic rule sends it: the payload base64-encoded, the topic's device, IoT's time. */
const ruleMessage = (payload: unknown, receivedAt = 2_000, deviceId = 'lh-1') => ({
  payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString('base64'),
  deviceId,
  receivedAt,
});
const online = (at = 1_950) => ruleMessage({ state: 'online', deviceId: 'lh-1', at, descriptor });
const will = (receivedAt = 3_000) => ruleMessage({ state: 'offline', deviceId: 'lh-1' }, receivedAt);

/** What DynamoDB answers a failed condition with `ReturnValuesOnConditionCheckFailure: ALL_OLD`. */
const conditionFailed = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item ? { Item: item as never } : {}),
  });
const registered = { certificateArn: { S: 'arn:aws:iot:eu-west-1:1:cert/abc' }, at: { N: '2500' } };

const sent = () => db.calls().map((c) => c.args[0].constructor.name);
const input = <T>(command: new (...args: never[]) => T, i = 0) =>
  db.commandCalls(command as never)[i]?.args[0].input;

describe('recordDeviceStatus', () => {
  beforeEach(() => db.reset());

  it('marks a registered device online with its descriptor, conditional on a later receive time, and records its kind', async () => {
    db.on(UpdateCommand).resolves({});
    db.on(PutCommand).resolves({});
    expect(await recordDeviceStatus(online(), deps)).toEqual({
      status: 'applied',
      deviceId: 'lh-1',
      kind: 'liquid-handler',
      online: true,
    });
    expect(sent()).toEqual(['UpdateCommand', 'PutCommand']);
    expect(input(UpdateCommand)).toEqual({
      TableName: 'labloop',
      Key: { pk: 'KIND#liquid-handler', sk: 'DEVICE#lh-1' },
      UpdateExpression:
        'SET deviceId = :deviceId, kind = :kind, descriptor = :descriptor, online = :online, #at = :at, deviceAt = :deviceAt',
      ConditionExpression: 'attribute_exists(certificateArn) AND (attribute_not_exists(#at) OR #at < :at)',
      ExpressionAttributeNames: { '#at': 'at' },
      ExpressionAttributeValues: {
        ':deviceId': 'lh-1',
        ':kind': 'liquid-handler',
        ':descriptor': stored,
        ':online': true,
        ':at': 2_000,
        ':deviceAt': 1_950,
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(input(PutCommand)).toEqual({
      TableName: 'labloop',
      Item: { pk: 'DEVICE#lh-1', sk: 'KIND', deviceId: 'lh-1', kind: 'liquid-handler' },
    });
  });

  it('marks the device offline on its last will, finding the kind by device id, with no device time', async () => {
    db.on(GetCommand).resolves({ Item: { pk: 'DEVICE#lh-1', sk: 'KIND', kind: 'liquid-handler' } });
    db.on(UpdateCommand).resolves({});
    expect(await recordDeviceStatus(will(), deps)).toEqual({
      status: 'applied',
      deviceId: 'lh-1',
      kind: 'liquid-handler',
      online: false,
    });
    expect(sent()).toEqual(['GetCommand', 'UpdateCommand']);
    expect(input(GetCommand)).toEqual({
      TableName: 'labloop',
      Key: { pk: 'DEVICE#lh-1', sk: 'KIND' },
      ConsistentRead: true,
    });
    expect(input(UpdateCommand)).toEqual({
      TableName: 'labloop',
      Key: { pk: 'KIND#liquid-handler', sk: 'DEVICE#lh-1' },
      UpdateExpression: 'SET online = :online, #at = :at REMOVE deviceAt',
      ConditionExpression: 'attribute_exists(certificateArn) AND (attribute_not_exists(#at) OR #at < :at)',
      ExpressionAttributeNames: { '#at': 'at' },
      ExpressionAttributeValues: { ':online': false, ':at': 3_000 },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it("keeps the device's own time of a graceful offline", async () => {
    db.on(GetCommand).resolves({ Item: { kind: 'liquid-handler' } });
    db.on(UpdateCommand).resolves({});
    await recordDeviceStatus(ruleMessage({ state: 'offline', deviceId: 'lh-1', at: 2_990 }, 3_000), deps);
    expect(input(UpdateCommand)).toMatchObject({
      UpdateExpression: 'SET online = :online, #at = :at, deviceAt = :deviceAt',
      ExpressionAttributeValues: { ':online': false, ':at': 3_000, ':deviceAt': 2_990 },
    });
  });

  it('changes nothing for a status the registry already has or has overtaken (duplicate, reordered delivery)', async () => {
    db.on(GetCommand).resolves({ Item: { kind: 'liquid-handler' } });
    db.on(UpdateCommand).rejects(conditionFailed(registered));
    db.on(PutCommand).resolves({});
    // The will received at 2,400 arrives after the online received at 2,500: the device stays online.
    expect(await recordDeviceStatus(will(2_400), deps)).toEqual({
      status: 'stale',
      deviceId: 'lh-1',
      kind: 'liquid-handler',
      online: false,
      reason: 'the registry holds a status of lh-1 received at 2500, not before this one (2400)',
    });
    expect(sent()).toEqual(['GetCommand', 'UpdateCommand']);
    db.resetHistory();
    // A redelivered online still records the kind, in case the first delivery failed before doing so.
    expect(await recordDeviceStatus(online(), deps)).toMatchObject({ status: 'stale', online: true });
    expect(sent()).toEqual(['UpdateCommand', 'PutCommand']);
  });

  it('drops the online status of a device not registered as the kind it announces, writing nothing', async () => {
    db.on(UpdateCommand).rejects(conditionFailed());
    expect(await recordDeviceStatus(online(), deps)).toEqual({
      status: 'dropped',
      deviceId: 'lh-1',
      reason:
        'device lh-1 is not registered as a liquid-handler (no KIND#liquid-handler/DEVICE#lh-1 item with a certificate); register it with POST /api/devices',
    });
    expect(sent()).toEqual(['UpdateCommand']);
    db.reset();
    // An item left by a registration that never finished has no certificate.
    db.on(UpdateCommand).rejects(conditionFailed({ registering: { M: {} } }));
    expect(await recordDeviceStatus(online(), deps)).toMatchObject({ status: 'dropped' });
    expect(db.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('drops the offline status of a device never seen online: it is offline already', async () => {
    db.on(GetCommand).resolves({});
    expect(await recordDeviceStatus(will(), deps)).toEqual({
      status: 'dropped',
      deviceId: 'lh-1',
      reason: 'device lh-1 has never been online (no DEVICE#lh-1/KIND item): it is offline already',
    });
    expect(sent()).toEqual(['GetCommand']);
  });

  it.each([
    ['a payload that is not JSON', ruleMessage('online!'), /^payload is not JSON \(.*\): "online!"$/],
    [
      'a payload that is not a status',
      ruleMessage({ state: 'online', deviceId: 'lh-1', at: 5 }),
      /^payload is not a device status: descriptor: /,
    ],
    [
      'a status naming another device than its topic',
      ruleMessage({ state: 'offline', deviceId: 'lh-2' }),
      /^payload names device lh-2 but was published on the status topic of lh-1$/,
    ],
    [
      'a descriptor naming another device',
      ruleMessage({
        state: 'online',
        deviceId: 'lh-1',
        at: 5,
        descriptor: { ...descriptor, deviceId: 'lh-2' },
      }),
      /^descriptor names device lh-2, expected lh-1 \(its status topic\)$/,
    ],
    [
      'a message the rule did not make',
      { payload: 'e30=', deviceId: 'lh-1' },
      /^not a status rule message \(payload, deviceId, receivedAt\): receivedAt: /,
    ],
  ])('drops %s with the reason, touching nothing', async (_, message, reason) => {
    const outcome = await recordDeviceStatus(message, deps);
    expect(outcome).toMatchObject({ status: 'dropped', deviceId: 'lh-1' });
    expect((outcome as { reason: string }).reason).toMatch(reason);
    expect(sent()).toEqual([]);
  });

  it('throws when DynamoDB fails, so the record is retried', async () => {
    db.on(UpdateCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(recordDeviceStatus(online(), deps)).rejects.toThrow('Rate exceeded');
  });
});
