import { z } from 'zod';
import { ObjectiveValuesSchema, ParameterSchema, ParameterValuesSchema } from './design-space.ts';
import { EpochMsSchema, FaultSchema } from './device.ts';
import { ExperimentStatusSchema } from './experiment.ts';

/**
 * Payloads of the dashboard API (`runtime/api`) and its live stream: what a phone sends and what it is sent.
 * The server validates every request body with these; the dashboard imports only the inferred types.
 */

/**
 * What a token lets its holder do. Roles are ordered: an operator can do what a viewer can, an approver what an
 * operator can. `viewer` reads; `operator` also pauses, resumes, stops, aborts, emergency-stops and acknowledges
 * alerts; `approver` also approves and rejects proposals waiting at the policy gate.
 */
export const RoleSchema = z.enum(['viewer', 'operator', 'approver']);
export type Role = z.infer<typeof RoleSchema>;

/** One access token: who holds it (the audit log's `operator:<name>`), their role and the secret itself. */
export const AccessTokenSchema = z.object({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,39}$/, 'must be lowercase letters, digits, ., _ or -, at most 40'),
  role: RoleSchema,
  token: z.string().min(16, 'must be at least 16 characters (a guessable token is no access control)'),
});
export type AccessToken = z.infer<typeof AccessTokenSchema>;

/** A tokens file (`labloop run --tokens tokens.json`): every person or screen with its own token. */
export const AccessTokensFileSchema = z.array(AccessTokenSchema).min(1, 'needs at least one token');

const Why = z.string().trim().min(1).max(500).optional();

/** An operator action as the dashboard posts it to `POST /api/actions`. */
export const ActionRequestSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.enum(['pause', 'pause-now', 'resume', 'stop', 'abort', 'emergency-stop']),
    why: Why,
  }),
  z.strictObject({
    action: z.enum(['approve', 'reject']),
    experimentId: z.string().min(1).max(200),
    why: Why,
  }),
]);
export type ActionRequest = z.infer<typeof ActionRequestSchema>;
/** The name of an action, e.g. `emergency-stop`. */
export type ActionName = ActionRequest['action'];

/** A browser's Web Push subscription (`PushSubscription.toJSON()`), posted to `POST /api/push/subscriptions`. */
export const PushSubscriptionSchema = z.object({
  endpoint: z.url({ protocol: /^https?$/, error: 'expected an https:// or http:// URL' }).max(2000),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({ p256dh: z.string().min(1).max(200), auth: z.string().min(1).max(100) }),
});
export type PushSubscriptionPayload = z.infer<typeof PushSubscriptionSchema>;

/** What needs a person: kinds of alert. */
export const AlertKindSchema = z.enum([
  'device.fault',
  'device.offline',
  'approval.requested',
  'campaign.finished',
  'campaign.failed',
]);
export type AlertKind = z.infer<typeof AlertKindSchema>;

/** One alert of the inbox. `count` grows when the same fault repeats before anyone acknowledges it. */
export const AlertSchema = z.object({
  id: z.string(),
  kind: AlertKindSchema,
  severity: z.enum(['info', 'warning', 'critical']),
  title: z.string(),
  detail: z.string(),
  at: EpochMsSchema,
  lab: z.string(),
  campaignId: z.string(),
  deviceId: z.string().optional(),
  experimentId: z.string().optional(),
  count: z.int().min(1),
  /** Set once the situation is over by itself (a proposal was decided, a device came back). */
  resolved: z.boolean(),
  acknowledged: z.object({ who: z.string(), at: EpochMsSchema }).optional(),
});
export type Alert = z.infer<typeof AlertSchema>;

/** What the dashboard shows of one device. */
export const DeviceViewSchema = z.object({
  deviceId: z.string(),
  kind: z.string().optional(),
  model: z.string().optional(),
  firmware: z.string().optional(),
  status: z.enum(['offline', 'idle', 'busy', 'faulted', 'halted']),
  online: z.boolean(),
  current: z
    .object({
      commandId: z.string(),
      command: z.string(),
      experimentId: z.string().optional(),
      fraction: z.number(),
      since: EpochMsSchema,
    })
    .optional(),
  lastFault: FaultSchema.extend({ at: EpochMsSchema, commandId: z.string() }).optional(),
  /** What the device said its safe state is when it was emergency-stopped. */
  safeState: z.string().optional(),
  telemetry: z.object({ at: EpochMsSchema, values: z.record(z.string(), z.number()) }).optional(),
  lastSeen: EpochMsSchema,
});
export type DeviceView = z.infer<typeof DeviceViewSchema>;

