import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ListExecutionsCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CampaignSchema } from '../../contracts/campaign.ts';
import { REQUIRED_ROLE } from '../../runtime/api/access.ts';
import { API_ROLES, type ApiRequest, type Principal } from '../shared/http-api.ts';
import { campaignApi } from './core.ts';
import { canonicalJson } from './schemas.ts';
import { seedOf } from './start.ts';

const db = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const iot = mockClient(IoTDataPlaneClient);
const NOW = 1_790_000_000_000;
const CAMPAIGN_SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Labloop-campaign';
const EXPERIMENT_SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Labloop-experiment';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:Labloop-campaign:colour-1';
const deps = {
  db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  sfn: new SFNClient({ region: 'eu-west-1' }),
  iot: new IoTDataPlaneClient({ region: 'eu-west-1' }),
  table: 'labloop',
  labId: 'lab-7',
  campaignStateMachineArn: CAMPAIGN_SM,
  experimentStateMachineArn: EXPERIMENT_SM,
  clock: { now: () => NOW },
};
const ana: Principal = { name: 'ana', role: 'operator' };
const vic: Principal = { name: 'vic', role: 'viewer' };
const amy: Principal = { name: 'amy', role: 'approver' };
const colour = parse(readFileSync(new URL('../../examples/colour-mixing.yaml', import.meta.url), 'utf8'));
const spec = CampaignSchema.parse(colour);
const input = {
  campaignId: 'colour-1',
  budget: { experiments: 48, failures: 12 },
  batchSize: 4,
  objective: { name: 'distance', goal: 'minimise', target: 0.01 },
  protocol: spec.protocol,
};
const request = (
  routeKey: string,
  principal: Principal,
  body?: unknown,
  campaignId = 'colour-1',
): ApiRequest => ({
  routeKey,
  params: routeKey.includes('{campaignId}') ? { campaignId } : {},
  body,
  principal,
});
const start = (principal = ana, campaign: unknown = colour) =>
  campaignApi(request('POST /api/campaigns', principal, { campaignId: 'colour-1', campaign }), deps);
const act = (body: unknown, principal = ana) =>
  campaignApi(request('POST /api/campaigns/{campaignId}/actions', principal, body), deps);
const failed = (name: string) => Object.assign(new Error(name), { name });
const running = () =>
  sfn
    .on(DescribeExecutionCommand)
    .resolves({ executionArn: EXECUTION, status: 'RUNNING', startDate: new Date(NOW) });

beforeEach(() => {
  db.reset();
  sfn.reset();
  iot.reset();
});

