import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { systemClock } from '../../contracts/clock.ts';
import { parseWith } from '../../contracts/errors.ts';
import { BaseConfigSchema, parseConfig } from '../shared/config.ts';
import { observability, shell } from '../shared/lambda-shell.ts';
import { TaskPayloadSchema } from '../shared/task-payload.ts';
import { acquireDevice } from './core.ts';

const config = parseConfig(
  z.extend(BaseConfigSchema, { LEASE_SECONDS: z._default(z.coerce.number().check(z.positive()), 7200) }),
  process.env,
);
const o = observability('acquire-device');
const deps = {
  db: DynamoDBDocumentClient.from(o.tracer.captureAWSv3Client(new DynamoDBClient({}))),
  table: config.TABLE_NAME,
  clock: systemClock,
  leaseSeconds: config.LEASE_SECONDS,
};

/** Lambda entry: the experiment's `acquireDevice` task → a leased device id, or `DeviceBusy`. */
export const handler = shell(o, async (event: unknown) =>
  acquireDevice(parseWith(TaskPayloadSchema, event, 'acquireDevice task payload'), deps),
);
