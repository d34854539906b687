import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Campaign, DeviceDescriptor, ExperimentProposal } from '../../contracts/index.ts';
import { type DeviceKind, describeCapabilities, deviceKinds } from '../../devices/index.ts';
import { gateProposal } from '../../runtime/index.ts';
import { labwareFor, renderStepInput } from '../../workflows/index.ts';
import { exampleCampaign } from '../support/campaigns.ts';
import { insideEnvelope, runs, wildNumber } from './support/commands.ts';

const PROPOSALS = runs(1_000, 10_000);

/**
 * Design spaces whose edges lie just past the instruments' envelopes, and step inputs that transform the proposal, so the
 * gate must judge the rendered command, not the proposal.
 */
const lattice = exampleCampaign('lattice-toughness', {
  // Heavy loads need a person: approval-needed proposals must be inside the envelopes too.
  approval: { require: 'outside-limits', limits: [{ parameter: 'load', max: 6000 }] },
  space: [
    { name: 'strutThickness', type: 'continuous', low: 0.3, high: 3.2 },
    { name: 'cellSize', type: 'continuous', low: 1.2, high: 14 },
    { name: 'nozzleTemperature', type: 'integer', low: 150, high: 250 },
    { name: 'load', type: 'continuous', low: 400, high: 8500 },
  ],
  protocol: {
    steps: [
      {
        name: 'print',
        device: 'printer-3d',
        command: 'print',
        input:
          '{ "specimen": experiment.id, "strutThickness": proposal.strutThickness, "cellSize": proposal.cellSize * 1.5, "nozzleTemperature": proposal.nozzleTemperature + 20 }',
        timeout: 7200,
      },
      {
        name: 'test',
        device: 'mechanical-tester',
        command: 'compress',
        input: '{ "specimen": experiment.id, "maxForce": proposal.load, "strain": proposal.load / 100 }',
        timeout: 1800,
      },
    ],
    output: '{ "toughness": steps.test.toughness }',
  },
}).campaign;

const colour = exampleCampaign('colour-mixing', {
  space: ['red', 'yellow', 'blue'].map((name) => ({
    name,
    type: 'continuous' as const,
    low: -50,
    high: 2000,
  })),
}).campaign;

function descriptors(kind: DeviceKind, count: number): DeviceDescriptor[] {
  return Array.from({ length: count }, (_, i) => ({
    deviceId: `${kind}-${i + 1}`,
    kind,
    model: 'property',
    firmware: '1',
    capabilities: describeCapabilities(deviceKinds[kind].commands),
    heartbeat: 30,
  }));
}

/** Proposals with every parameter in, at or past the space's bounds, or not a number at all. */
function proposals(campaign: Campaign): fc.Arbitrary<ExperimentProposal> {
  const parameters = fc.record(
    Object.fromEntries(
      campaign.space.map((p) => [
        p.name,
        p.type === 'categorical'
          ? fc.constant(p.choices[0])
          : p.type === 'integer'
            ? fc.oneof(
                { weight: 4, arbitrary: fc.integer({ min: p.low, max: p.high }) },
                wildNumber(p.low, p.high),
              )
            : wildNumber(p.low, p.high),
      ]),
    ),
  );
  // Now and then a parameter is left out altogether.
  const dropped = fc.oneof(
    { weight: 9, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom(...campaign.space.map((p) => p.name)) },
  );
  return fc.tuple(parameters, dropped, fc.nat(500)).map(([all, drop, index]) => {
    const values: Record<string, unknown> = { ...all };
    if (drop !== null) delete values[drop];
    return {
      experimentId: `exp-${index}`,
      campaignId: 'property',
      index,
      batch: 0,
      parameters: values as ExperimentProposal['parameters'],
      strategy: 'property',
      proposedAt: 0,
    };
  });
}

async function gateProperty(campaign: Campaign, known: (kind: string) => DeviceDescriptor[]) {
  const counts = { approved: 0, 'approval-needed': 0, rejected: 0, outsidePassed: 0 };
  await fc.assert(
    // Unbiased: fast-check's bias towards small and extreme values would leave almost no proposal inside.
    fc.asyncProperty(fc.noBias(proposals(campaign)), async (proposal) => {
      const decision = await gateProposal(campaign, proposal, known);
      counts[decision.verdict]++;
      expect(decision.reason.length).toBeGreaterThan(0);
      if (decision.verdict === 'rejected') return;
      const scope = {
        proposal: proposal.parameters,
        experiment: { id: proposal.experimentId, index: proposal.index, ...labwareFor(proposal.index) },
        steps: {},
      };
      for (const step of campaign.protocol.steps) {
        const rendered = await renderStepInput(step, scope);
        if (!insideEnvelope(step.command, rendered)) counts.outsidePassed++;
        expect(insideEnvelope(step.command, rendered), `${step.name}: ${JSON.stringify(rendered)}`).toBe(
          true,
        );
      }
    }),
    { numRuns: PROPOSALS, seed: 0x9a7e },
  );
  return counts;
}

describe('the policy gate, property-based', () => {
  it(`approves no lattice proposal whose print or compression would leave an envelope (${PROPOSALS} proposals)`, async () => {
    const counts = await gateProperty(lattice, (kind) => descriptors(kind as DeviceKind, 2));
    console.log(`policy gate lattice: ${JSON.stringify(counts)}`);
    expect(counts.outsidePassed).toBe(0);
    expect(counts.approved).toBeGreaterThan(PROPOSALS * 0.02);
    expect(counts.rejected).toBeGreaterThan(PROPOSALS * 0.1);
  });

  it(`approves no colour proposal whose mix would leave the pipette or well envelope (${PROPOSALS} proposals)`, async () => {
    const counts = await gateProperty(colour, (kind) => descriptors(kind as DeviceKind, 1));
    console.log(`policy gate colour: ${JSON.stringify(counts)}`);
    expect(counts.outsidePassed).toBe(0);
    expect(counts.approved).toBeGreaterThan(PROPOSALS * 0.02);
  });

  it('holds the envelope even before any device of the kind has announced itself', async () => {
    const counts = await gateProperty(lattice, () => []);
    console.log(`policy gate lattice, no device online: ${JSON.stringify(counts)}`);
    expect(counts.outsidePassed).toBe(0);
  });
});
