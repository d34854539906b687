// Leaf imports only: plan-next bundles this module, and jsonata (workflows/expressions.ts) must stay out (ADR 0006).

import type { ParameterValues } from '../contracts/design-space.ts';
import type { ExperimentProposal } from '../contracts/experiment.ts';

/**
 * Numbers a planner's drafts as the campaign's next experiments: ids `<campaignId>-e0007`, indexes from `first`.
 * The local runtime and the cloud's plan-next both use it, so a campaign gets the same ids on either.
 */
export function proposalsFrom(
  drafts: ReadonlyArray<{ parameters: ParameterValues }>,
  batch: { campaignId: string; first: number; index: number; strategy: string; at: number },
): ExperimentProposal[] {
  return drafts.map((draft, i) => ({
    experimentId: `${batch.campaignId}-e${String(batch.first + i).padStart(4, '0')}`,
    campaignId: batch.campaignId,
    index: batch.first + i,
    batch: batch.index,
    parameters: draft.parameters,
    strategy: batch.strategy,
    proposedAt: batch.at,
  }));
}
