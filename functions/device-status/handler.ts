import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { BaseConfigSchema, parseConfig } from '../shared/config.ts';
import { observability, shell } from '../shared/lambda-shell.ts';
import { type DeviceStatusOutcome, recordDeviceStatus } from './core.ts';

const config = parseConfig(BaseConfigSchema, process.env);
const o = observability('device-status');
const deps = {
  db: DynamoDBDocumentClient.from(o.tracer.captureAWSv3Client(new DynamoDBClient({}))),
  table: config.TABLE_NAME,
};

/** The record's body as the rule wrote it, or the status a body that is not JSON ends with. */
function bodyOf(body: string): { message: unknown } | { dropped: DeviceStatusOutcome } {
  try {
    return { message: JSON.parse(body) };
  } catch (error) {
    return {
      dropped: {
        status: 'dropped',
        deviceId: undefined,
        reason: `SQS body is not JSON (${(error as Error).message})`,
      },
    };
  }
}

/**
 * Lambda entry: an SQS batch of device statuses from the status topic rule. A status that can never apply is
 * logged with its reason and dropped (acknowledged); only a failure of DynamoDB leaves a record to be retried
 * alone, and after 5 receives it goes to the dead-letter queue.
 */
export const handler = shell(o, async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const body = bodyOf(record.body);
      const outcome = 'dropped' in body ? body.dropped : await recordDeviceStatus(body.message, deps);
      o.metrics.addMetric(`DeviceStatus_${outcome.status}`, 'Count', 1);
      if (outcome.status === 'dropped')
        o.logger.warn('device status dropped', { messageId: record.messageId, ...outcome });
      else o.logger.info('device status', { messageId: record.messageId, ...outcome });
    } catch (error) {
      o.logger.error('device status failed', { messageId: record.messageId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
});
