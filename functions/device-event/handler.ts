import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { parseWith } from '../../contracts/errors.ts';
import { BaseConfigSchema, parseConfig } from '../shared/config.ts';
import { DeviceEventSchema } from '../shared/contracts.mini.ts';
import { observability, shell } from '../shared/lambda-shell.ts';
import { handleDeviceEvent } from './core.ts';

const config = parseConfig(
  z.extend(BaseConfigSchema, { IDEMPOTENCY_TABLE_NAME: z.string().check(z.minLength(3)) }),
  process.env,
);
const o = observability('device-event');
const deps = {
  db: DynamoDBDocumentClient.from(o.tracer.captureAWSv3Client(new DynamoDBClient({}))),
  sfn: o.tracer.captureAWSv3Client(new SFNClient({})),
  table: config.TABLE_NAME,
};
const persistenceStore = new DynamoDBPersistenceLayer({ tableName: config.IDEMPOTENCY_TABLE_NAME });
// One outcome per (command, event type, progress): IoT Core and SQS redeliver, duplicates are normal.
const process_ = makeIdempotent(
  (body: unknown) => handleDeviceEvent(parseWith(DeviceEventSchema, body, 'device event'), deps),
  {
    persistenceStore,
    config: new IdempotencyConfig({
      eventKeyJmesPath: '[commandId, type, fraction]',
      expiresAfterSeconds: 24 * 3600,
    }),
  },
);

/** Lambda entry: an SQS batch of device events from the IoT topic rule; failed records are retried alone. */
export const handler = shell(o, async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const result = await process_(JSON.parse(record.body));
      o.metrics.addMetric(`DeviceEvent_${result.status}`, 'Count', 1);
    } catch (error) {
      o.logger.error('device event failed', { messageId: record.messageId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
});
