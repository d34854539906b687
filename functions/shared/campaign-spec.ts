import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { Campaign } from '../../contracts/campaign.ts';
import { formatPath, parseWith } from '../../contracts/errors.ts';
import { specIssues } from '../../planners/constraints.ts';
import type { PlannerSpec } from '../../planners/planner.ts';
import { TaskFaultError } from '../errors.ts';
import { keys } from './table.ts';

/**
 * What the planner and the gate read of a campaign's `META` item: `spec`, the campaign file as
 * `CampaignSchema` parsed it (defaults applied, stored as a map), and the `seed` the planner starts from. The
 * item is written once, when the campaign starts, and never changes; other attributes are campaign-api's.
 */
export const CampaignSpecItemSchema = z.object({
  spec: z.looseObject({
    space: z.array(z.looseObject({ name: z.string(), type: z.string() })),
    objectives: z.array(z.looseObject({ name: z.string(), goal: z.enum(['maximise', 'minimise']) })),
    planner: z.looseObject({ strategy: z.string(), batch: z.int().check(z.gte(1), z.lte(96)) }),
    protocol: z.looseObject({ steps: z.array(z.looseObject({ name: z.string() })), output: z.string() }),
    approval: z.looseObject({ require: z.enum(['never', 'always', 'outside-limits']), timeout: z.number() }),
  }),
  seed: z.int().check(z.gte(0)),
});

/** A campaign as the planner and the gate see it. */
export interface CampaignSpec {
  spec: Campaign;
  seed: number;
}

/** Fault code: the campaign has no `META` item (never started, or the id is wrong). Not retryable. */
export const CAMPAIGN_NOT_FOUND = 'CampaignNotFound';

/** The campaign's spec and seed, read consistently; a missing campaign fails the task with `CampaignNotFound`. */
export async function campaignSpecOf(
  db: DynamoDBDocumentClient,
  table: string,
  campaignId: string,
): Promise<CampaignSpec> {
  const out = await db.send(
    new GetCommand({ TableName: table, Key: keys.campaign(campaignId), ConsistentRead: true }),
  );
  if (!out.Item)
    throw new TaskFaultError({
      code: CAMPAIGN_NOT_FOUND,
      message: `campaign ${campaignId} has no META item in table ${table}; was it started?`,
      retryable: false,
    });
  const item = parseWith(CampaignSpecItemSchema, out.Item, `campaign ${campaignId}`);
  // The spec was parsed by the full CampaignSchema when the campaign started; the check above only guards
  // against an item some other writer damaged.
  return { spec: item.spec as unknown as Campaign, seed: item.seed };
}

/**
 * Why the cloud path cannot plan a campaign, as `path: message` lines from the campaign's root (empty when it
 * can): the planner spec's own rules, which `CampaignSchema` leaves to the planner (constraints that name
 * parameters of the space, outcome constraints with `logei`), and `planner.remote`, which plan-next does not run
 * (the endpoints' credentials and the remote planners' code are not part of the Lambda; ADR 0006). campaign-api
 * refuses such a campaign at start; plan-next checks again before it plans.
 */
export function plannerIssues(spec: Campaign): string[] {
  const lines = specIssues(spec).map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  if (spec.planner.remote !== undefined)
    lines.push(
      'planner.remote: remote planning routes run on the local runtime only; the cloud plan-next Lambda plans with random, sobol or bo',
    );
  return lines;
}

/** The planner spec of a campaign (its space, objectives, constraints and planner sections) and its seed. */
export function plannerSpecOf({ spec, seed }: CampaignSpec): PlannerSpec {
  return {
    space: spec.space,
    objectives: spec.objectives,
    constraints: spec.constraints,
    planner: spec.planner,
    seed,
  };
}
