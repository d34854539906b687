// Leaf modules without Zod, not the folders' index.ts: the policy-gate Lambda imports this module and must not
// bundle classic Zod, mqtt or xstate (ADR 0006).
import type { Campaign } from '../contracts/campaign.ts';
import { pointError } from '../contracts/design-point.ts';
import type { DeviceDescriptor } from '../contracts/device.ts';
import { envelopeViolations } from '../contracts/envelope.ts';
import type { ExperimentProposal, GateDecision } from '../contracts/experiment.ts';
import { cataloguedEnvelope } from '../devices/envelopes.ts';
import { labwareFor, renderStepInput } from '../workflows/protocol.ts';

/**
 * The policy gate: every proposal passes here before any device sees it. A proposal is approved when it is a
 * point of the design space and every step's command, rendered from it, is inside the envelope of every known
 * device of the step's kind; otherwise it is rejected with the first reason found. A proposal inside the
 * envelopes but outside the campaign's approval policy needs a person (`approval-needed`). (The dispatcher checks the
 * rendered command again against the chosen device before publishing, and the device checks it a third time.)
 */
export async function gateProposal(
  campaign: Campaign,
  proposal: ExperimentProposal,
  descriptorsOf: (kind: string) => DeviceDescriptor[],
): Promise<GateDecision> {
  const outside = pointError(campaign.space, proposal.parameters);
  if (outside) return { verdict: 'rejected', reason: `outside the design space: ${outside}` };
  const scope = {
    proposal: proposal.parameters,
    experiment: { id: proposal.experimentId, index: proposal.index, ...labwareFor(proposal.index) },
    steps: {},
  };
  for (const step of campaign.protocol.steps) {
    let parameters: Record<string, unknown>;
    try {
      parameters = await renderStepInput(step, scope);
    } catch (error) {
      return { verdict: 'rejected', reason: `step ${step.name}: ${(error as Error).message}` };
    }
    // The catalogue's envelope holds before any device of the kind is online, and no device can widen it by
    // announcing a looser one.
    const catalogued = envelopeViolations(cataloguedEnvelope(step.device, step.command) ?? [], parameters);
    if (catalogued.length > 0)
      return {
        verdict: 'rejected',
        reason: `step ${step.name} on any ${step.device}: ${catalogued.join('; ')}`,
      };
    for (const descriptor of descriptorsOf(step.device)) {
      const capability = descriptor.capabilities.find((c) => c.command === step.command);
      if (!capability) continue;
      const violations = envelopeViolations(capability.envelope, parameters);
      if (violations.length > 0)
        return {
          verdict: 'rejected',
          reason: `step ${step.name} on ${descriptor.deviceId}: ${violations.join('; ')}`,
        };
    }
  }
  const { require, limits } = campaign.approval;
  if (require === 'always')
    return { verdict: 'approval-needed', reason: 'the campaign asks a person to approve every proposal' };
  if (require === 'outside-limits')
    for (const limit of limits) {
      const value = proposal.parameters[limit.parameter];
      if (typeof value !== 'number') continue;
      if (limit.max !== undefined && value > limit.max)
        return {
          verdict: 'approval-needed',
          reason: `${limit.parameter} ${value} is above the auto-approval limit ${limit.max}`,
        };
      if (limit.min !== undefined && value < limit.min)
        return {
          verdict: 'approval-needed',
          reason: `${limit.parameter} ${value} is below the auto-approval limit ${limit.min}`,
        };
    }
  return {
    verdict: 'approved',
    reason: 'inside the design space, every device envelope and the approval limits',
  };
}
