import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Campaign, DeviceDescriptor, ExperimentProposal } from '../../contracts/index.ts';
import { deviceKinds } from '../../devices/index.ts';
import { gateProposal } from '../../runtime/index.ts';
import { gateBatch } from './core.ts';

const db = mockClient(DynamoDBDocumentClient);
const NOW = 1_700_000_000_000;
const deps = {
  db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  table: 'labloop',
  clock: { now: () => NOW, setTimeout: () => 0, clearTimeout: () => {} },
};
const spec = {
  space: [{ name: 'red', type: 'continuous', low: 0, high: 400, scale: 'linear' }],
  objectives: [{ name: 'distance', goal: 'minimise' }],
  constraints: [],
  planner: { strategy: 'sobol', batch: 4 },
  protocol: {
    steps: [
      {
        name: 'mix',
        device: 'liquid-handler',
        command: 'mix',
        input:
          '{ "plate": experiment.plate, "well": experiment.well, "volumes": { "red": proposal.red, "water": 300 - proposal.red } }',
        timeout: 600,
        retry: { attempts: 1, backoff: 0 },
      },
    ],
    output: '{ "distance": 1 }',
  },
  approval: { require: 'outside-limits', limits: [{ parameter: 'red', max: 100 }], timeout: 600 },
} as unknown as Campaign;
const descriptor: DeviceDescriptor = {
  deviceId: 'liquid-handler-1',
  kind: 'liquid-handler',
  model: 'sim',
  firmware: '1.0',
  heartbeat: 30,
  capabilities: [
    {
      command: 'mix',
      description: 'mix',
      parameters: {},
      envelope: [...deviceKinds['liquid-handler'].commands.mix.envelope],
      resumable: true,
    },
  ],
};
const proposal = (index: number, red: number): ExperimentProposal => ({
  experimentId: `c1-e${String(index).padStart(4, '0')}`,
  campaignId: 'c1',
  index,
  batch: 0,
  parameters: { red },
  strategy: 'sobol',
  proposedAt: NOW - 10,
});
// Inside everything; water below zero (the catalogue's envelope); above the approval limit; outside the space.
const proposals = [proposal(0, 50), proposal(1, 350), proposal(2, 150), proposal(3, 500)];
const item = (
  p: ExperimentProposal,
  fields: Record<string, unknown> = { status: 'proposed' },
): Record<string, unknown> => ({ pk: 'CAMPAIGN#c1', sk: `EXP#${p.experimentId}`, ...p, ...fields });
const payload = { actor: 'gateBatch', state: 'gating', input: { proposals }, context: { campaignId: 'c1' } };
const expItems = { ExpressionAttributeValues: { ':pk': 'CAMPAIGN#c1', ':exp': 'EXP#' } };
const queued = { ExpressionAttributeValues: { ':pk': 'CAMPAIGN#c1', ':ev': 'EVENT#' } };
/** The local runtime's decisions on the same proposals with the same device online. */
const local = () => Promise.all(proposals.map((p) => gateProposal(spec, p, () => [descriptor])));
const reasonOf = async (i: number) => (await local())[i]?.reason as string;

