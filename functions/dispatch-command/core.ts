import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
// Pure leaf modules, not the folders' index.ts: the Lambda bundle must not pull classic Zod, mqtt or xstate in
// (ADR 0006).
import type { Clock } from '../../contracts/clock.ts';
import type { DeviceCommand } from '../../contracts/device.ts';
import { envelopeViolations } from '../../contracts/envelope.ts';
import { parseWith } from '../../contracts/errors.ts';
import { FaultCodes } from '../../contracts/fault-codes.ts';
import { TaskFaultError } from '../errors.ts';
import { ProtocolStepSchema } from '../shared/contracts.mini.ts';
import { deviceOf } from '../shared/devices.ts';
import { publishCommand } from '../shared/publish-command.ts';
import { renderCommandParameters } from '../shared/render.ts';
import { sendFailure, sendSuccess } from '../shared/settle.ts';
import { keys } from '../shared/table.ts';
import type { TaskPayload } from '../shared/task-payload.ts';

/** The `deviceStep` actor's input, as the compiled experiment sends it. */
export const DeviceStepInputSchema = z.object({
  commandId: z.string().check(z.minLength(1)),
  deviceId: z.string().check(z.minLength(1)),
  step: ProtocolStepSchema,
  scope: z.object({
    proposal: z.record(z.string(), z.unknown()),
    experiment: z.object({ id: z.string(), index: z.number(), plate: z.string(), well: z.string() }),
    steps: z.record(z.string(), z.record(z.string(), z.unknown())),
  }),
  campaignId: z.string().check(z.minLength(1)),
  experimentId: z.string().check(z.minLength(1)),
});

/** What dispatch-command works with; clients are created once per cold start by the handler. */
export interface DispatchDeps {
  db: DynamoDBDocumentClient;
  iot: IoTDataPlaneClient;
  sfn: SFNClient;
  table: string;
  labId: string;
  clock: Clock;
}

/** What happened to the command: published, or answered at once from an outcome already stored. */
export type DispatchResult =
  | { status: 'published'; command: DeviceCommand }
  | { status: 'answered'; commandId: string };

/**
 * Releases the experiment's lease on the device it acquired for a command answered from the store: nothing was
 * sent, so no device event will release it (a re-run of a finished experiment after pause now, a retried task).
 */
async function releaseLease(kind: string, deviceId: string, experimentId: string, deps: DispatchDeps) {
  try {
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: keys.device(kind, deviceId),
        UpdateExpression: 'REMOVE lease',
        ConditionExpression: 'lease.experimentId = :e',
        ExpressionAttributeValues: { ':e': experimentId },
      }),
    );
  } catch (error) {
    // Another experiment holds the device now: its lease is not ours to release.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/**
 * `deviceStep` in the cloud: renders the step's parameters, checks them against the chosen device's envelope,
 * stores commandId → task token (a conditional write: a command that already has an outcome is answered from it,
 * never sent twice, and the device's lease is released), and publishes the command through IoT Core with its
 * deadline as MQTT message expiry. A
 * timeout retry re-sends the same commandId with a new token; the device answers it from its journal.
 */
export async function dispatchCommand(payload: TaskPayload, deps: DispatchDeps): Promise<DispatchResult> {
  const input = parseWith(
    DeviceStepInputSchema,
    payload.input,
    `deviceStep input of ${payload.context.campaignId}`,
  );
  const taskToken = payload.taskToken;
  if (!taskToken)
    throw new TaskFaultError({
      code: 'MissingTaskToken',
      message: 'deviceStep runs as a .waitForTaskToken task; no taskToken came',
      retryable: false,
    });
  const parameters = await renderCommandParameters(input.step, input.scope);
  const device = await deviceOf(deps.db, deps.table, input.step.device, input.deviceId);
  const capability = device?.descriptor?.capabilities.find((c) => c.command === input.step.command);
  if (!capability)
    throw new TaskFaultError({
      code: FaultCodes.UnknownCommand,
      message: `${input.deviceId} does not offer "${input.step.command}" (command ${input.commandId})`,
      retryable: false,
    });
  const violations = envelopeViolations(capability.envelope, parameters);
  if (violations.length > 0)
    throw new TaskFaultError({
      code: FaultCodes.OutsideEnvelope,
      message: `${violations.join('; ')} (command ${input.commandId}, device ${input.deviceId})`,
      retryable: false,
    });

  const now = deps.clock.now();
  const command: DeviceCommand = {
    commandId: input.commandId,
    deviceId: input.deviceId,
    command: input.step.command,
    parameters,
    issuedAt: now,
    deadline: now + input.step.timeout * 1000,
    campaignId: input.campaignId,
    experimentId: input.experimentId,
  };
  try {
    await deps.db.send(
      new PutCommand({
        TableName: deps.table,
        Item: {
          ...keys.command(command.commandId),
          status: 'sent',
          taskToken,
          kind: input.step.device,
          step: input.step.name,
          command,
          firmware: device?.descriptor?.firmware ?? 'unknown',
          // Kept a week after the deadline, for late duplicates.
          ttl: Math.ceil(command.deadline / 1000) + 7 * 24 * 3600,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR #status = :sent',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sent': 'sent' },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const stored = await deps.db.send(
      new GetCommand({ TableName: deps.table, Key: keys.command(command.commandId) }),
    );
    const item = stored.Item ?? {};
    if (item.status === 'result') await sendSuccess(deps.sfn, taskToken, item.outcome);
    else
      await sendFailure(
        deps.sfn,
        taskToken,
        String((item.outcome as { code?: string })?.code ?? 'DriverError'),
        JSON.stringify(item.outcome),
      );
    await releaseLease(input.step.device, input.deviceId, input.experimentId, deps);
    return { status: 'answered', commandId: command.commandId };
  }
  await publishCommand(deps.iot, deps.labId, command, Math.max(1, input.step.timeout));
  return { status: 'published', command };
}
