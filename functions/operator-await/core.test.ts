import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { takeInbox } from '../operator-inbox/core.ts';
import { awaitOperator } from './core.ts';

const db = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const deps = {
  db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  sfn: new SFNClient({ region: 'eu-west-1' }),
  table: 'labloop',
};
const payload = (actor: string) => ({
  actor,
  state: 'paused',
  context: { campaignId: 'c1' },
  input: { accepts: ['RESUME', 'STOP'] },
  taskToken: 'tok',
});
const event = (type: string, seq: number) => ({ pk: 'CAMPAIGN#c1', sk: `EVENT#${seq}`, type, seq });

describe('awaitOperator', () => {
  beforeEach(() => {
    db.reset();
    sfn.reset();
  });

  it('answers at once with the first accepted queued event, dropping the ones before it', async () => {
    db.on(QueryCommand).resolves({ Items: [event('PAUSE', 1), event('RESUME', 2), event('STOP', 3)] });
    expect(await awaitOperator(payload('awaitOperator'), deps)).toEqual({
      status: 'answered',
      event: 'RESUME',
    });
    const deleted = db
      .commandCalls(TransactWriteCommand)[0]
      ?.args[0].input.TransactItems?.map((t) => t.Delete?.Key);
    expect(deleted).toEqual([
      { pk: 'CAMPAIGN#c1', sk: 'EVENT#00000001' },
      { pk: 'CAMPAIGN#c1', sk: 'EVENT#00000002' },
    ]);
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: 'tok',
      output: JSON.stringify({ type: 'RESUME' }),
    });
    expect(db.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('parks the token for campaign-api when nothing is queued', async () => {
    db.on(QueryCommand).resolves({ Items: [] });
    expect(await awaitOperator(payload('awaitOperator'), deps)).toEqual({ status: 'waiting' });
    expect(db.commandCalls(PutCommand)[0]?.args[0].input.Item).toEqual({
      pk: 'CAMPAIGN#c1',
      sk: 'WAIT',
      taskToken: 'tok',
      accepts: ['RESUME', 'STOP'],
      state: 'paused',
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('takes the token back and answers when an event slipped in while it parked', async () => {
    db.on(QueryCommand)
      .resolvesOnce({ Items: [] })
      .resolvesOnce({ Items: [event('STOP', 4)] })
      .resolves({ Items: [event('STOP', 4)] });
    expect(await awaitOperator(payload('awaitOperator'), deps)).toEqual({
      status: 'answered',
      event: 'STOP',
    });
    expect(db.commandCalls(DeleteCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'CAMPAIGN#c1', sk: 'WAIT' },
      ConditionExpression: 'taskToken = :t',
    });
  });
});

describe('takeInbox', () => {
  beforeEach(() => db.reset());

  it('returns the accepted events queued during a task and consumes all of them', async () => {
    db.on(QueryCommand).resolves({ Items: [event('RESUME', 1), event('STOP', 2), event('PAUSE', 3)] });
    expect(await takeInbox(payload('operatorInbox'), deps)).toEqual({
      events: [{ type: 'RESUME' }, { type: 'STOP' }],
    });
    expect(db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems).toHaveLength(3);
  });
});
