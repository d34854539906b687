import { z } from 'zod';
import { ObjectiveValuesSchema, ParameterValuesSchema } from './design-space.ts';
import { DeviceEventSchema, EpochMsSchema, FaultSchema } from './device.ts';

/**
 * The registry of run events: one line each in a run directory's `events.jsonl`, in the order they happened.
 * Names are dot-namespaced; `seq` counts from 1 within a run directory and continues across resumes.
 */
export const RunEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('campaign.started'), campaignId: z.string(), name: z.string(), seed: z.int() }),
  z.object({ type: z.literal('campaign.resumed'), campaignId: z.string(), state: z.string() }),
  z.object({ type: z.literal('campaign.state'), state: z.string() }),
  z.object({
    type: z.literal('campaign.finished'),
    reason: z.string(),
    error: z.string().optional(),
  }),
  z.object({
    type: z.literal('planner.proposed'),
    batch: z.int(),
    experiments: z.array(z.object({ experimentId: z.string(), parameters: ParameterValuesSchema })),
  }),
  z.object({
    type: z.literal('gate.decided'),
    experimentId: z.string(),
    verdict: z.enum(['approved', 'rejected', 'approval-needed']),
    reason: z.string(),
  }),
  z.object({ type: z.literal('experiment.started'), experimentId: z.string() }),
  z.object({
    type: z.literal('experiment.finished'),
    experimentId: z.string(),
    status: z.enum(['succeeded', 'failed']),
    values: ObjectiveValuesSchema.optional(),
    error: FaultSchema.extend({ step: z.string() }).optional(),
  }),
  z.object({
    type: z.literal('command.sent'),
    commandId: z.string(),
    deviceId: z.string(),
    command: z.string(),
    parameters: z.record(z.string(), z.unknown()),
  }),
  z.object({
    type: z.literal('command.refused'),
    commandId: z.string(),
    deviceId: z.string(),
    reason: z.string(),
  }),
  z.object({ type: z.literal('device.event'), event: DeviceEventSchema }),
  z.object({
    type: z.literal('device.status'),
    deviceId: z.string(),
    state: z.enum(['online', 'offline', 'lost']),
  }),
  z.object({ type: z.literal('log.repaired'), droppedBytes: z.int() }),
  z.object({ type: z.literal('approval.requested'), experimentId: z.string(), reason: z.string() }),
  z.object({
    type: z.literal('approval.decided'),
    experimentId: z.string(),
    verdict: z.enum(['approved', 'rejected']),
  }),
  z.object({
    type: z.literal('operator.action'),
    action: z.enum(['pause', 'pause-now', 'resume', 'stop', 'abort', 'emergency-stop', 'approve', 'reject']),
    experimentId: z.string().optional(),
  }),
]);
export type RunEventBody = z.infer<typeof RunEventSchema>;
export type RunEventType = RunEventBody['type'];

/** A run event as stored: the body plus its sequence number and clock time. */
export type RunEvent = RunEventBody & { seq: number; at: number };

/** The fields every line of `events.jsonl` has besides its event: order, time, who, why and the hash chain. */
export const RunEventEnvelopeSchema = z.object({
  seq: z.int().min(1),
  at: EpochMsSchema,
  who: z.string(),
  why: z.string().optional(),
  prev: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