describe('campaign-api: start', () => {
  it('stores the campaign for the planner, then starts the execution named after the campaign id (201)', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date(NOW) });
    const answer = await start();
    expect(answer).toEqual({
      status: 201,
      body: {
        campaignId: 'colour-1',
        executionArn: EXECUTION,
        status: 'RUNNING',
        startedAt: new Date(NOW).toISOString(),
        created: true,
      },
    });
    const put = db.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      TableName: 'labloop',
      ConditionExpression: 'attribute_not_exists(digest)',
      Item: {
        pk: 'CAMPAIGN#colour-1',
        sk: 'META',
        campaignId: 'colour-1',
        labId: 'lab-7',
        spec,
        seed: 42,
        input,
        startedBy: 'operator:ana',
        startedAt: NOW,
      },
    });
    expect(put?.Item?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: CAMPAIGN_SM, name: 'colour-1', input: canonicalJson(input) },
    ]);
  });

  it('derives a stable seed from the campaign id when the file sets none', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date(NOW) });
    await start(ana, { ...colour, seed: undefined });
    expect(db.commandCalls(PutCommand)[0]?.args[0].input.Item?.seed).toBe(seedOf('colour-1'));
    expect(seedOf('colour-1')).toBe(seedOf('colour-1'));
    expect(seedOf('colour-1')).not.toBe(seedOf('colour-2'));
  });

  it('answers a repeated start of a running campaign with the same execution (200), starting nothing new', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date(NOW) });
    await start();
    const stored = db.commandCalls(PutCommand)[0]?.args[0].input.Item;
    db.reset();
    db.on(PutCommand).rejects(failed('ConditionalCheckFailedException'));
    db.on(GetCommand).resolves({ Item: stored });
    const again = await start();
    expect(again).toMatchObject({ status: 200, body: { executionArn: EXECUTION, created: false } });
  });

  it('answers a repeated start of a finished campaign with its execution (200): ExecutionAlreadyExists, same input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date(NOW) });
    await start();
    const stored = db.commandCalls(PutCommand)[0]?.args[0].input.Item;
    db.reset();
    sfn.reset();
    db.on(PutCommand).rejects(failed('ConditionalCheckFailedException'));
    db.on(GetCommand).resolves({ Item: stored });
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION,
      status: 'SUCCEEDED',
      startDate: new Date(NOW),
      input: JSON.stringify(input),
    });
    expect(await start()).toEqual({
      status: 200,
      body: {
        campaignId: 'colour-1',
        executionArn: EXECUTION,
        status: 'SUCCEEDED',
        startedAt: new Date(NOW).toISOString(),
        created: false,
      },
    });
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: EXECUTION });
  });

  it('refuses a different campaign under a started id (409) and starts nothing', async () => {
    db.on(PutCommand).rejects(failed('ConditionalCheckFailedException'));
    db.on(GetCommand).resolves({ Item: { digest: 'another', startedBy: 'operator:bob' } });
    running();
    await expect(start()).rejects.toMatchObject({
      name: 'ConflictError',
      message: expect.stringContaining('was started with a different campaign (by operator:bob)'),
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(db.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('takes over a claim whose execution never started', async () => {
    db.on(PutCommand).rejectsOnce(failed('ConditionalCheckFailedException')).resolves({});
    db.on(GetCommand).resolves({ Item: { digest: 'stale' } });
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'none', $metadata: {} }));
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date(NOW) });
    expect(await start()).toMatchObject({ status: 201 });
    expect(db.commandCalls(PutCommand)[1]?.args[0].input).toMatchObject({
      ConditionExpression: 'digest = :old',
      ExpressionAttributeValues: { ':old': 'stale' },
    });
  });

  it('refuses an execution that already ran with another input (409)', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', input: '{"campaignId":"colour-1"}' });
    await expect(start()).rejects.toMatchObject({ name: 'ConflictError' });
  });

  it('answers a bad campaign with a 400 naming every bad field, before any AWS call', async () => {
    const campaign = {
      ...colour,
      budget: { experiments: 0 },
      space: [{ name: 'x', type: 'continuous', low: 1, high: 0 }],
    };
    await expect(start(ana, campaign)).rejects.toMatchObject({
      name: 'ContractError',
      issues: [
        expect.stringMatching(/^campaign\.space\[0\]\.high: low must be less than high \(got /),
        'campaign.budget.experiments: Too small: expected number to be >=1 (got 0)',
      ],
    });
    await expect(
      campaignApi(request('POST /api/campaigns', ana, { campaignId: 'Colour 1', campaign: colour }), deps),
    ).rejects.toMatchObject({ issues: [expect.stringMatching(/^campaignId: must be lowercase letters/)] });
    expect(db.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses (400) a campaign the cloud planner cannot plan: constraints off the space, remote routes', async () => {
    const campaign = {
      ...colour,
      constraints: [{ type: 'sum', parameters: ['red', 'teal'], equals: 1 }],
      planner: {
        ...colour.planner,
        remote: { adapter: 'http', endpoint: 'https://planner.example.org/plan' },
      },
    };
    await expect(start(ana, campaign)).rejects.toMatchObject({
      name: 'ContractError',
      issues: [
        'campaign.constraints[0].parameters[1]: teal must be a linear-scale continuous parameter of the space, got no such parameter',
        'campaign.planner.remote: remote planning routes run on the local runtime only; the cloud plan-next Lambda plans with random, sobol or bo',
      ],
    });
    expect(db.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('lets only operators and approvers start campaigns', async () => {
    await expect(start(vic)).rejects.toMatchObject({
      name: 'ForbiddenError',
      message: 'vic is a viewer and may not start; that needs the operator role',
    });
  });
});

describe('campaign-api: operator actions', () => {
  const event = (type: string, seq: number, extra: Record<string, unknown> = {}) => ({
    pk: 'CAMPAIGN#colour-1',
    sk: `EVENT#${String(seq).padStart(8, '0')}`,
    type,
    seq,
    ...extra,
  });

  it('queues a pause under the next sequence number; nothing waits, so nothing is woken (202)', async () => {
    running();
    db.on(UpdateCommand).resolves({ Attributes: { eventSeq: 3 } });
    db.on(GetCommand).resolves({});
    expect(await act({ action: 'pause', why: '  refill the reservoir ' })).toEqual({
      status: 202,
      body: { ok: true, campaignId: 'colour-1', event: { type: 'PAUSE', seq: 3 }, delivered: false },
    });
    expect(db.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: 'labloop',
      Key: { pk: 'CAMPAIGN#colour-1', sk: 'META' },
      UpdateExpression: 'ADD eventSeq :one',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    });
    expect(db.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: 'labloop',
      Item: {
        pk: 'CAMPAIGN#colour-1',
        sk: 'EVENT#00000003',
        type: 'PAUSE',
        by: 'operator:ana',
        why: 'refill the reservoir',
        seq: 3,
        at: NOW,
        ttl: NOW / 1000 + 90 * 24 * 3600,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(db.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: 'labloop',
      Key: { pk: 'CAMPAIGN#colour-1', sk: 'WAIT' },
      ConsistentRead: true,
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('queues pause-now as PAUSE_NOW and stops the running experiments, so the batch ends at once', async () => {
    running();
    db.on(UpdateCommand).resolves({ Attributes: { eventSeq: 1 } });
    db.on(GetCommand).resolves({});
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          name: 'colour-1-e0005-m5d4rurf',
          executionArn: 'arn:x:colour-1-e0005-m5d4rurf',
          stateMachineArn: EXPERIMENT_SM,
          status: 'RUNNING',
          startDate: new Date(NOW),
        },
      ],
    });
    expect(await act({ action: 'pause-now' })).toMatchObject({
      body: {
        event: { type: 'PAUSE_NOW', seq: 1 },
        stopped: ['colour-1-e0005-m5d4rurf'],
        // No command of it was dispatched yet.
        interrupted: [],
      },
    });
    expect(db.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ type: 'PAUSE_NOW' });
    expect(sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: 'arn:x:colour-1-e0005-m5d4rurf',
      error: 'CampaignPausedNow',
      cause: 'campaign colour-1 was paused now by operator:ana',
    });
  });

  it('interrupts at the devices every command of the stopped experiments that was dispatched and not settled', async () => {
    running();
    db.on(UpdateCommand).resolves({ Attributes: { eventSeq: 2 } });
    db.on(GetCommand).resolves({});
    db.on(GetCommand, { Key: { pk: 'CAMPAIGN#colour-1', sk: 'META' } }).resolves({
      Item: { spec: { protocol: { steps: [{ name: 'mix' }, { name: 'read' }] } } },
    });
    const command = (commandId: string, status: string, deviceId: string) =>
      db.on(GetCommand, { Key: { pk: `CMD#${commandId}`, sk: 'CMD' } }).resolves({
        Item: {
          status,
          command: { commandId, deviceId, command: 'x', parameters: {}, issuedAt: 1, deadline: 2 },
        },
      });
    // e0005: mixed, its first read faulted, the second is in flight; e0006: its mix is in flight.
    command('colour-1-e0005/mix/1', 'result', 'lh-1');
    command('colour-1-e0005/read/1', 'fault', 'pr-1');
    command('colour-1-e0005/read/2', 'sent', 'pr-2');
    command('colour-1-e0006/mix/1', 'sent', 'lh-2');
    const execution = (name: string) => ({
      name,
      executionArn: `arn:x:${name}`,
      stateMachineArn: EXPERIMENT_SM,
      status: 'RUNNING' as const,
      startDate: new Date(NOW),
    });
    sfn.on(ListExecutionsCommand).resolves({
      executions: [execution('colour-1-e0005-m5d4rurf'), execution('colour-1-e0006-m5d4rurf')],
    });
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date(NOW) });
    iot.on(PublishCommand).resolves({});
    const interrupted = [
      {
        commandId: 'interrupt/lab-7/pr-2/colour-1-e0005/read/2',
        deviceId: 'pr-2',
        target: 'colour-1-e0005/read/2',
      },
      {
        commandId: 'interrupt/lab-7/lh-2/colour-1-e0006/mix/1',
        deviceId: 'lh-2',
        target: 'colour-1-e0006/mix/1',
      },
    ];
    expect(await act({ action: 'pause-now' })).toMatchObject({ body: { interrupted } });
    expect(
      iot.commandCalls(PublishCommand).map((c) => {
        const { payload, ...rest } = c.args[0].input;
        return { ...rest, payload: JSON.parse(new TextDecoder().decode(payload as Uint8Array)) };
      }),
    ).toEqual(
      interrupted.map((i) => ({
        topic: `labloop/lab-7/devices/${i.deviceId}/commands`,
        qos: 1,
        contentType: 'application/json',
        messageExpiry: 60,
        payload: {
          commandId: i.commandId,
          deviceId: i.deviceId,
          command: 'interrupt',
          parameters: { commandId: i.target },
          issuedAt: NOW,
          deadline: NOW + 60_000,
        },
      })),
    );
    // Each experiment was probed up to its first command never dispatched, with consistent reads.
    const reads = db.commandCalls(GetCommand).map((c) => c.args[0].input);
    expect(reads.filter((r) => String(r.Key?.pk).startsWith('CMD#')).map((r) => r.Key?.pk)).toEqual(
      expect.arrayContaining([
        'CMD#colour-1-e0005/read/3',
        'CMD#colour-1-e0006/mix/2',
        'CMD#colour-1-e0006/read/1',
      ]),
    );
    expect(reads.every((r) => r.ConsistentRead === true)).toBe(true);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(2);
  });

  it('sends no interrupt for an action that does not stop experiments', async () => {
    running();
    db.on(UpdateCommand).resolves({ Attributes: { eventSeq: 3 } });
    db.on(GetCommand).resolves({});
    expect((await act({ action: 'pause' })).body).not.toHaveProperty('interrupted');
    expect(iot.commandCalls(PublishCommand)).toHaveLength(0);
    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(0);
  });

  it('wakes a paused campaign: takes the parked token, consumes the events up to RESUME, answers the wait', async () => {
    running();
    db.on(UpdateCommand).resolves({ Attributes: { eventSeq: 5 } });
    db.on(GetCommand).resolves({
      Item: {
        pk: 'CAMPAIGN#colour-1',
        sk: 'WAIT',
        taskToken: 'tok-1',
        accepts: ['RESUME', 'STOP', 'ABORT'],
        state: 'paused',
      },
    });
    db.on(QueryCommand).resolves({ Items: [event('PAUSE', 4), event('RESUME', 5, { by: 'operator:ana' })] });
    expect(await act({ action: 'resume' })).toMatchObject({
      status: 202,
      body: { event: { type: 'RESUME', seq: 5 }, delivered: true },
    });
    expect(db.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({
      TableName: 'labloop',
      Key: { pk: 'CAMPAIGN#colour-1', sk: 'WAIT' },
      ConditionExpression: 'taskToken = :t',
      ExpressionAttributeValues: { ':t': 'tok-1' },
    });
    expect(
      db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.map((t) => t.Delete?.Key),
    ).toEqual([
      { pk: 'CAMPAIGN#colour-1', sk: 'EVENT#00000004' },
      { pk: 'CAMPAIGN#colour-1', sk: 'EVENT#00000005' },
    ]);
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input)).toEqual([
      { taskToken: 'tok-1', output: JSON.stringify({ type: 'RESUME' }) },
    ]);
  });

  it('leaves the wait to operator-await when it took the token back first', async () => {
    running();
    db.on(UpdateCommand).resolves({ Attributes: { eventSeq: 2 } });
    db.on(GetCommand).resolves({ Item: { taskToken: 'tok-1', accepts: ['RESUME'], state: 'paused' } });
    db.on(QueryCommand).resolves({ Items: [event('RESUME', 2)] });
    db.on(DeleteCommand).rejects(failed('ConditionalCheckFailedException'));
    expect(await act({ action: 'resume' })).toMatchObject({ body: { delivered: false } });
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('leaves a waiting state alone when it does not accept the event (the campaign drops it later)', async () => {
    running();
    db.on(UpdateCommand).resolves({ Attributes: { eventSeq: 2 } });
    db.on(GetCommand).resolves({
      Item: { taskToken: 'tok-1', accepts: ['RESUME', 'STOP'], state: 'paused' },
    });
    db.on(QueryCommand).resolves({ Items: [event('PAUSE', 2)] });
    expect(await act({ action: 'pause' })).toMatchObject({ body: { delivered: false } });
    expect(db.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('aborts: queues ABORT and stops the running experiments of this campaign only', async () => {
    running();
    db.on(UpdateCommand).resolves({ Attributes: { eventSeq: 9 } });
    db.on(GetCommand).resolves({});
    const execution = (name: string) => ({
      name,
      executionArn: `arn:aws:states:eu-west-1:123456789012:execution:Labloop-experiment:${name}`,
      stateMachineArn: EXPERIMENT_SM,
      status: 'RUNNING' as const,
      startDate: new Date(NOW),
    });
    sfn
      .on(ListExecutionsCommand)
      .resolvesOnce({
        executions: [execution('colour-1-e0001-m5d4rurf'), execution('colour-10-e0001-m5d4rurf')],
        nextToken: 'n',
      })
      .resolvesOnce({
        // Another campaign whose id starts the same, and a name of another form, are not this campaign's.
        executions: [
          execution('colour-1-e0002-m5d4rurf'),
          execution('colour-1-2-e0001-m5d4rurf'),
          execution('colour-1-e0003'),
        ],
      });
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date(NOW) });
    expect(await act({ action: 'abort', why: 'wrong plate' })).toMatchObject({
      body: {
        event: { type: 'ABORT', seq: 9 },
        stopped: ['colour-1-e0001-m5d4rurf', 'colour-1-e0002-m5d4rurf'],
      },
    });
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: EXPERIMENT_SM, statusFilter: 'RUNNING', maxResults: 1000 },
      { stateMachineArn: EXPERIMENT_SM, statusFilter: 'RUNNING', maxResults: 1000, nextToken: 'n' },
    ]);
    expect(sfn.commandCalls(StopExecutionCommand).map((c) => c.args[0].input)).toEqual(
      ['colour-1-e0001-m5d4rurf', 'colour-1-e0002-m5d4rurf'].map((name) => ({
        executionArn: `arn:aws:states:eu-west-1:123456789012:execution:Labloop-experiment:${name}`,
        error: 'CampaignAborted',
        cause: 'campaign colour-1 was aborted by operator:ana',
      })),
    );
  });

  it('queues approvals with the experiment for approvers only', async () => {
    await expect(act({ action: 'approve', experimentId: 'colour-1-e0004' }, ana)).rejects.toMatchObject({
      name: 'ForbiddenError',
      message: 'ana is a operator and may not approve; that needs the approver role',
    });
    running();
    db.on(UpdateCommand).resolves({ Attributes: { eventSeq: 6 } });
    db.on(GetCommand).resolves({});
    db.on(GetCommand, { Key: { pk: 'CAMPAIGN#colour-1', sk: 'EXP#colour-1-e0004' } }).resolves({
      Item: { status: 'awaiting-approval' },
    });
    expect(
      await act({ action: 'reject', experimentId: 'colour-1-e0004', why: 'too hot' }, amy),
    ).toMatchObject({
      status: 202,
      body: { event: { type: 'REJECT', seq: 6 } },
    });
    expect(db.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      type: 'REJECT',
      experimentId: 'colour-1-e0004',
      by: 'operator:amy',
      why: 'too hot',
    });
  });

  it('refuses a decision on a proposal that is not waiting for approval (409), queueing nothing', async () => {
    running();
    db.on(GetCommand).resolves({ Item: { status: 'approved' } });
    await expect(act({ action: 'approve', experimentId: 'colour-1-e0004' }, amy)).rejects.toMatchObject({
      name: 'ConflictError',
      message: 'experiment colour-1-e0004 of campaign colour-1 is not waiting for approval (it is approved)',
    });
    db.on(GetCommand).resolves({});
    await expect(act({ action: 'approve', experimentId: 'colour-1-e0099' }, amy)).rejects.toMatchObject({
      message: expect.stringContaining('(no such proposal)'),
    });
    expect(db.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: 'labloop',
      Key: { pk: 'CAMPAIGN#colour-1', sk: 'EXP#colour-1-e0004' },
      ConsistentRead: true,
    });
    expect(db.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(db.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('answers 400 naming the field, 404 for an unknown campaign and 409 after the end', async () => {
    await expect(act({ action: 'approve' }, amy)).rejects.toMatchObject({
      name: 'ContractError',
      issues: ['experimentId: Invalid input: expected string, received undefined (got nothing)'],
    });
    await expect(act({ action: 'emergency-stop' })).rejects.toMatchObject({ name: 'ContractError' });
    sfn
      .on(DescribeExecutionCommand)
      .rejectsOnce(new ExecutionDoesNotExist({ message: 'none', $metadata: {} }));
    await expect(act({ action: 'stop' })).rejects.toMatchObject({
      name: 'NotFoundError',
      message: 'no campaign colour-1 was started on this lab',
    });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    await expect(act({ action: 'stop' })).rejects.toMatchObject({
      name: 'ConflictError',
      message: 'cannot stop: campaign colour-1 has ended (SUCCEEDED)',
    });
    expect(db.calls()).toHaveLength(0);
  });
});

describe('campaign-api: reading', () => {
  it('reports a campaign: execution status, who started it, the wait and the queue', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'RUNNING',
      startDate: new Date(NOW),
    });
    db.on(GetCommand, { Key: { pk: 'CAMPAIGN#colour-1', sk: 'META' } }).resolves({
      Item: { startedBy: 'operator:ana' },
    });
    db.on(GetCommand, { Key: { pk: 'CAMPAIGN#colour-1', sk: 'WAIT' } }).resolves({
      Item: { taskToken: 't', accepts: ['RESUME', 'STOP', 'ABORT'], state: 'paused' },
    });
    db.on(QueryCommand).resolves({ Items: [{ type: 'PAUSE', seq: 1, by: 'operator:ana' }] });
    const answer = await campaignApi(request('GET /api/campaigns/{campaignId}', vic), deps);
    expect(answer).toEqual({
      status: 200,
      body: {
        campaignId: 'colour-1',
        status: 'RUNNING',
        startedAt: new Date(NOW).toISOString(),
        stoppedAt: undefined,
        startedBy: 'operator:ana',
        output: undefined,
        waiting: { state: 'paused', accepts: ['RESUME', 'STOP', 'ABORT'] },
        queued: [{ type: 'PAUSE', seq: 1, by: 'operator:ana' }],
        error: undefined,
        cause: undefined,
      },
    });
    expect(answer.body).not.toHaveProperty('waiting.taskToken');
  });

  it('lists campaigns and says who the caller is', async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          name: 'colour-1',
          executionArn: EXECUTION,
          stateMachineArn: CAMPAIGN_SM,
          status: 'SUCCEEDED',
          startDate: new Date(NOW),
          stopDate: new Date(NOW + 1000),
        },
      ],
    });
    expect(await campaignApi(request('GET /api/campaigns', vic), deps)).toEqual({
      status: 200,
      body: [
        {
          campaignId: 'colour-1',
          status: 'SUCCEEDED',
          startedAt: new Date(NOW).toISOString(),
          stoppedAt: new Date(NOW + 1000).toISOString(),
        },
      ],
    });
    expect(sfn.commandCalls(ListExecutionsCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: CAMPAIGN_SM,
      maxResults: 100,
    });
    expect(await campaignApi(request('GET /api/session', vic), deps)).toEqual({
      status: 200,
      body: { you: vic, lab: 'lab-7' },
    });
  });

  it('names the routes it answers for an unknown one', async () => {
    await expect(campaignApi(request('DELETE /api/campaigns', amy), deps)).rejects.toMatchObject({
      name: 'NotFoundError',
      message: expect.stringContaining('POST /api/campaigns/{campaignId}/actions'),
    });
  });
});

