import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { parseWith } from '../../contracts/errors.ts';
import { consumeEvents, queuedEvents } from '../shared/operator-events.ts';
import type { TaskPayload } from '../shared/task-payload.ts';

/** What the compiled workflow sends after a task of a state that answers operator events. */
export const InboxInputSchema = z.object({ accepts: z.array(z.string().check(z.minLength(1))) });

/** What operator-inbox works with. */
export interface InboxDeps {
  db: DynamoDBDocumentClient;
  table: string;
}

/**
 * The operator events queued while a task ran, oldest first, restricted to those the state accepts. Every queued
 * event is consumed: XState drops an event its current state does not handle, so a `RESUME` sent while running
 * must not wake a later pause.
 */
export async function takeInbox(
  payload: TaskPayload,
  deps: InboxDeps,
): Promise<{ events: Array<{ type: string }> }> {
  const { accepts } = parseWith(InboxInputSchema, payload.input, `operatorInbox input of ${payload.state}`);
  const campaignId = payload.context.campaignId;
  const queued = await queuedEvents(deps.db, deps.table, campaignId);
  if (queued.length > 0) await consumeEvents(deps.db, deps.table, campaignId, queued);
  return { events: queued.filter((e) => accepts.includes(e.type)).map((e) => ({ type: e.type })) };
}
