import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { z as classic } from 'zod';
import * as z from 'zod/mini';
import { formatIssues } from '../../contracts/errors.ts';
import { DeviceStatusSchema } from '../shared/contracts.mini.ts';
import { keys } from '../shared/table.ts';

/**
 * What the status topic rule sends for each message on `labloop/{lab}/devices/+/status`:
 * `SELECT encode(*, 'base64') AS payload, topic(4) AS deviceId, timestamp() AS receivedAt`. The payload is passed
 * encoded so that a payload that is not JSON still reaches the function, to be logged and dropped; `deviceId`
 * comes from the topic, which the thing-scoped policy lets only that device publish to; `receivedAt` is when
 * IoT Core received the message, in ms.
 */
export const StatusRuleMessageSchema = z.object({
  payload: z.string(),
  deviceId: z.string().check(z.minLength(1)),
  receivedAt: z.int().check(z.gte(0)),
});

/** What device-status works with. */
export interface DeviceStatusDeps {
  db: DynamoDBDocumentClient;
  table: string;
}

/**
 * What became of one status message. `applied`: the registry now says what it said. `stale`: the registry
 * already holds this status or a later one (a duplicate or a reordered delivery), nothing written. `dropped`: the
 * message cannot be applied and never will be (malformed, another device's, an unregistered device), with why.
 */
export type DeviceStatusOutcome =
  | { status: 'applied'; deviceId: string; kind: string; online: boolean }
  | { status: 'stale'; deviceId: string; kind: string; online: boolean; reason: string }
  | { status: 'dropped'; deviceId: string | undefined; reason: string };

const issues = (error: unknown) => formatIssues(error as classic.ZodError).join('; ');

/**
 * The stored item a failed condition returns (`ReturnValuesOnConditionCheckFailure`), in DynamoDB's attribute
 * value form: the document client does not convert items carried by exceptions.
 */
type StoredItem = Record<string, { S?: string; N?: string } | undefined>;

/** The status in a rule message, or why there is none. */
function readStatus(
  message: unknown,
):
  | { deviceId: string; receivedAt: number; status: z.output<typeof DeviceStatusSchema> }
  | { reason: string } {
  const rule = StatusRuleMessageSchema.safeParse(message, { reportInput: true });
  if (!rule.success)
    return { reason: `not a status rule message (payload, deviceId, receivedAt): ${issues(rule.error)}` };
  const { deviceId, receivedAt } = rule.data;
  const text = Buffer.from(rule.data.payload, 'base64').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      reason: `payload is not JSON (${(error as Error).message}): ${JSON.stringify(text.slice(0, 200))}`,
    };
  }
  const status = DeviceStatusSchema.safeParse(json, { reportInput: true });
  if (!status.success) return { reason: `payload is not a device status: ${issues(status.error)}` };
  if (status.data.deviceId !== deviceId)
    return {
      reason: `payload names device ${status.data.deviceId} but was published on the status topic of ${deviceId}`,
    };
  if (status.data.state === 'online' && status.data.descriptor.deviceId !== deviceId)
    return {
      reason: `descriptor names device ${status.data.descriptor.deviceId}, expected ${deviceId} (its status topic)`,
    };
  return { deviceId, receivedAt, status: status.data };
}

/**
 * Writes the status to the registry item `KIND#<kind>`/`DEVICE#<id>` when it is newer than the one there:
 * statuses are ordered by `receivedAt` (IoT Core's clock, one for every device and for the broker's last will,
 * which carries no time), kept as the item's `at`; the device's own `at`, when it sent one, is kept as `deviceAt`.
 * Only a registered device (an item with a certificate) is written. Returns whether it wrote, or the stored item
 * when the condition failed.
 */
