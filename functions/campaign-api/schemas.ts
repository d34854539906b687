import * as z from 'zod/mini';
import { CampaignSpecSchema } from './campaign.mini.ts';

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * A campaign id: it names the campaign's Step Functions execution (so a repeated start finds it) and prefixes its
 * experiments' executions (`<campaignId>-e0001`), which stay within the 80-character execution-name limit.
 */
export const CampaignIdSchema = z
  .string()
  .check(z.regex(SLUG, 'must be lowercase letters, digits and -, starting with a letter or digit'));

/** `POST /api/campaigns`: start a campaign under an id chosen by the caller (a repeated start is harmless). */
export const StartCampaignRequestSchema = z.object({
  campaignId: CampaignIdSchema,
  /** The campaign file as JSON, checked with every rule of `CampaignSchema` (see `campaign.mini.ts`). */
  campaign: CampaignSpecSchema,
});
/** A parsed {@link StartCampaignRequestSchema}. */
export type StartCampaignRequest = z.output<typeof StartCampaignRequestSchema>;

const Why = z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(500)));

/**
 * `POST /api/campaigns/{campaignId}/actions`: the local dashboard's action request (`contracts/api.ts`) without
 * `emergency-stop`, which is the lab's whatever the campaign: `POST /api/lab/emergency-stop`
 * ({@link EmergencyStopRequestSchema}).
 */
export const CampaignActionRequestSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.enum(['pause', 'pause-now', 'resume', 'stop', 'abort']), why: Why }),
  z.strictObject({
    action: z.enum(['approve', 'reject']),
    experimentId: z.string().check(z.minLength(1), z.maxLength(200)),
    why: Why,
  }),
]);
/** A parsed {@link CampaignActionRequestSchema}. */
export type CampaignActionRequest = z.output<typeof CampaignActionRequestSchema>;

/** `POST /api/lab/emergency-stop`: halt every online device of the lab and abort every running campaign. */
export const EmergencyStopRequestSchema = z.strictObject({ why: Why });

/** The operator event each campaign action queues, as the compiled campaign machine names its events. */
export const ACTION_EVENTS: Record<CampaignActionRequest['action'], string> = {
  pause: 'PAUSE',
  'pause-now': 'PAUSE_NOW',
  resume: 'RESUME',
  stop: 'STOP',
  abort: 'ABORT',
  approve: 'APPROVE',
  reject: 'REJECT',
};

/** JSON with object keys sorted at every level, so two equal values have one text (inputs compare as text). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
