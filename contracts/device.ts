import { z } from 'zod';

/** A device or lab id: lowercase letters, digits and `-`, safe inside an MQTT topic. */
export const SlugSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'must be lowercase letters, digits and -, starting with a letter or digit',
  );

/** Milliseconds since the Unix epoch, read from the sender's clock. */
export const EpochMsSchema = z.number().int().nonnegative();

/**
 * One limit of a device's safe operating envelope.
 *
 * `parameter` is a dot path into the command's parameters; `*` stands for every key of an object
 * (`volumes.*` checks each volume). With `aggregate: 'sum'` the limit applies to the sum of the values.
 * `allowZero` lets a value be exactly 0 below `min` (a liquid handler skips a reservoir it dispenses 0 µL of).
 */
export const EnvelopeRuleSchema = z.object({
  parameter: z.string().min(1),
  unit: z.string(),
  min: z.number().optional(),
  max: z.number().optional(),
  aggregate: z.enum(['each', 'sum']).default('each'),
  allowZero: z.boolean().default(false),
});
export type EnvelopeRule = z.infer<typeof EnvelopeRuleSchema>;

/** A command a device kind accepts, with a JSON Schema of its parameters and its envelope. */
export const CapabilitySchema = z.object({
  command: z.string().min(1),
  description: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  envelope: z.array(EnvelopeRuleSchema),
  /** Whether a step interrupted half-way can be resumed (a furnace ramp cannot). */
  resumable: z.boolean().default(true),
});
export type Capability = z.infer<typeof CapabilitySchema>;

/** What a device announces about itself in its retained `status` message. */
export const DeviceDescriptorSchema = z.object({
  deviceId: SlugSchema,
  kind: SlugSchema,
  model: z.string(),
  firmware: z.string(),
  capabilities: z.array(CapabilitySchema),
  /** How often the device sends telemetry while online, in s. */
  heartbeat: z.number().positive(),
});
export type DeviceDescriptor = z.infer<typeof DeviceDescriptorSchema>;

/**
 * An instruction to one device (orchestrator → device, QoS 1, `…/commands`).
 *
 * `commandId` is deterministic (campaign, experiment, step, attempt): a repeat is the same command and the
 * device answers it from its journal. A device refuses a command whose `deadline` has passed.
 */
export const DeviceCommandSchema = z.object({
  commandId: z.string().min(1).max(200),
  deviceId: SlugSchema,
  command: z.string().min(1),
  parameters: z.record(z.string(), z.unknown()),
  issuedAt: EpochMsSchema,
  deadline: EpochMsSchema,
  campaignId: z.string().optional(),
  experimentId: z.string().optional(),
});
export type DeviceCommand = z.infer<typeof DeviceCommandSchema>;

/** Parameters of the reserved `interrupt` command: the command to stop (see the MQTT contract). */
export const InterruptParametersSchema = z.object({ commandId: z.string().min(1).max(200) });

/** An error travelling as data. `code` is a stable name from {@link FaultCodes} or a device's own. */
export const FaultSchema = z.object({
  code: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'must be a PascalCase error name'),
  message: z.string(),
  retryable: z.boolean(),
});
export type Fault = z.infer<typeof FaultSchema>;

const EventBase = { commandId: z.string().min(1), deviceId: SlugSchema, at: EpochMsSchema };

/** Device → orchestrator, QoS 1, `…/events`. */
export const DeviceEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('accepted'), ...EventBase }),
  z.object({
    type: z.literal('progress'),
    ...EventBase,
    fraction: z.number().min(0).max(1),
    message: z.string().optional(),
  }),
  z.object({
    type: z.literal('result'),
    ...EventBase,
    output: z.record(z.string(), z.unknown()),
    /** True when the device answers a repeated command from its journal without acting again. */
    replay: z.boolean().default(false),
  }),
  z.object({
    type: z.literal('fault'),
    ...EventBase,
    error: FaultSchema,
    replay: z.boolean().default(false),
  }),
]);
export type DeviceEvent = z.infer<typeof DeviceEventSchema>;
export type DeviceEventType = DeviceEvent['type'];

/** Retained, `…/status`: `online` with the descriptor, or `offline` (also the broker's last will). */
export const DeviceStatusSchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('online'),
    deviceId: SlugSchema,
    at: EpochMsSchema,
    descriptor: DeviceDescriptorSchema,
  }),
  z.object({ state: z.literal('offline'), deviceId: SlugSchema, at: EpochMsSchema.optional() }),
]);
export type DeviceStatus = z.infer<typeof DeviceStatusSchema>;

/** QoS 0, `…/telemetry`: the device's current readings, also its heartbeat. */
export const TelemetrySchema = z.object({
  deviceId: SlugSchema,
  at: EpochMsSchema,
  busy: z.boolean(),
  values: z.record(z.string(), z.number()),
});
export type Telemetry = z.infer<typeof TelemetrySchema>;
