import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseWith } from '../../contracts/errors.ts';
import { BaseConfigSchema, parseConfig } from '../shared/config.ts';
import { observability, shell } from '../shared/lambda-shell.ts';
import { TaskPayloadSchema } from '../shared/task-payload.ts';
import { awaitOperator } from './core.ts';

const config = parseConfig(BaseConfigSchema, process.env);
const o = observability('operator-await');
const deps = {
  db: DynamoDBDocumentClient.from(o.tracer.captureAWSv3Client(new DynamoDBClient({}))),
  sfn: o.tracer.captureAWSv3Client(new SFNClient({})),
  table: config.TABLE_NAME,
};

/** Lambda entry: a `.waitForTaskToken` operator wait → answered from the queue, or parked for campaign-api. */
export const handler = shell(o, async (event: unknown) =>
  awaitOperator(parseWith(TaskPayloadSchema, event, 'awaitOperator task payload'), deps),
);
