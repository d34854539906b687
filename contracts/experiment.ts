import { z } from 'zod';
import { ObjectiveValuesSchema, ParameterValuesSchema } from './design-space.ts';
import { EpochMsSchema, FaultSchema } from './device.ts';

/** A planner's proposal after it has an identity in a campaign. */
export const ExperimentProposalSchema = z.object({
  experimentId: z.string().min(1),
  campaignId: z.string().min(1),
  /** 0-based position in the campaign. */
  index: z.int().nonnegative(),
  /** 0-based batch the planner proposed it in. */
  batch: z.int().nonnegative(),
  parameters: ParameterValuesSchema,
  strategy: z.string(),
  proposedAt: EpochMsSchema,
});
export type ExperimentProposal = z.infer<typeof ExperimentProposalSchema>;

/** The decision of the policy gate on one proposal. */
export const GateDecisionSchema = z.discriminatedUnion('verdict', [
  z.object({ verdict: z.literal('approved'), reason: z.string() }),
  z.object({ verdict: z.literal('rejected'), reason: z.string() }),
  z.object({ verdict: z.literal('approval-needed'), reason: z.string() }),
]);
export type GateDecision = z.infer<typeof GateDecisionSchema>;

/** Where an experiment is in its life. */
export const ExperimentStatusSchema = z.enum([
  'proposed',
  'awaiting-approval',
  'running',
  'succeeded',
  'failed',
  'rejected',
]);
export type ExperimentStatus = z.infer<typeof ExperimentStatusSchema>;

/** A device that took part in a measurement, for provenance. */
export const ProvenanceDeviceSchema = z.object({
  step: z.string(),
  deviceId: z.string(),
  firmware: z.string(),
  commandId: z.string(),
});

/** The outcome of one experiment, linked to its proposal and the devices that produced it. */
export const MeasurementSchema = z.object({
  experimentId: z.string(),
  campaignId: z.string(),
  values: ObjectiveValuesSchema,
  /** Each step's device output, by step name. */
  steps: z.record(z.string(), z.record(z.string(), z.unknown())),
  devices: z.array(ProvenanceDeviceSchema),
  workflowVersion: z.string(),
  measuredAt: EpochMsSchema,
});
export type Measurement = z.infer<typeof MeasurementSchema>;

/** How an experiment ended. */
export const ExperimentOutcomeSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('succeeded'), measurement: MeasurementSchema }),
  z.object({ status: z.literal('failed'), step: z.string(), error: FaultSchema }),
  z.object({ status: z.literal('rejected'), reason: z.string() }),
]);
export type ExperimentOutcome = z.infer<typeof ExperimentOutcomeSchema>;
