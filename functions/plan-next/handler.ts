import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock } from '../../contracts/clock.ts';
import { parseWith } from '../../contracts/errors.ts';
import { BaseConfigSchema, parseConfig } from '../shared/config.ts';
import { observability, shell } from '../shared/lambda-shell.ts';
import { TaskPayloadSchema } from '../shared/task-payload.ts';
import { planNext } from './core.ts';

const config = parseConfig(BaseConfigSchema, process.env);
const o = observability('plan-next');
const deps = {
  db: DynamoDBDocumentClient.from(o.tracer.captureAWSv3Client(new DynamoDBClient({}))),
  table: config.TABLE_NAME,
  clock: systemClock,
};

/** Lambda entry: the campaign's `planBatch` task → proposals; its `recordBatch` task → progress. */
export const handler = shell(o, async (event: unknown) => {
  const payload = parseWith(TaskPayloadSchema, event, 'plan-next task payload');
  const result = await planNext(payload, deps);
  if (Array.isArray(result)) o.metrics.addMetric('ProposalsPlanned', 'Count', result.length);
  else o.metrics.addMetric('BatchRecorded', 'Count', 1);
  return result;
});
