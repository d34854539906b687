import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../contracts/index.ts';
import { dispatchCommand } from './core.ts';

const db = mockClient(DynamoDBDocumentClient);
const iot = mockClient(IoTDataPlaneClient);
const sfn = mockClient(SFNClient);
const clock: Clock = { now: () => 1_000_000, setTimeout: () => 0, clearTimeout: () => {} };
// mockClient patches the clients' prototypes: every instance below answers from the mocks.
const deps = {
  db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  iot: new IoTDataPlaneClient({ region: 'eu-west-1' }),
  sfn: new SFNClient({ region: 'eu-west-1' }),
  table: 'labloop',
  labId: 'lab-1',
  clock,
};

const descriptor = {
  deviceId: 'lh-1',
  kind: 'liquid-handler',
  model: 'sim',
  firmware: '3.1',
  heartbeat: 30,
  capabilities: [
    {
      command: 'mix',
      description: 'mix',
      parameters: {},
      envelope: [{ parameter: 'volume', unit: 'µL', min: 1, max: 1000, aggregate: 'each', allowZero: false }],
      resumable: true,
    },
  ],
};
const payload = (volume: number) => ({
  actor: 'deviceStep',
  state: 'running',
  context: { campaignId: 'c', experimentId: 'c-e0001' },
  taskToken: 'token-1',
  input: {
    commandId: 'c-e0001/mix/1',
    deviceId: 'lh-1',
    step: {
      name: 'mix',
      device: 'liquid-handler',
      command: 'mix',
      input: `{ "volume": proposal.v }`,
      timeout: 60,
      retry: { attempts: 1, backoff: 0 },
    },
    scope: {
      proposal: { v: volume },
      experiment: { id: 'c-e0001', index: 1, plate: 'plate-1', well: 'A2' },
      steps: {},
    },
    campaignId: 'c',
    experimentId: 'c-e0001',
  },
});

describe('dispatchCommand', () => {
  beforeEach(() => {
    db.reset();
    iot.reset();
    sfn.reset();
    db.on(GetCommand, { Key: { pk: 'KIND#liquid-handler', sk: 'DEVICE#lh-1' } }).resolves({
      Item: { deviceId: 'lh-1', kind: 'liquid-handler', online: true, descriptor },
    });
  });

  it('stores the task token with a conditional write and publishes the command with its expiry', async () => {
    const result = await dispatchCommand(payload(250), deps);
    expect(result.status).toBe('published');
    const put = db.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      TableName: 'labloop',
      Item: { pk: 'CMD#c-e0001/mix/1', sk: 'CMD', status: 'sent', taskToken: 'token-1', firmware: '3.1' },
      ConditionExpression: 'attribute_not_exists(pk) OR #status = :sent',
    });
    const publish = iot.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(publish).toMatchObject({
      topic: 'labloop/lab-1/devices/lh-1/commands',
      qos: 1,
      messageExpiry: 60,
    });
    expect(JSON.parse(new TextDecoder().decode(publish?.payload as Uint8Array))).toEqual({
      commandId: 'c-e0001/mix/1',
      deviceId: 'lh-1',
      command: 'mix',
      parameters: { volume: 250 },
      issuedAt: 1_000_000,
      deadline: 1_060_000,
      campaignId: 'c',
      experimentId: 'c-e0001',
    });
  });

  it('refuses a command outside the envelope before anything is stored or sent', async () => {
    await expect(dispatchCommand(payload(1500), deps)).rejects.toMatchObject({
      name: 'OutsideEnvelope',
      fault: {
        code: 'OutsideEnvelope',
        message: expect.stringContaining('volume must be 1–1000 µL, got 1500'),
        retryable: false,
      },
    });
    expect(db.commandCalls(PutCommand)).toHaveLength(0);
    expect(iot.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('answers a command that already has an outcome from the store, without publishing again', async () => {
    db.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    db.on(GetCommand, { Key: { pk: 'CMD#c-e0001/mix/1', sk: 'CMD' } }).resolves({
      Item: { status: 'result', outcome: { output: { ok: true }, firmware: '3.1' } },
    });
    expect(await dispatchCommand(payload(250), deps)).toEqual({
      status: 'answered',
      commandId: 'c-e0001/mix/1',
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: 'token-1',
      output: JSON.stringify({ output: { ok: true }, firmware: '3.1' }),
    });
    expect(iot.commandCalls(PublishCommand)).toHaveLength(0);
    // Nothing was sent, so no device event will release the lease taken for it: dispatch releases it.
    expect(db.commandCalls(UpdateCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: 'labloop',
        Key: { pk: 'KIND#liquid-handler', sk: 'DEVICE#lh-1' },
        UpdateExpression: 'REMOVE lease',
        ConditionExpression: 'lease.experimentId = :e',
        ExpressionAttributeValues: { ':e': 'c-e0001' },
      },
    ]);
  });
});
