import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseWith } from '../../contracts/errors.ts';
import { BaseConfigSchema, parseConfig } from '../shared/config.ts';
import { observability, shell } from '../shared/lambda-shell.ts';
import { TaskPayloadSchema } from '../shared/task-payload.ts';
import { takeInbox } from './core.ts';

const config = parseConfig(BaseConfigSchema, process.env);
const o = observability('operator-inbox');
const deps = {
  db: DynamoDBDocumentClient.from(o.tracer.captureAWSv3Client(new DynamoDBClient({}))),
  table: config.TABLE_NAME,
};

/** Lambda entry: after a task of a state that answers operator events → the events queued meanwhile. */
export const handler = shell(o, async (event: unknown) =>
  takeInbox(parseWith(TaskPayloadSchema, event, 'operatorInbox task payload'), deps),
);