async function write(
  key: { pk: string; sk: string },
  set: Record<string, unknown>,
  deviceAt: number | undefined,
  receivedAt: number,
  deps: DeviceStatusDeps,
): Promise<{ written: true } | { written: false; item: StoredItem | undefined }> {
  const names = Object.keys(set);
  try {
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: key,
        UpdateExpression: `SET ${names.map((n) => `${n} = :${n}`).join(', ')}, #at = :at${deviceAt === undefined ? ' REMOVE deviceAt' : ', deviceAt = :deviceAt'}`,
        ConditionExpression: 'attribute_exists(certificateArn) AND (attribute_not_exists(#at) OR #at < :at)',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: {
          ...Object.fromEntries(names.map((n) => [`:${n}`, set[n]])),
          ':at': receivedAt,
          ...(deviceAt === undefined ? {} : { ':deviceAt': deviceAt }),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { written: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return { written: false, item: error.Item as StoredItem | undefined };
  }
}

/**
 * Applies one device status from the status topic rule to the device registry, which acquire-device leases from.
 *
 * - `online`: the device's item under the kind its descriptor names gets `online: true`, the descriptor, `at`.
 *   The item must exist with a certificate (register-device made it): a device announcing another kind than it
 *   was registered as, or one never registered, is dropped. The kind is also stored under `DEVICE#<id>`/`KIND`.
 * - `offline` (a graceful stop, or the last will, which names no kind): the kind is read from `DEVICE#<id>`/`KIND`
 *   and the item gets `online: false`. A device never seen online has no such item and is already offline.
 *
 * Idempotent and order-proof: each write is conditional on `receivedAt` being later than the item's `at`, so a
 * redelivered or overtaken status changes nothing (`stale`). A message that can never apply is `dropped` with the
 * reason, never thrown, so it is not retried; only failures of DynamoDB itself throw.
 *
 * @example
 * await recordDeviceStatus(
 *   { payload: btoa(JSON.stringify({ state: 'offline', deviceId: 'lh-1' })), deviceId: 'lh-1', receivedAt: Date.now() },
 *   { db, table: 'labloop' },
 * ); // { status: 'applied', deviceId: 'lh-1', kind: 'liquid-handler', online: false }
 */
export async function recordDeviceStatus(
  message: unknown,
  deps: DeviceStatusDeps,
): Promise<DeviceStatusOutcome> {
  const read = readStatus(message);
  if ('reason' in read)
    return {
      status: 'dropped',
      deviceId: (message as { deviceId?: unknown } | null)?.deviceId?.toString(),
      reason: read.reason,
    };
  const { deviceId, receivedAt, status } = read;
  const online = status.state === 'online';
  let kind: string;
  let outcome: Awaited<ReturnType<typeof write>>;
  if (status.state === 'online') {
    kind = status.descriptor.kind;
    outcome = await write(
      keys.device(kind, deviceId),
      { deviceId, kind, descriptor: status.descriptor, online: true },
      status.at,
      receivedAt,
      deps,
    );
  } else {
    const pointer = (
      await deps.db.send(
        new GetCommand({ TableName: deps.table, Key: keys.deviceKind(deviceId), ConsistentRead: true }),
      )
    ).Item;
    if (typeof pointer?.kind !== 'string')
      return {
        status: 'dropped',
        deviceId,
        reason: `device ${deviceId} has never been online (no DEVICE#${deviceId}/KIND item): it is offline already`,
      };
    kind = pointer.kind;
    outcome = await write(keys.device(kind, deviceId), { online: false }, status.at, receivedAt, deps);
  }
  if (!outcome.written && outcome.item?.certificateArn === undefined)
    return {
      status: 'dropped',
      deviceId,
      reason: `device ${deviceId} is not registered as a ${kind} (no KIND#${kind}/DEVICE#${deviceId} item with a certificate); register it with POST /api/devices`,
    };
  if (online)
    // Written on every online status, applied or not: a retry after a failure here must still write it.
    await deps.db.send(
      new PutCommand({ TableName: deps.table, Item: { ...keys.deviceKind(deviceId), deviceId, kind } }),
    );
  return outcome.written
    ? { status: 'applied', deviceId, kind, online }
    : {
        status: 'stale',
        deviceId,
        kind,
        online,
        reason: `the registry holds a status of ${deviceId} received at ${outcome.item?.at?.N}, not before this one (${receivedAt})`,
      };
}
