import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock } from '../../contracts/clock.ts';
import { parseWith } from '../../contracts/errors.ts';
import { BaseConfigSchema, parseConfig } from '../shared/config.ts';
import { observability, shell } from '../shared/lambda-shell.ts';
import { TaskPayloadSchema } from '../shared/task-payload.ts';
import { dispatchCommand } from './core.ts';

const config = parseConfig(BaseConfigSchema, process.env);
const o = observability('dispatch-command');
const deps = {
  db: DynamoDBDocumentClient.from(o.tracer.captureAWSv3Client(new DynamoDBClient({}))),
  iot: o.tracer.captureAWSv3Client(new IoTDataPlaneClient({})),
  sfn: o.tracer.captureAWSv3Client(new SFNClient({})),
  table: config.TABLE_NAME,
  labId: config.LAB_ID,
  clock: systemClock,
};

/** Lambda entry: a `.waitForTaskToken` device step → a stored token and a published command. */
export const handler = shell(o, async (event: unknown) => {
  const payload = parseWith(TaskPayloadSchema, event, 'deviceStep task payload');
  const result = await dispatchCommand(payload, deps);
  o.metrics.addMetric(
    result.status === 'published' ? 'CommandPublished' : 'CommandAnsweredFromStore',
    'Count',
    1,
  );
  return result;
});
