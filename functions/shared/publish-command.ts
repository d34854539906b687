import { type IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
// Pure leaf modules, not the folders' index.ts (ADR 0006).
import type { DeviceCommand } from '../../contracts/device.ts';
import { deviceTopic } from '../../devices/topics.ts';

/**
 * Publishes a command on its device's commands topic through IoT Core: QoS 1, JSON, and a message expiry (s) so
 * the broker drops a command that a device would refuse for its deadline anyway.
 */
export async function publishCommand(
  iot: IoTDataPlaneClient,
  labId: string,
  command: DeviceCommand,
  expirySeconds: number,
): Promise<void> {
  await iot.send(
    new PublishCommand({
      topic: deviceTopic(labId, command.deviceId, 'commands'),
      qos: 1,
      payload: new TextEncoder().encode(JSON.stringify(command)),
      contentType: 'application/json',
      messageExpiry: expirySeconds,
    }),
  );
}
