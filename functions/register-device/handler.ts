import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { systemClock } from '../../contracts/clock.ts';
import { BaseConfigSchema, parseConfig } from '../shared/config.ts';
import { httpApi } from '../shared/http-api.ts';
import { observability, shell } from '../shared/lambda-shell.ts';
import { registerDevice } from './core.ts';

const config = parseConfig(
  z.extend(BaseConfigSchema, { DEVICE_POLICY_NAME: z.string().check(z.minLength(1)) }),
  process.env,
);
const o = observability('register-device');
const deps = {
  iot: o.tracer.captureAWSv3Client(new IoTClient({})),
  db: DynamoDBDocumentClient.from(o.tracer.captureAWSv3Client(new DynamoDBClient({}))),
  table: config.TABLE_NAME,
  labId: config.LAB_ID,
  policyName: config.DEVICE_POLICY_NAME,
  clock: systemClock,
};

/** Lambda entry: `POST /api/devices` (operators) → a thing, a certificate with keys, the device in the registry. */
export const handler = shell(
  o,
  httpApi(
    (request) => registerDevice(request, deps),
    (error) => o.logger.error('register-device request failed', { error: error as Error }),
  ),
);