/** One command sent to a device and how it went. */
export const CommandViewSchema = z.object({
  commandId: z.string(),
  deviceId: z.string(),
  command: z.string(),
  experimentId: z.string().optional(),
  step: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()),
  status: z.enum(['sent', 'running', 'succeeded', 'failed', 'refused']),
  fraction: z.number(),
  sentAt: EpochMsSchema,
  finishedAt: EpochMsSchema.optional(),
  output: z.record(z.string(), z.unknown()).optional(),
  error: FaultSchema.optional(),
});
export type CommandView = z.infer<typeof CommandViewSchema>;

/** One row of the experiment table. */
export const ExperimentViewSchema = z.object({
  experimentId: z.string(),
  index: z.int(),
  batch: z.int(),
  parameters: ParameterValuesSchema,
  status: ExperimentStatusSchema,
  values: ObjectiveValuesSchema.optional(),
  reason: z.string().optional(),
  error: FaultSchema.extend({ step: z.string() }).optional(),
  proposedAt: EpochMsSchema,
  finishedAt: EpochMsSchema.optional(),
});
export type ExperimentView = z.infer<typeof ExperimentViewSchema>;

/** A proposal waiting for a person at the policy gate. */
export const PendingApprovalViewSchema = z.object({
  experimentId: z.string(),
  reason: z.string(),
  requestedAt: EpochMsSchema,
  expiresAt: EpochMsSchema,
});

/** The campaign as the dashboard shows it. */
export const CampaignViewSchema = z.object({
  campaignId: z.string(),
  name: z.string(),
  lab: z.string(),
  description: z.string().optional(),
  /** The machine's state: planning, gating, running, recording, paused, completed, aborted, failed. */
  state: z.string(),
  pauseRequested: z.boolean(),
  ended: z.boolean(),
  reason: z.string().optional(),
  budget: z.int(),
  proposed: z.int(),
  succeeded: z.int(),
  failed: z.int(),
  rejected: z.int(),
  objective: z.object({
    name: z.string(),
    goal: z.enum(['maximise', 'minimise']),
    target: z.number().optional(),
  }),
  space: z.array(ParameterSchema),
  approval: z.object({ require: z.string(), timeout: z.number() }),
  pendingApprovals: z.array(PendingApprovalViewSchema),
  startedAt: EpochMsSchema,
  updatedAt: EpochMsSchema,
});
export type CampaignView = z.infer<typeof CampaignViewSchema>;

/** One line of the activity feed: an audit record, summarised. */
export const ActivityEntrySchema = z.object({
  seq: z.int(),
  at: EpochMsSchema,
  who: z.string(),
  why: z.string().optional(),
  type: z.string(),
  text: z.string(),
});
export type ActivityEntry = z.infer<typeof ActivityEntrySchema>;

/** Who the token belongs to, as the server sees it. */
export const PrincipalSchema = z.object({ name: z.string(), role: RoleSchema });
export type Principal = z.infer<typeof PrincipalSchema>;

/** Everything the dashboard needs to draw every screen; sent on connect and after every reconnect. */
export const LabSnapshotSchema = z.object({
  lab: z.string(),
  now: EpochMsSchema,
  you: PrincipalSchema,
  campaign: CampaignViewSchema,
  devices: z.array(DeviceViewSchema),
  experiments: z.array(ExperimentViewSchema),
  commands: z.array(CommandViewSchema),
  alerts: z.array(AlertSchema),
  activity: z.array(ActivityEntrySchema),
  push: z.object({ publicKey: z.string().optional() }),
});
export type LabSnapshot = z.infer<typeof LabSnapshotSchema>;

/** One message of the live stream (`GET /api/events`, Server-Sent Events, `event: <type>`). */
export const LiveMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), snapshot: LabSnapshotSchema }),
  z.object({ type: z.literal('campaign'), campaign: CampaignViewSchema }),
  z.object({ type: z.literal('device'), device: DeviceViewSchema }),
  z.object({ type: z.literal('experiment'), experiment: ExperimentViewSchema }),
  z.object({ type: z.literal('command'), command: CommandViewSchema }),
  z.object({ type: z.literal('alert'), alert: AlertSchema }),
  z.object({ type: z.literal('activity'), entry: ActivityEntrySchema }),
]);
export type LiveMessage = z.infer<typeof LiveMessageSchema>;

/** An error answer of the API: what was wrong, in words a person can act on. */
export const ApiErrorSchema = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.string()).optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

/**
 * `config.json` beside the dashboard's `index.html`: where its API lives. Served by the local runtime as
 * `{ "apiBase": "" }` (same origin); a copy hosted on S3/CloudFront names the cloud API instead.
 */
export const DashboardConfigSchema = z.object({
  /** Base URL of the API, without a trailing slash; empty for the origin that served the page. */
  apiBase: z.string().default(''),
  /** Shown in the header, e.g. the lab's name. */
  title: z.string().default('labloop'),
});
export type DashboardConfig = z.infer<typeof DashboardConfigSchema>;
