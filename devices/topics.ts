/**
 * The MQTT topic scheme: the one registry of topic names. MQTT 3.1.1-compatible, so aedes, Mosquitto and
 * AWS IoT Core all carry it.
 *
 * | topic | direction | QoS | retained |
 * |---|---|---|---|
 * | `labloop/{lab}/devices/{device}/commands` | orchestrator → device | 1 | no |
 * | `labloop/{lab}/devices/{device}/events` | device → orchestrator | 1 | no |
 * | `labloop/{lab}/devices/{device}/telemetry` | device → anyone | 0 | no |
 * | `labloop/{lab}/devices/{device}/status` | device (or its last will) → anyone | 1 | yes |
 */
export type DeviceChannel = 'commands' | 'events' | 'telemetry' | 'status';

/** All channels, in the order the docs list them. */
export const deviceChannels: readonly DeviceChannel[] = ['commands', 'events', 'telemetry', 'status'];

/** The topic of one device's channel. */
export function deviceTopic(labId: string, deviceId: string, channel: DeviceChannel): string {
  return `labloop/${labId}/devices/${deviceId}/${channel}`;
}

/** A subscription filter for one channel of every device of a lab. */
export function labFilter(labId: string, channel: DeviceChannel): string {
  return `labloop/${labId}/devices/+/${channel}`;
}

/** Splits a device topic into its parts, or returns `undefined` when it is not one. */
export function parseDeviceTopic(
  topic: string,
): { labId: string; deviceId: string; channel: DeviceChannel } | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'labloop' || parts[2] !== 'devices') return undefined;
  const channel = parts[4] as DeviceChannel;
  if (!deviceChannels.includes(channel)) return undefined;
  return { labId: parts[1] as string, deviceId: parts[3] as string, channel };
}
