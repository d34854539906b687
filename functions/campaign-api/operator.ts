import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  ListExecutionsCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { parseWith } from '../../contracts/errors.ts';
// A pure leaf, not workflows/asl/index.ts (ADR 0006).
import { experimentExecutionPattern, experimentIdOf } from '../../workflows/asl/execution-names.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { actorOf, type Principal, requireRole } from '../shared/http-api.ts';
import { claimWait, consumeEvents, type OperatorEvent, queuedEvents } from '../shared/operator-events.ts';
import { sendSuccess } from '../shared/settle.ts';
import { keys } from '../shared/table.ts';
import { interruptCommands, type SentInterrupt } from './interrupt.ts';
import { ACTION_EVENTS, CampaignActionRequestSchema } from './schemas.ts';
import { type CampaignApiDeps, executionArnOf } from './start.ts';

/** How long an operator event that nothing consumed stays in the table (DynamoDB TTL), in s. */
export const EVENT_TTL_SECONDS = 90 * 24 * 3600;

/** The campaign's execution, or {@link NotFoundError} when no campaign of that id was started. */
export async function campaignExecution(
  campaignId: string,
  deps: CampaignApiDeps,
): Promise<DescribeExecutionCommandOutput> {
  try {
    return await deps.sfn.send(
      new DescribeExecutionCommand({
        executionArn: executionArnOf(deps.campaignStateMachineArn, campaignId),
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist')
      throw new NotFoundError(`no campaign ${campaignId} was started on this lab`, { cause: error });
    throw error;
  }
}

/** Appends an event to the campaign's queue under the next sequence number (a counter on the campaign item). */
async function enqueue(
  campaignId: string,
  event: Omit<OperatorEvent, 'seq'> & { why?: string; experimentId?: string },
  deps: CampaignApiDeps,
): Promise<number> {
  const counter = await deps.db.send(
    new UpdateCommand({
      TableName: deps.table,
      Key: keys.campaign(campaignId),
      UpdateExpression: 'ADD eventSeq :one',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  const seq = Number(counter.Attributes?.eventSeq);
  const now = deps.clock.now();
  await deps.db.send(
    new PutCommand({
      TableName: deps.table,
      Item: {
        ...keys.operatorEvent(campaignId, seq),
        ...event,
        seq,
        at: now,
        ttl: Math.floor(now / 1000) + EVENT_TTL_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return seq;
}

/**
 * Answers a parked operator wait (a paused campaign) when the queue now holds an event it accepts. The token is
 * taken with a conditional delete, as operator-await takes it back, so exactly one of the two answers the wait;
 * queued events up to the accepted one are consumed (earlier ones are dropped, as XState drops events its state
 * does not handle). Returns the event that answered, or undefined when the wait stays (none parked, or nothing
 * it accepts).
 */
export async function wakeWaiting(
  campaignId: string,
  deps: CampaignApiDeps,
): Promise<OperatorEvent | undefined> {
  const key = keys.operatorWait(campaignId);
  const wait = (await deps.db.send(new GetCommand({ TableName: deps.table, Key: key, ConsistentRead: true })))
    .Item;
  if (!wait) return undefined;
  const accepts = (wait.accepts as string[] | undefined) ?? [];
  const token = String(wait.taskToken);
  const accepted = (queued: OperatorEvent[]) => queued.findIndex((e) => accepts.includes(e.type));
  if (accepted(await queuedEvents(deps.db, deps.table, campaignId)) < 0) return undefined;
  // operator-await may have taken the token back: it answers from the queue itself then.
  if (!(await claimWait(deps.db, deps.table, campaignId, token))) return undefined;
  const queued = await queuedEvents(deps.db, deps.table, campaignId);
  const index = accepted(queued);
  if (index < 0) {
    // Another request answered with the accepted event between the two looks: park the token again.
    await deps.db.send(new PutCommand({ TableName: deps.table, Item: wait }));
    return undefined;
  }
  const event = queued[index] as OperatorEvent;
  await consumeEvents(deps.db, deps.table, campaignId, queued.slice(0, index + 1));
  await sendSuccess(deps.sfn, token, {
    type: event.type,
    ...(event.experimentId === undefined ? {} : { experimentId: event.experimentId }),
  });
  return event;
}

/** Why an action stops the running experiments: the error and cause their executions end with. */
const INTERRUPTIONS: Record<string, { error: string; verb: string }> = {
  ABORT: { error: 'CampaignAborted', verb: 'aborted' },
  PAUSE_NOW: { error: 'CampaignPausedNow', verb: 'paused now' },
};

/** Every running execution of a state machine, page by page. */
export async function runningExecutions(
  stateMachineArn: string,
  deps: Pick<CampaignApiDeps, 'sfn'>,
): Promise<ExecutionListItem[]> {
  const executions: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        statusFilter: 'RUNNING',
        maxResults: 1000,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    executions.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return executions;
}

/**
 * Stops the campaign's running experiment executions (named `<campaignId>-e<n>-<run>`, `execution-names.ts`), as
 * abort and pause-now cancel the running experiments locally: the batch's Map then ends, and the campaign machine
 * reads the queued event. Returns the stopped executions' names.
 */
export async function stopExperiments(
  campaignId: string,
  interruption: { error: string; verb: string },
  who: string,
  deps: CampaignApiDeps,
): Promise<string[]> {
  const mine = experimentExecutionPattern(campaignId);
  const stopped: string[] = [];
  for (const execution of await runningExecutions(deps.experimentStateMachineArn, deps)) {
    if (!execution.name || !mine.test(execution.name) || !execution.executionArn) continue;
    try {
      await deps.sfn.send(
        new StopExecutionCommand({
          executionArn: execution.executionArn,
          error: interruption.error,
          cause: `campaign ${campaignId} was ${interruption.verb} by ${who}`,
        }),
      );
      stopped.push(execution.name);
    } catch (error) {
      // Finished between the listing and the stop: nothing left to cancel.
      if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
    }
  }
  return stopped;
}

/**
 * Refuses a decision on a proposal that does not wait for a person (409), as the local approval desk does; the
 * policy gate applies the queued decision when it next looks (`functions/policy-gate`).
 */
async function requireAwaitingApproval(
  campaignId: string,
  experimentId: string,
  deps: CampaignApiDeps,
): Promise<void> {
  const item = (
    await deps.db.send(
      new GetCommand({
        TableName: deps.table,
        Key: keys.experiment(campaignId, experimentId),
        ConsistentRead: true,
      }),
    )
  ).Item;
  if (item?.status !== 'awaiting-approval')
    throw new ConflictError(
      `experiment ${experimentId} of campaign ${campaignId} is not waiting for approval (${item ? `it is ${String(item.status)}` : 'no such proposal'})`,
    );
}

/** What an action did: the queued event, whether it woke a waiting campaign, and what an abort cancelled. */
export interface ActionResult {
  ok: true;
  campaignId: string;
  event: { type: string; seq: number };
  /** True when this event answered a waiting state at once; otherwise the campaign reads it after its next task. */
  delivered: boolean;
  /** Experiment executions an abort or pause-now stopped. */
  stopped?: string[];
  /** Interrupts an abort or pause-now sent to devices: one per command of a stopped experiment still in flight. */
  interrupted?: SentInterrupt[];
}

/**
 * An operator action on a running campaign: role check, then the event is queued where operator-inbox and
 * operator-await read it, a parked wait that accepts it is answered, and abort and pause-now stop the running
 * experiments (the campaign reads their event as soon as the batch's Map ends) and interrupt their commands still
 * in flight at the devices (ADR 0011).
 * Events the campaign's state does not accept when it reads them are dropped, as XState drops them.
 */
export async function actOnCampaign(
  campaignId: string,
  body: unknown,
  principal: Principal,
  deps: CampaignApiDeps,
): Promise<{ status: 202; body: ActionResult }> {
  const request = parseWith(CampaignActionRequestSchema, body, 'action request');
  requireRole(principal, request.action);
  const execution = await campaignExecution(campaignId, deps);
  if (execution.status !== 'RUNNING')
    throw new ConflictError(
      `cannot ${request.action}: campaign ${campaignId} has ended (${String(execution.status)})`,
    );
  if ('experimentId' in request) await requireAwaitingApproval(campaignId, request.experimentId, deps);
  const who = actorOf(principal);
  const type = ACTION_EVENTS[request.action];
  const seq = await enqueue(
    campaignId,
    {
      type,
      by: who,
      ...(request.why ? { why: request.why } : {}),
      ...('experimentId' in request ? { experimentId: request.experimentId } : {}),
    },
    deps,
  );
  const woke = await wakeWaiting(campaignId, deps);
  const interruption = INTERRUPTIONS[type];
  const stopped = interruption ? await stopExperiments(campaignId, interruption, who, deps) : undefined;
  // The executions are stopped first, so none dispatches a command after the look for those in flight.
  const interrupted = stopped
    ? await interruptCommands(
        campaignId,
        [...new Set(stopped.map((name) => experimentIdOf(name) ?? name))],
        deps,
      )
    : undefined;
  return {
    status: 202,
    body: {
      ok: true,
      campaignId,
      event: { type, seq },
      delivered: woke?.seq === seq,
      ...(stopped ? { stopped } : {}),
      ...(interrupted ? { interrupted } : {}),
    },
  };
}
