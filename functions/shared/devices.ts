import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { parseWith } from '../../contracts/errors.ts';
import type { DeviceDescriptor } from '../../contracts/index.ts';
import { DeviceDescriptorSchema } from './contracts.mini.ts';
import { keys } from './table.ts';

/** A device as the registry keeps it: its descriptor, whether it is online, and the experiment holding it. */
export interface DeviceRecord {
  deviceId: string;
  kind: string;
  online: boolean;
  descriptor: DeviceDescriptor | undefined;
  lease: { experimentId: string; until: number } | undefined;
}

function toRecord(item: Record<string, unknown>): DeviceRecord {
  return {
    deviceId: String(item.deviceId),
    kind: String(item.kind),
    online: item.online === true,
    descriptor:
      item.descriptor === undefined
        ? undefined
        : parseWith(DeviceDescriptorSchema, item.descriptor, `descriptor of ${String(item.deviceId)}`),
    lease: item.lease as DeviceRecord['lease'],
  };
}

/** Every registered device of a kind. */
export async function devicesOfKind(
  db: DynamoDBDocumentClient,
  table: string,
  kind: string,
): Promise<DeviceRecord[]> {
  const out = await db.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.device(kind, '').pk },
    }),
  );
  return (out.Items ?? []).map(toRecord);
}

/** One device, or undefined when it is not registered. */
export async function deviceOf(
  db: DynamoDBDocumentClient,
  table: string,
  kind: string,
  deviceId: string,
): Promise<DeviceRecord | undefined> {
  const out = await db.send(new GetCommand({ TableName: table, Key: keys.device(kind, deviceId) }));
  return out.Item ? toRecord(out.Item) : undefined;
}

/** Adds `kind` to the lab's registered kinds (`LAB`/`KINDS`, a string set; adding twice is one). */
export async function recordKind(db: DynamoDBDocumentClient, table: string, kind: string): Promise<void> {
  await db.send(
    new UpdateCommand({
      TableName: table,
      Key: keys.labKinds(),
      UpdateExpression: 'ADD kinds :kind',
      ExpressionAttributeValues: { ':kind': new Set([kind]) },
    }),
  );
}

/** Every registered device of the lab: the devices of each kind in `LAB`/`KINDS`, kind by kind. */
export async function labDevices(db: DynamoDBDocumentClient, table: string): Promise<DeviceRecord[]> {
  const out = await db.send(new GetCommand({ TableName: table, Key: keys.labKinds(), ConsistentRead: true }));
  const kinds = [...((out.Item?.kinds as Set<string> | undefined) ?? [])].sort();
  return (await Promise.all(kinds.map((kind) => devicesOfKind(db, table, kind)))).flat();
}
