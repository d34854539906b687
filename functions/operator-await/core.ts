import type { SFNClient } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { parseWith } from '../../contracts/errors.ts';
import { TaskFaultError } from '../errors.ts';
import { InboxInputSchema } from '../operator-inbox/core.ts';
import { claimWait, consumeEvents, type OperatorEvent, queuedEvents } from '../shared/operator-events.ts';
import { sendSuccess } from '../shared/settle.ts';
import { keys } from '../shared/table.ts';
import type { TaskPayload } from '../shared/task-payload.ts';

/** What operator-await works with. */
export interface AwaitDeps {
  db: DynamoDBDocumentClient;
  sfn: SFNClient;
  table: string;
}

/** How the wait went: answered at once from the queue, or parked until campaign-api delivers an event. */
export type AwaitResult = { status: 'answered'; event: string } | { status: 'waiting' };

/**
 * Consumes queued events up to the first accepted one (earlier ones are dropped, as XState drops events its
 * state does not handle) and answers the wait with it.
 */
async function answerFromQueue(
  payload: TaskPayload,
  accepts: readonly string[],
  token: string,
  deps: AwaitDeps,
): Promise<OperatorEvent | undefined> {
  const campaignId = payload.context.campaignId;
  const queued = await queuedEvents(deps.db, deps.table, campaignId);
  const index = queued.findIndex((e) => accepts.includes(e.type));
  if (index < 0) return undefined;
  const event = queued[index] as OperatorEvent;
  await consumeEvents(deps.db, deps.table, campaignId, queued.slice(0, index + 1));
  await sendSuccess(deps.sfn, token, { type: event.type });
  return event;
}

/**
 * A state that only waits for operator events (a paused campaign): answers at once with a queued event the state
 * accepts, or stores the task token as the campaign's `WAIT` item for campaign-api to complete. After parking
 * it looks at the queue once more, and takes the token back (a conditional delete) if an event slipped in, so an
 * event posted between the first look and the park is never lost; campaign-api takes the token the same way,
 * so exactly one of them answers.
 */
export async function awaitOperator(payload: TaskPayload, deps: AwaitDeps): Promise<AwaitResult> {
  const { accepts } = parseWith(InboxInputSchema, payload.input, `awaitOperator input of ${payload.state}`);
  const token = payload.taskToken;
  if (!token)
    throw new TaskFaultError({
      code: 'MissingTaskToken',
      message: `awaitOperator runs as a .waitForTaskToken task; no taskToken came (state ${payload.state})`,
      retryable: false,
    });
  const first = await answerFromQueue(payload, accepts, token, deps);
  if (first) return { status: 'answered', event: first.type };
  const key = keys.operatorWait(payload.context.campaignId);
  await deps.db.send(
    new PutCommand({
      TableName: deps.table,
      Item: { ...key, taskToken: token, accepts, state: payload.state },
    }),
  );
  const queued = await queuedEvents(deps.db, deps.table, payload.context.campaignId);
  if (!queued.some((e) => accepts.includes(e.type))) return { status: 'waiting' };
  // campaign-api may have taken the token first: it answers the wait itself then.
  if (!(await claimWait(deps.db, deps.table, payload.context.campaignId, token)))
    return { status: 'waiting' };
  const second = await answerFromQueue(payload, accepts, token, deps);
  if (second) return { status: 'answered', event: second.type };
  await deps.db.send(
    new PutCommand({
      TableName: deps.table,
      Item: { ...key, taskToken: token, accepts, state: payload.state },
    }),
  );
  return { status: 'waiting' };
}
