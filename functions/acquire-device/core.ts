import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { Clock } from '../../contracts/clock.ts';
import { parseWith } from '../../contracts/errors.ts';
import { FaultCodes } from '../../contracts/fault-codes.ts';
import { TaskFaultError } from '../errors.ts';
import { devicesOfKind } from '../shared/devices.ts';
import { keys } from '../shared/table.ts';
import type { TaskPayload } from '../shared/task-payload.ts';

/** The `acquireDevice` actor's input, as the compiled experiment sends it. */
export const AcquireInputSchema = z.object({
  kind: z.string().check(z.minLength(1)),
  command: z.string().check(z.minLength(1)),
  experimentId: z.string().check(z.minLength(1)),
  step: z.string().check(z.minLength(1)),
});

/** What acquire-device works with. */
export interface AcquireDeps {
  db: DynamoDBDocumentClient;
  table: string;
  clock: Clock;
  /** How long a lease lasts if nothing releases it (a step that timed out), in s. */
  leaseSeconds: number;
}

/**
 * Leases an idle online device of the step's kind that offers the command: a conditional write that succeeds
 * only when the device has no live lease (or this experiment holds it already, as after a retried call), so two
 * experiments never get one device. With every device busy it fails `DeviceBusy` (retryable: the compiled
 * experiment retries with backoff, as the local pool waits); with none that offers the command,
 * `NoDeviceAvailable`.
 */
export async function acquireDevice(payload: TaskPayload, deps: AcquireDeps): Promise<{ deviceId: string }> {
  const input = parseWith(
    AcquireInputSchema,
    payload.input,
    `acquireDevice input of ${payload.context.campaignId}`,
  );
  const now = deps.clock.now();
  const candidates = (await devicesOfKind(deps.db, deps.table, input.kind))
    .filter((d) => d.online && d.descriptor?.capabilities.some((c) => c.command === input.command))
    .sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  if (candidates.length === 0)
    throw new TaskFaultError({
      code: FaultCodes.NoDeviceAvailable,
      message: `no online ${input.kind} offers "${input.command}" (experiment ${input.experimentId}, step ${input.step})`,
      retryable: false,
    });
  for (const device of candidates) {
    if (device.lease && device.lease.until > now && device.lease.experimentId !== input.experimentId)
      continue;
    try {
      await deps.db.send(
        new UpdateCommand({
          TableName: deps.table,
          Key: keys.device(input.kind, device.deviceId),
          UpdateExpression: 'SET lease = :lease',
          ConditionExpression:
            'attribute_not_exists(lease) OR lease.#until < :now OR lease.experimentId = :e',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: {
            ':lease': { experimentId: input.experimentId, until: now + deps.leaseSeconds * 1000 },
            ':now': now,
            ':e': input.experimentId,
          },
        }),
      );
      return { deviceId: device.deviceId };
    } catch (error) {
      // Another experiment leased it between the query and the write: try the next device.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  throw new TaskFaultError({
    code: FaultCodes.DeviceBusy,
    message: `every online ${input.kind} offering "${input.command}" is busy (${candidates.length}; experiment ${input.experimentId})`,
    retryable: true,
  });
}
