import { createHash } from 'node:crypto';
import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ContractError, parseWith } from '../../contracts/errors.ts';
// A pure leaf, not workflows/asl/index.ts (ADR 0006).
import { checkExperimentExecutionNames } from '../../workflows/asl/execution-names.ts';
import { BadRequestError, ConflictError } from '../errors.ts';
import { plannerIssues } from '../shared/campaign-spec.ts';
import { actorOf, type Principal } from '../shared/http-api.ts';
import { keys } from '../shared/table.ts';
import { canonicalJson, type StartCampaignRequest, StartCampaignRequestSchema } from './schemas.ts';

/** What campaign-api works with. */
export interface CampaignApiDeps {
  db: DynamoDBDocumentClient;
  sfn: SFNClient;
  /** Publishes `interrupt` commands to the devices on pause now and abort. */
  iot: IoTDataPlaneClient;
  table: string;
  labId: string;
  /** The compiled campaign state machine (Standard). */
  campaignStateMachineArn: string;
  /** The experiment state machine, whose executions a campaign's batches start. */
  experimentStateMachineArn: string;
  clock: { now(): number };
}

/** A campaign execution as the API reports it. */
export interface ExecutionView {
  campaignId: string;
  executionArn: string;
  status: string;
  startedAt: string | undefined;
}

/** The campaign machine's execution input: `CampaignMachineInput` plus the protocol its experiments run. */
export function executionInput(request: StartCampaignRequest): Record<string, unknown> {
  const { campaign } = request;
  return {
    campaignId: request.campaignId,
    budget: {
      experiments: campaign.budget.experiments,
      ...(campaign.budget.failures === undefined ? {} : { failures: campaign.budget.failures }),
    },
    batchSize: campaign.planner.batch,
    objective: campaign.objectives[0],
    protocol: campaign.protocol,
  };
}

/** `arn:…:stateMachine:<machine>` + name → `arn:…:execution:<machine>:<name>`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

const errorName = (error: unknown) => (error as { name?: string }).name;

/**
 * The planner's seed when the campaign file sets none: derived from the campaign id (below 1,000,000, as the local
 * runtime's), so a repeated start stores the same campaign.
 */
export function seedOf(campaignId: string): number {
  return Number.parseInt(createHash('sha256').update(campaignId).digest('hex').slice(0, 8), 16) % 1_000_000;
}

/**
 * Claims the campaign id in the table before the execution starts, so the planner finds the campaign on its
 * first call. The claim is the campaign's `META` item as plan-next and policy-gate read it (`spec`: the campaign
 * with defaults applied; `seed`; see `functions/shared/campaign-spec.ts`) plus a digest: a repeated start with the
 * same campaign passes, a different campaign under a started id is refused.
 */
async function claim(
  request: StartCampaignRequest,
  input: Record<string, unknown>,
  principal: Principal,
  deps: CampaignApiDeps,
): Promise<'claimed' | 'repeated'> {
  const seed = request.campaign.seed ?? seedOf(request.campaignId);
  const digest = createHash('sha256')
    .update(canonicalJson({ input, spec: request.campaign, seed }))
    .digest('hex');
  const item = {
    ...keys.campaign(request.campaignId),
    campaignId: request.campaignId,
    labId: deps.labId,
    spec: request.campaign,
    seed,
    input,
    digest,
    startedBy: actorOf(principal),
    startedAt: deps.clock.now(),
  };
  const put = (condition: string, values?: Record<string, unknown>) =>
    deps.db.send(
      new PutCommand({
        TableName: deps.table,
        Item: item,
        ConditionExpression: condition,
        ...(values ? { ExpressionAttributeValues: values } : {}),
      }),
    );
  try {
    await put('attribute_not_exists(digest)');
    return 'claimed';
  } catch (error) {
    if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
  }
  const existing = await deps.db.send(
    new GetCommand({ TableName: deps.table, Key: keys.campaign(request.campaignId), ConsistentRead: true }),
  );
  const stored = existing.Item ?? {};
  if (stored.digest === digest) return 'repeated';
  // A claim whose execution never started (the call failed in between) does not hold the id.
  try {
    await deps.sfn.send(
      new DescribeExecutionCommand({
        executionArn: executionArnOf(deps.campaignStateMachineArn, request.campaignId),
      }),
    );
  } catch (error) {
    if (errorName(error) !== 'ExecutionDoesNotExist') throw error;
    try {
      await put('digest = :old', { ':old': stored.digest });
      return 'claimed';
    } catch (retry) {
      if (errorName(retry) !== 'ConditionalCheckFailedException') throw retry;
    }
  }
  throw new ConflictError(
    `campaign ${request.campaignId} was started with a different campaign (by ${String(stored.startedBy)}); start this one under another campaignId`,
  );
}

/**
 * Starts a campaign: its execution is named after the campaign id, so a repeated start (a retried request, a
 * double tap) finds the running or finished execution and answers 200 with it; the same id with a different
 * campaign is a 409. A new execution answers 201.
 */
export async function startCampaign(
  body: unknown,
  principal: Principal,
  deps: CampaignApiDeps,
): Promise<{ status: 200 | 201; body: ExecutionView & { created: boolean } }> {
  const request = parseWith(StartCampaignRequestSchema, body, 'start request');
  const plannerProblems = plannerIssues(request.campaign);
  if (plannerProblems.length > 0)
    throw new ContractError(
      'start request',
      plannerProblems.map((line) => `campaign.${line}`),
    );
  try {
    checkExperimentExecutionNames(request.campaignId, request.campaign.budget.experiments);
  } catch (error) {
    // Unreachable with today's 63-character ids: it keeps the id rule and the 80-character names together.
    throw new BadRequestError(`campaignId: ${(error as Error).message}`, 400, { cause: error });
  }
  const input = executionInput(request);
  const text = canonicalJson(input);
  const claimed = await claim(request, input, principal, deps);
  const executionArn = executionArnOf(deps.campaignStateMachineArn, request.campaignId);
  try {
    const started = await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.campaignStateMachineArn,
        name: request.campaignId,
        input: text,
      }),
    );
    const view = {
      campaignId: request.campaignId,
      executionArn: started.executionArn ?? executionArn,
      status: 'RUNNING',
      startedAt: started.startDate?.toISOString(),
    };
    return claimed === 'claimed'
      ? { status: 201, body: { ...view, created: true } }
      : { status: 200, body: { ...view, created: false } };
  } catch (error) {
    if (errorName(error) !== 'ExecutionAlreadyExists') throw error;
  }
  // Step Functions answers a repeated start of a finished execution (or one with other input) this way.
  const existing = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (canonicalJson(JSON.parse(existing.input ?? 'null')) !== text)
    throw new ConflictError(
      `campaign ${request.campaignId} already ran with a different input (${existing.status}); start this one under another campaignId`,
    );
  return {
    status: 200,
    body: {
      campaignId: request.campaignId,
      executionArn,
      status: existing.status ?? 'UNKNOWN',
      startedAt: existing.startDate?.toISOString(),
      created: false,
    },
  };
}
