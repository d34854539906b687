import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceCommand } from '../../contracts/device.ts';
import { publishCommand } from '../shared/publish-command.ts';

/**
 * How long a reserved command (`interrupt`, `emergencyStop`) is valid, in ms, as the local device bus sends them:
 * devices handle them at once and never refuse them for their deadline; the broker drops one not delivered by then.
 */
export const RESERVED_DEADLINE_MS = 60_000;

/** What sending reserved commands works with. */
export interface ReservedDeps {
  db: DynamoDBDocumentClient;
  iot: IoTDataPlaneClient;
  table: string;
  labId: string;
  clock: { now(): number };
}

/**
 * Publishes a reserved command on the device's commands topic through IoT Core (QoS 1, message expiry at its
 * deadline), as the local device bus dispatches it (docs/mqtt-contract.md § reserved commands). The device's answer
 * comes back through device-event like any other; there is no task waiting for it.
 */
export async function publishReserved(
  deps: ReservedDeps,
  command: Pick<DeviceCommand, 'commandId' | 'deviceId' | 'command' | 'parameters'>,
): Promise<void> {
  const now = deps.clock.now();
  await publishCommand(
    deps.iot,
    deps.labId,
    { ...command, issuedAt: now, deadline: now + RESERVED_DEADLINE_MS },
    RESERVED_DEADLINE_MS / 1000,
  );
}
