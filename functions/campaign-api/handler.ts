import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { systemClock } from '../../contracts/clock.ts';
import { BaseConfigSchema, parseConfig } from '../shared/config.ts';
import { httpApi } from '../shared/http-api.ts';
import { observability, shell } from '../shared/lambda-shell.ts';
import { campaignApi } from './core.ts';

const Arn = z.string().check(z.regex(/^arn:[a-z-]+:states:/, 'must be a Step Functions state machine ARN'));
const config = parseConfig(
  z.extend(BaseConfigSchema, {
    CAMPAIGN_STATE_MACHINE_ARN: Arn,
    EXPERIMENT_STATE_MACHINE_ARN: Arn,
  }),
  process.env,
);
const o = observability('campaign-api');
const deps = {
  db: DynamoDBDocumentClient.from(o.tracer.captureAWSv3Client(new DynamoDBClient({}))),
  sfn: o.tracer.captureAWSv3Client(new SFNClient({})),
  iot: o.tracer.captureAWSv3Client(new IoTDataPlaneClient({})),
  table: config.TABLE_NAME,
  labId: config.LAB_ID,
  campaignStateMachineArn: config.CAMPAIGN_STATE_MACHINE_ARN,
  experimentStateMachineArn: config.EXPERIMENT_STATE_MACHINE_ARN,
  clock: systemClock,
};

/** Lambda entry: an HTTP API request (Cognito JWT claims attached) → the campaign API's JSON answer. */
export const handler = shell(
  o,
  httpApi(
    (request) => campaignApi(request, deps),
    (error) => o.logger.error('campaign-api request failed', { error: error as Error }),
  ),
);