describe('campaign-api: emergency stop', () => {
  const stop = (body: unknown = { why: 'smoke in the enclosure' }, principal = ana) =>
    campaignApi(request('POST /api/lab/emergency-stop', principal, body), deps);
  const registry = (kind: string, devices: Array<[string, boolean]>) =>
    db
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': `KIND#${kind}` } })
      .resolves({ Items: devices.map(([deviceId, online]) => ({ deviceId, kind, online })) });

  beforeEach(() => {
    db.on(GetCommand, { Key: { pk: 'LAB', sk: 'KINDS' } }).resolves({
      Item: { pk: 'LAB', sk: 'KINDS', kinds: new Set(['plate-reader', 'liquid-handler']) },
    });
    registry('liquid-handler', [
      ['lh-1', true],
      ['lh-2', false],
    ]);
    registry('plate-reader', [['pr-1', true]]);
    db.on(PutCommand).resolves({});
    iot.on(PublishCommand).resolves({});
  });

  it('halts every online device of every registered kind first, then aborts every running campaign, and records it', async () => {
    sfn.on(ListExecutionsCommand, { stateMachineArn: CAMPAIGN_SM }).resolves({
      executions: [
        {
          name: 'colour-1',
          executionArn: EXECUTION,
          stateMachineArn: CAMPAIGN_SM,
          status: 'RUNNING',
          startDate: new Date(NOW),
        },
      ],
    });
    sfn.on(ListExecutionsCommand, { stateMachineArn: EXPERIMENT_SM }).resolves({ executions: [] });
    running();
    db.on(UpdateCommand).resolves({ Attributes: { eventSeq: 4 } });
    db.on(GetCommand, { Key: { pk: 'CAMPAIGN#colour-1', sk: 'WAIT' } }).resolves({});

    const answer = await stop();

    const halt = (deviceId: string) => ({
      commandId: `emergencyStop/lab-7/${deviceId}/${NOW}`,
      deviceId,
      command: 'emergencyStop',
      parameters: {},
      issuedAt: NOW,
      deadline: NOW + 60_000,
    });
    expect(
      iot.commandCalls(PublishCommand).map((c) => {
        const { payload, ...rest } = c.args[0].input;
        return { ...rest, payload: JSON.parse(new TextDecoder().decode(payload as Uint8Array)) };
      }),
    ).toEqual(
      ['lh-1', 'pr-1'].map((deviceId) => ({
        topic: `labloop/lab-7/devices/${deviceId}/commands`,
        qos: 1,
        payload: halt(deviceId),
        contentType: 'application/json',
        messageExpiry: 60,
      })),
    );
    expect(answer).toMatchObject({
      status: 202,
      body: {
        ok: true,
        at: NOW,
        by: 'operator:ana',
        halted: [
          { deviceId: 'lh-1', kind: 'liquid-handler', commandId: `emergencyStop/lab-7/lh-1/${NOW}` },
          { deviceId: 'pr-1', kind: 'plate-reader', commandId: `emergencyStop/lab-7/pr-1/${NOW}` },
        ],
        unreached: [],
        aborted: [{ campaignId: 'colour-1', event: { type: 'ABORT', seq: 4 }, stopped: [] }],
      },
    });
    expect(sfn.commandCalls(ListExecutionsCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: CAMPAIGN_SM,
      statusFilter: 'RUNNING',
      maxResults: 1000,
    });
    expect(db.commandCalls(PutCommand).map((c) => c.args[0].input.Item)).toContainEqual({
      pk: 'LAB',
      sk: `ESTOP#00${NOW}#operator:ana`,
      at: NOW,
      by: 'operator:ana',
      why: 'smoke in the enclosure',
      halted: ['lh-1', 'pr-1'],
      unreached: [],
      aborted: ['colour-1'],
    });
    expect(db.commandCalls(PutCommand).map((c) => c.args[0].input.Item)).toContainEqual(
      expect.objectContaining({
        pk: 'CAMPAIGN#colour-1',
        type: 'ABORT',
        by: 'operator:ana',
        why: 'smoke in the enclosure',
      }),
    );
  });

  it('works with no campaign running, and names a device it could not reach (502)', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    iot
      .on(PublishCommand, { topic: 'labloop/lab-7/devices/pr-1/commands' })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    expect(await stop({})).toMatchObject({
      status: 502,
      body: {
        ok: false,
        halted: [{ deviceId: 'lh-1' }],
        unreached: [{ deviceId: 'pr-1', kind: 'plate-reader', error: 'ThrottlingException: Rate exceeded' }],
        aborted: [],
      },
    });
  });

  it('refuses viewers (403) and bad bodies (400) before sending anything', async () => {
    await expect(stop({ why: 'x' }, vic)).rejects.toMatchObject({
      name: 'ForbiddenError',
      message: 'vic is a viewer and may not emergency-stop; that needs the operator role',
    });
    await expect(stop({ reason: 'x' })).rejects.toMatchObject({
      name: 'ContractError',
      issues: [expect.stringMatching(/^\(root\): Unrecognized key: "reason"/)],
    });
    expect(iot.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('API roles', () => {
  it('require the same role as the local dashboard for every action both have', () => {
    for (const [action, role] of Object.entries(REQUIRED_ROLE))
      if (action in API_ROLES)
        expect({ action, role: API_ROLES[action as keyof typeof API_ROLES] }).toEqual({ action, role });
  });
});
