import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Campaign } from '../../contracts/index.ts';
import { createPlanner, type PlannerState, restorePlanner } from '../../planners/index.ts';
import { planNext } from './core.ts';

const db = mockClient(DynamoDBDocumentClient);
const NOW = 1_700_000_000_000;
// mockClient patches the client's prototype: this instance answers from the mock.
const deps = {
  db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  table: 'labloop',
  clock: { now: () => NOW, setTimeout: () => 0, clearTimeout: () => {} },
};
const spec = {
  space: [
    { name: 'red', type: 'continuous', low: 0, high: 100, scale: 'linear' },
    { name: 'blue', type: 'continuous', low: 0, high: 100, scale: 'linear' },
  ],
  objectives: [{ name: 'distance', goal: 'minimise' }],
  constraints: [],
  planner: { strategy: 'sobol', batch: 2 },
  protocol: { steps: [{ name: 'mix' }], output: '{ "distance": steps.read.d }' },
  approval: { require: 'never', limits: [], timeout: 3600 },
} as unknown as Campaign;
const SEED = 7;
const meta = { pk: 'CAMPAIGN#c1', sk: 'META', spec, seed: SEED };
const fresh = () =>
  createPlanner({
    space: spec.space,
    objectives: spec.objectives,
    constraints: [],
    planner: spec.planner,
    seed: SEED,
  });
const payload = (actor: string, input: unknown, extra?: Record<string, unknown>) => ({
  actor,
  state: actor === 'planBatch' ? 'planning' : 'recording',
  input,
  context: { campaignId: 'c1' },
  ...(extra ? { extra } : {}),
});
const proposal = (index: number, parameters: Record<string, number>, batch = 0) => ({
  experimentId: `c1-e${String(index).padStart(4, '0')}`,
  campaignId: 'c1',
  index,
  batch,
  parameters,
  strategy: 'sobol',
  proposedAt: NOW,
});
const key = (sk: string) => ({ Key: { pk: 'CAMPAIGN#c1', sk } });
const transactions = () => db.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems);

