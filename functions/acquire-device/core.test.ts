import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { acquireDevice } from './core.ts';

const db = mockClient(DynamoDBDocumentClient);
const deps = {
  db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  table: 'labloop',
  clock: { now: () => 10_000, setTimeout: () => 0, clearTimeout: () => {} },
  leaseSeconds: 60,
};
const descriptor = (deviceId: string) => ({
  deviceId,
  kind: 'plate-reader',
  model: 'sim',
  firmware: '1',
  heartbeat: 5,
  capabilities: [{ command: 'measure', description: '', parameters: {}, envelope: [] }],
});
const device = (deviceId: string, extra: Record<string, unknown> = {}) => ({
  deviceId,
  kind: 'plate-reader',
  online: true,
  descriptor: descriptor(deviceId),
  ...extra,
});
const payload = {
  actor: 'acquireDevice',
  state: 'acquiring',
  context: { campaignId: 'c', experimentId: 'c-e0001' },
  input: { kind: 'plate-reader', command: 'measure', experimentId: 'c-e0001', step: 'read' },
};

describe('acquireDevice', () => {
  beforeEach(() => db.reset());

  it('leases the first idle device with a conditional write', async () => {
    db.on(QueryCommand).resolves({
      Items: [device('pr-2'), device('pr-1', { lease: { experimentId: 'other', until: 20_000 } })],
    });
    expect(await acquireDevice(payload, deps)).toEqual({ deviceId: 'pr-2' });
    const update = db.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update).toMatchObject({
      Key: { pk: 'KIND#plate-reader', sk: 'DEVICE#pr-2' },
      ConditionExpression: 'attribute_not_exists(lease) OR lease.#until < :now OR lease.experimentId = :e',
      ExpressionAttributeValues: { ':lease': { experimentId: 'c-e0001', until: 70_000 }, ':now': 10_000 },
    });
  });

  it('moves on when another experiment wins the race, and says DeviceBusy when all are taken', async () => {
    db.on(QueryCommand).resolves({ Items: [device('pr-1'), device('pr-2')] });
    db.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'taken', $metadata: {} }));
    await expect(acquireDevice(payload, deps)).rejects.toMatchObject({
      name: 'DeviceBusy',
      fault: { retryable: true },
    });
    expect(db.commandCalls(UpdateCommand)).toHaveLength(2);
  });

  it('fails NoDeviceAvailable when no online device offers the command', async () => {
    db.on(QueryCommand).resolves({ Items: [device('pr-1', { online: false })] });
    await expect(acquireDevice(payload, deps)).rejects.toMatchObject({
      name: 'NoDeviceAvailable',
      message: expect.stringContaining('no online plate-reader offers \\"measure\\"'),
    });
  });

  it('rejects a malformed input naming the field', async () => {
    await expect(acquireDevice({ ...payload, input: { kind: 'plate-reader' } }, deps)).rejects.toThrow(
      'command: Invalid input: expected string, received undefined',
    );
  });
});