describe('gateBatch', () => {
  beforeEach(() => {
    db.reset();
    db.on(GetCommand, { Key: { pk: 'CAMPAIGN#c1', sk: 'META' } }).resolves({
      Item: { pk: 'CAMPAIGN#c1', sk: 'META', spec, seed: 1 },
    });
    db.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'KIND#liquid-handler' } }).resolves({
      Items: [{ deviceId: 'liquid-handler-1', kind: 'liquid-handler', online: true, descriptor }],
    });
    db.on(QueryCommand, queued).resolves({ Items: [] });
  });

  it("decides with the local runtime's gate, stores each decision conditionally and parks the one that needs a person", async () => {
    db.on(QueryCommand, expItems).resolves({ Items: proposals.map((p) => item(p)) });
    expect((await local()).map((d) => d.verdict)).toEqual([
      'approved',
      'rejected',
      'approval-needed',
      'rejected',
    ]);
    await expect(gateBatch(payload, deps)).rejects.toMatchObject({
      name: 'ApprovalPending',
      fault: {
        retryable: true,
        message: expect.stringContaining('c1-e0002 of campaign c1 wait for a person'),
      },
    });
    const updates = db.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(updates[0]).toEqual({
      TableName: 'labloop',
      Key: { pk: 'CAMPAIGN#c1', sk: 'EXP#c1-e0000' },
      UpdateExpression:
        'SET #status = :status, #reason = :reason, #decidedBy = :decidedBy, #decidedAt = :decidedAt',
      ConditionExpression: '#status = :proposed',
      ExpressionAttributeNames: {
        '#status': 'status',
        '#reason': 'reason',
        '#decidedBy': 'decidedBy',
        '#decidedAt': 'decidedAt',
      },
      ExpressionAttributeValues: {
        ':status': 'approved',
        ':reason': 'inside the design space, every device envelope and the approval limits',
        ':decidedBy': 'gate',
        ':decidedAt': NOW,
        ':proposed': 'proposed',
      },
    });
    expect(updates.map((u) => u.ExpressionAttributeValues?.[':status'])).toEqual([
      'approved',
      'rejected',
      'awaiting-approval',
      'rejected',
    ]);
    expect(updates[1]?.ExpressionAttributeValues?.[':reason']).toBe(await reasonOf(1));
    expect(updates[1]?.ExpressionAttributeValues?.[':reason']).toMatch(
      /^step mix on any liquid-handler: volumes\.\* must be 1–1000 µL \(or 0\), got -50/,
    );
    expect(updates[2]?.ExpressionAttributeValues).toEqual({
      ':status': 'awaiting-approval',
      ':reason': 'red 150 is above the auto-approval limit 100',
      ':requestedAt': NOW,
      ':expiresAt': NOW + 600_000,
      ':proposed': 'proposed',
    });
    expect(updates[3]?.ExpressionAttributeValues?.[':reason']).toBe(await reasonOf(3));
  });

  const decided = () => [
    item(proposals[0] as ExperimentProposal, { status: 'approved', reason: 'inside' }),
    item(proposals[1] as ExperimentProposal, { status: 'rejected', reason: 'too much water' }),
    item(proposals[2] as ExperimentProposal, {
      status: 'awaiting-approval',
      reason: 'red 150 is above the auto-approval limit 100',
      expiresAt: NOW + 1000,
    }),
    item(proposals[3] as ExperimentProposal, { status: 'rejected', reason: 'outside the design space' }),
  ];

  it("applies the operator's queued APPROVE, consumes it, and answers from the stored decisions", async () => {
    const after = decided();
    after[2] = {
      ...(after[2] as ReturnType<typeof item>),
      status: 'approved',
      reason: 'approved by operator:alice',
    };
    db.on(QueryCommand, expItems).resolvesOnce({ Items: decided() }).resolves({ Items: after });
    db.on(QueryCommand, queued).resolves({
      Items: [
        {
          pk: 'CAMPAIGN#c1',
          sk: 'EVENT#00000003',
          type: 'APPROVE',
          seq: 3,
          experimentId: 'c1-e0002',
          by: 'operator:alice',
        },
      ],
    });
    expect(await gateBatch(payload, deps)).toEqual({
      approved: [proposals[0], proposals[2]],
      rejections: [
        { experimentId: 'c1-e0001', reason: 'too much water' },
        { experimentId: 'c1-e0003', reason: 'outside the design space' },
      ],
    });
    expect(db.commandCalls(UpdateCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: 'labloop',
        Key: { pk: 'CAMPAIGN#c1', sk: 'EXP#c1-e0002' },
        UpdateExpression: 'SET #status = :verdict, reason = :reason, decidedBy = :who, decidedAt = :now',
        ConditionExpression: '#status = :waiting AND expiresAt > :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':verdict': 'approved',
          ':reason': 'approved by operator:alice',
          ':who': 'operator:alice',
          ':now': NOW,
          ':waiting': 'awaiting-approval',
        },
      },
    ]);
    expect(db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems).toEqual([
      {
        Delete: {
          TableName: 'labloop',
          Key: { pk: 'CAMPAIGN#c1', sk: 'EVENT#00000003' },
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
    ]);
  });

  it('rejects a proposal nobody decided within the approval timeout, as the local approval desk does', async () => {
    const expired = decided();
    expired[2] = { ...expired[2], expiresAt: NOW - 1 };
    db.on(QueryCommand, expItems).resolves({ Items: expired });
    db.on(GetCommand, { Key: { pk: 'CAMPAIGN#c1', sk: 'EXP#c1-e0002' } }).resolves({
      Item: {
        ...expired[2],
        status: 'rejected',
        reason: 'rejected by runtime: no decision within 600 s',
      },
    });
    const out = await gateBatch(payload, deps);
    expect(out.approved).toEqual([proposals[0]]);
    expect(out.rejections).toContainEqual({
      experimentId: 'c1-e0002',
      reason: 'rejected by runtime: no decision within 600 s',
    });
    expect(db.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: '#status = :waiting AND expiresAt <= :now',
      ExpressionAttributeValues: { ':verdict': 'rejected', ':who': 'runtime' },
    });
  });

  it('stops waiting when an ABORT or PAUSE_NOW is queued, leaving the waiting proposal parked', async () => {
    db.on(QueryCommand, expItems).resolves({ Items: decided() });
    db.on(QueryCommand, queued).resolves({ Items: [{ type: 'PAUSE_NOW', seq: 9 }] });
    expect(await gateBatch(payload, deps)).toMatchObject({ approved: [proposals[0]] });
    expect(db.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('refuses a proposal plan-next never stored', async () => {
    db.on(QueryCommand, expItems).resolves({ Items: [] });
    await expect(gateBatch(payload, deps)).rejects.toMatchObject({
      name: 'UnknownExperiment',
      fault: { retryable: false },
    });
  });
});