describe('planBatch', () => {
  beforeEach(() => {
    db.reset();
    db.on(GetCommand, key('META')).resolves({ Item: meta });
    db.on(GetCommand, key('BATCH#00000000')).resolves({});
    db.on(GetCommand, key('PLANNER')).resolves({});
    db.on(QueryCommand).resolves({ Items: [] });
  });

  it('asks the campaign planner and stores batch, proposals and planner state in one conditional transaction', async () => {
    const planner = fresh();
    const expected = (await planner.ask(2, [])).map((d, i) =>
      proposal(i, d.parameters as Record<string, number>),
    );
    expect(await planNext(payload('planBatch', { batchIndex: 0, count: 2 }), deps)).toEqual(expected);
    expect(transactions()).toEqual([
      [
        {
          Put: {
            TableName: 'labloop',
            Item: { pk: 'CAMPAIGN#c1', sk: 'BATCH#00000000', batch: 0, proposals: expected, plannedAt: NOW },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...expected.map((p) => ({
          Put: {
            TableName: 'labloop',
            Item: { pk: 'CAMPAIGN#c1', sk: `EXP#${p.experimentId}`, ...p, status: 'proposed' },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        })),
        {
          Put: {
            TableName: 'labloop',
            Item: {
              pk: 'CAMPAIGN#c1',
              sk: 'PLANNER',
              state: JSON.stringify(planner.toJSON()),
              version: 1,
              nextIndex: 2,
              updatedAt: NOW,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
    ]);
  });

  it('answers a re-invoked task with the stored batch and asks nothing', async () => {
    const stored = [proposal(0, { red: 1, blue: 2 })];
    db.on(GetCommand, key('BATCH#00000000')).resolves({ Item: { proposals: stored } });
    expect(await planNext(payload('planBatch', { batchIndex: 0, count: 2 }), deps)).toEqual(stored);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(db.commandCalls(GetCommand, key('META'))).toHaveLength(0);
  });

  it('continues the stored planner and the campaign count, on the condition that nobody wrote meanwhile', async () => {
    const first = fresh();
    const asked = await first.ask(2, []);
    first.tell(asked.map((a, i) => ({ parameters: a.parameters, values: { distance: i / 10 } })));
    const state = JSON.stringify(first.toJSON());
    db.on(GetCommand, key('BATCH#00000001')).resolves({});
    db.on(GetCommand, key('PLANNER')).resolves({ Item: { state, version: 3, nextIndex: 2 } });
    const again = restorePlanner(JSON.parse(state) as PlannerState);
    const next = await again.ask(2, []);
    const proposals = await planNext(payload('planBatch', { batchIndex: 1, count: 2 }), deps);
    expect(proposals).toEqual(next.map((d, i) => proposal(2 + i, d.parameters as Record<string, number>, 1)));
    expect(transactions()[0]?.at(-1)).toEqual({
      Put: {
        TableName: 'labloop',
        Item: {
          pk: 'CAMPAIGN#c1',
          sk: 'PLANNER',
          state: JSON.stringify(again.toJSON()),
          version: 4,
          nextIndex: 4,
          updatedAt: NOW,
        },
        ConditionExpression: 'version = :v',
        ExpressionAttributeValues: { ':v': 3 },
      },
    });
  });

  it('returns the batch a concurrent invocation stored first', async () => {
    const winner = [proposal(0, { red: 9, blue: 9 })];
    db.on(GetCommand, key('BATCH#00000000'))
      .resolvesOnce({})
      .resolves({ Item: { proposals: winner } });
    db.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      }),
    );
    expect(await planNext(payload('planBatch', { batchIndex: 0, count: 2 }), deps)).toEqual(winner);
  });

  it('fails PlannerSpecInvalid, asking nothing, for planner sections the cloud cannot plan', async () => {
    const remote = {
      ...spec.planner,
      remote: { routes: [{ adapter: 'http', endpoint: 'https://p.example' }] },
    };
    db.on(GetCommand, key('META')).resolves({ Item: { ...meta, spec: { ...spec, planner: remote } } });
    await expect(planNext(payload('planBatch', { batchIndex: 0, count: 2 }), deps)).rejects.toMatchObject({
      name: 'PlannerSpecInvalid',
      fault: { retryable: false, message: expect.stringContaining('planner.remote: remote planning routes') },
    });
    expect(transactions()).toHaveLength(0);
  });

  it('refuses a damaged stored planner state, naming the field, and writes nothing', async () => {
    const state = JSON.parse(JSON.stringify(fresh().toJSON()));
    state.sobol.index = -1;
    db.on(GetCommand, key('PLANNER')).resolves({
      Item: { state: JSON.stringify(state), version: 1, nextIndex: 0 },
    });
    await expect(planNext(payload('planBatch', { batchIndex: 0, count: 2 }), deps)).rejects.toMatchObject({
      name: 'ContractError',
      message: expect.stringMatching(/stored planner state[\s\S]*sobol\.index/),
    });
    expect(transactions()).toHaveLength(0);
  });

  it('fails CampaignNotFound for a campaign that was never started', async () => {
    db.on(GetCommand, key('META')).resolves({});
    await expect(planNext(payload('planBatch', { batchIndex: 0, count: 2 }), deps)).rejects.toMatchObject({
      name: 'CampaignNotFound',
      fault: { retryable: false, message: expect.stringContaining('campaign c1 has no META item') },
    });
  });
});

describe('recordBatch', () => {
  const p0 = proposal(0, { red: 10, blue: 20 });
  const p1 = proposal(1, { red: 30, blue: 40 });
  const succeeded = {
    status: 'succeeded',
    values: { distance: 0.25 },
    steps: { read: { d: 0.25 } },
    devices: [],
  };
  const failed = {
    status: 'failed',
    step: 'read',
    error: { code: 'LampFailure', message: 'lamp', retryable: false },
    devices: [],
  };
  const extra = { outcomes: [succeeded, failed], experimentIds: [p0.experimentId, p1.experimentId] };
  let stored: string;

  beforeEach(async () => {
    db.reset();
    const planner = fresh();
    await planner.ask(2, []);
    stored = JSON.stringify(planner.toJSON());
    db.on(GetCommand, key('META')).resolves({ Item: meta });
    db.on(GetCommand, key('BATCH#00000000')).resolves({ Item: { batch: 0, proposals: [p0, p1] } });
    db.on(GetCommand, key('PLANNER')).resolves({ Item: { state: stored, version: 1, nextIndex: 2 } });
    db.on(QueryCommand).resolves({
      Items: [
        { ...p1, status: 'failed', error: { ...failed.error, step: 'read' } },
        { ...p0, status: 'succeeded', values: { distance: 0.25 } },
      ],
    });
  });

  it("stores outcomes, tells the planner the batch's measurements and reports progress, in one transaction", async () => {
    expect(await planNext(payload('recordBatch', { batchIndex: 0 }, extra), deps)).toEqual({
      proposed: 2,
      succeeded: 1,
      failed: 1,
      rejected: 0,
      best: { experimentId: p0.experimentId, parameters: p0.parameters, value: 0.25 },
    });
    const told = restorePlanner(JSON.parse(stored) as PlannerState);
    told.tell([{ parameters: p0.parameters, values: { distance: 0.25 } }]);
    expect(transactions()).toEqual([
      [
        {
          Update: {
            TableName: 'labloop',
            Key: { pk: 'CAMPAIGN#c1', sk: 'BATCH#00000000' },
            UpdateExpression: 'SET recordedAt = :now',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(recordedAt)',
            ExpressionAttributeValues: { ':now': NOW },
          },
        },
        {
          Update: {
            TableName: 'labloop',
            Key: { pk: 'CAMPAIGN#c1', sk: `EXP#${p0.experimentId}` },
            UpdateExpression:
              'SET #values = :values, #steps = :steps, #status = :status, #devices = :devices, #finishedAt = :finishedAt',
            ConditionExpression: '#status = :approved',
            ExpressionAttributeNames: {
              '#values': 'values',
              '#steps': 'steps',
              '#status': 'status',
              '#devices': 'devices',
              '#finishedAt': 'finishedAt',
            },
            ExpressionAttributeValues: {
              ':values': { distance: 0.25 },
              ':steps': { read: { d: 0.25 } },
              ':status': 'succeeded',
              ':devices': [],
              ':finishedAt': NOW,
              ':approved': 'approved',
            },
          },
        },
        {
          Update: expect.objectContaining({
            Key: { pk: 'CAMPAIGN#c1', sk: `EXP#${p1.experimentId}` },
            ExpressionAttributeValues: expect.objectContaining({
              ':error': { ...failed.error, step: 'read' },
              ':status': 'failed',
            }),
          }),
        },
        {
          Put: {
            TableName: 'labloop',
            Item: {
              pk: 'CAMPAIGN#c1',
              sk: 'PLANNER',
              state: JSON.stringify(told.toJSON()),
              version: 2,
              nextIndex: 2,
              updatedAt: NOW,
            },
            ConditionExpression: 'version = :v',
            ExpressionAttributeValues: { ':v': 1 },
          },
        },
      ],
    ]);
  });

  it('tells the planner nothing twice: a recorded batch only reports progress', async () => {
    db.on(GetCommand, key('BATCH#00000000')).resolves({
      Item: { batch: 0, proposals: [p0, p1], recordedAt: NOW - 1 },
    });
    expect(await planNext(payload('recordBatch', { batchIndex: 0 }, extra), deps)).toMatchObject({
      proposed: 2,
      best: { value: 0.25 },
    });
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('names the experiment whose outcome the store refused (not approved) and records nothing', async () => {
    db.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [
          { Code: 'None' },
          { Code: 'None' },
          { Code: 'ConditionalCheckFailed' },
          { Code: 'None' },
        ],
      }),
    );
    await expect(planNext(payload('recordBatch', { batchIndex: 0 }, extra), deps)).rejects.toMatchObject({
      name: 'OutcomesMismatch',
      message: expect.stringContaining(`batch 0 of c1 was not recorded: ${p1.experimentId} not approved`),
    });
  });

  it('refuses outcomes that are not one per approved experiment of the batch', async () => {
    const wrong = { outcomes: [succeeded], experimentIds: ['c1-e0042'] };
    await expect(planNext(payload('recordBatch', { batchIndex: 0 }, wrong), deps)).rejects.toMatchObject({
      name: 'OutcomesMismatch',
      message: expect.stringContaining('c1-e0042 not in the batch'),
    });
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

it('refuses an actor it does not serve', () => {
  expect(() => planNext(payload('gateBatch', {}), deps)).toThrow(
    'plan-next serves planBatch and recordBatch',
  );
});
