import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock } from '../../contracts/clock.ts';
import { parseWith } from '../../contracts/errors.ts';
import { BaseConfigSchema, parseConfig } from '../shared/config.ts';
import { observability, shell } from '../shared/lambda-shell.ts';
import { TaskPayloadSchema } from '../shared/task-payload.ts';
import { gateBatch } from './core.ts';

const config = parseConfig(BaseConfigSchema, process.env);
const o = observability('policy-gate');
const deps = {
  db: DynamoDBDocumentClient.from(o.tracer.captureAWSv3Client(new DynamoDBClient({}))),
  table: config.TABLE_NAME,
  clock: systemClock,
};

/** Lambda entry: the campaign's `gateBatch` task → approved proposals and rejections, or `ApprovalPending`. */
export const handler = shell(o, async (event: unknown) => {
  const result = await gateBatch(parseWith(TaskPayloadSchema, event, 'gateBatch task payload'), deps);
  o.metrics.addMetric('ProposalsApproved', 'Count', result.approved.length);
  o.metrics.addMetric('ProposalsRejected', 'Count', result.rejections.length);
  return result;
});
