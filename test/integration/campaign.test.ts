import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError, envelopeViolations, RunEventSchema, ScaledClock } from '../../contracts/index.ts';
import { countActions, deviceKinds, openFileJournal } from '../../devices/index.ts';
import { type EmbeddedBroker, parseCampaign, runCampaign, Store, startBroker } from '../../runtime/index.ts';
import { exampleCampaign } from '../support/campaigns.ts';

let broker: EmbeddedBroker;
let runsDir: string;
beforeAll(async () => {
  broker = await startBroker({ port: 0 });
  runsDir = mkdtempSync(join(tmpdir(), 'labloop-it-'));
});
afterAll(() => broker.close());

async function journalsOf(runDir: string, deviceIds: string[]) {
  return Promise.all(
    deviceIds.map(async (id) => {
      const journal = await openFileJournal(join(runDir, 'journals', `${id}.jsonl`));
      const entries = journal.entries();
      await journal.close();
      return entries;
    }),
  );
}

describe('a campaign on simulated instruments over a real MQTT broker', () => {
  it('runs 20 experiments to the budget, each command acting once, everything recorded', async () => {
    const { campaign, source } = exampleCampaign('colour-mixing', {
      lab: 'it-twenty',
      budget: { experiments: 20 },
      simulators: [
        { kind: 'liquid-handler', count: 2 },
        { kind: 'plate-reader', count: 2 },
      ],
    });
    const summary = await runCampaign(campaign, source, { brokerUrl: broker.url, runsDir, timeScale: 1e3 });
    expect(summary).toMatchObject({
      reason: 'budget',
      experiments: 20,
      succeeded: 20,
      failed: 0,
      rejected: 0,
    });
    expect(summary.best?.value).toBeGreaterThan(0);

    const journals = await journalsOf(summary.runDir, [
      'liquid-handler-1',
      'liquid-handler-2',
      'plate-reader-1',
      'plate-reader-2',
    ]);
    expect(journals.reduce((n, e) => n + countActions(e, 'mix'), 0)).toBe(20);
    expect(journals.reduce((n, e) => n + countActions(e, 'measure'), 0)).toBe(20);
    // Both devices of each kind took work: the batch really ran in parallel over the available devices.
    for (const entries of journals) expect(countActions(entries)).toBeGreaterThan(0);

    const events = readFileSync(join(summary.runDir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    for (const event of events) expect(RunEventSchema.safeParse(event).success).toBe(true);
    expect(events.filter((e) => e.type === 'experiment.finished')).toHaveLength(20);

    const csv = readFileSync(join(summary.runDir, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('experiment,index,batch,status,red,yellow,blue,distance,detail');
    expect(csv).toHaveLength(21);

    const store = new Store(join(summary.runDir, 'store.sqlite'));
    const measurement = store.measurement(`${summary.campaignId}-e0000`);
    store.close();
    expect(measurement?.devices.map((d) => d.step)).toEqual(['mix', 'read']);
    expect(measurement?.devices[0]?.firmware).toMatch(/\d/);
  });

  it('marks an experiment failed when its device faults and goes on with the campaign', async () => {
    const { campaign, source } = exampleCampaign('colour-mixing', {
      lab: 'it-faults',
      budget: { experiments: 12 },
      simulators: [
        { kind: 'liquid-handler' },
        {
          kind: 'plate-reader',
          faults: [{ command: 'measure', every: 3, code: 'LampFailure', retryable: false }],
        },
      ],
    });
    const summary = await runCampaign(campaign, source, { brokerUrl: broker.url, runsDir, timeScale: 1e3 });
    expect(summary).toMatchObject({ reason: 'budget', experiments: 12, failed: 4, succeeded: 8 });
    const csv = readFileSync(join(summary.runDir, 'results.csv'), 'utf8');
    expect(csv.match(/,failed,.*read: LampFailure: /g)).toHaveLength(4);
  });

  it('retries a retryable fault with a new command and succeeds', async () => {
    const { campaign, source } = exampleCampaign('colour-mixing', {
      lab: 'it-retry',
      budget: { experiments: 8 },
      simulators: [
        {
          kind: 'liquid-handler',
          faults: [{ command: 'mix', every: 4, code: 'TipPickupFailed', retryable: true }],
        },
        { kind: 'plate-reader' },
      ],
    });
    const summary = await runCampaign(campaign, source, { brokerUrl: broker.url, runsDir, timeScale: 1e3 });
    expect(summary).toMatchObject({ experiments: 8, succeeded: 8, failed: 0 });
    const [entries = []] = await journalsOf(summary.runDir, ['liquid-handler-1']);
    const retried = entries.filter((e) => e.type === 'begin' && e.commandId.endsWith('/mix/2'));
    expect(retried.length).toBe(2);
  });

  it('never lets a proposal outside a device envelope reach the device', async () => {
    const { campaign, source } = exampleCampaign('colour-mixing', {
      lab: 'it-envelope',
      // Up to 3 × 400 µL: most mixtures overflow the 300 µL well or ask for more than the pipette range.
      space: ['red', 'yellow', 'blue'].map((name) => ({
        name,
        type: 'continuous' as const,
        low: 0,
        high: 400,
      })),
      budget: { experiments: 16 },
    });
    const summary = await runCampaign(campaign, source, { brokerUrl: broker.url, runsDir, timeScale: 1e3 });
    expect(summary.rejected).toBeGreaterThan(4);
    expect(summary.experiments).toBe(16);
    const [entries = []] = await journalsOf(summary.runDir, ['liquid-handler-1']);
    const envelope = deviceKinds['liquid-handler'].commands.mix.envelope;
    const begun = entries.filter((e) => e.type === 'begin');
    expect(begun).toHaveLength(summary.succeeded + summary.failed);
    for (const entry of begun) expect(envelopeViolations(envelope, entry.parameters)).toEqual([]);
    const csv = readFileSync(join(summary.runDir, 'results.csv'), 'utf8');
    expect(csv).toMatch(
      /rejected,.*step mix on any liquid-handler: volumes\.\* must be 1–1000 µL \(or 0\), got -\d+/,
    );
  });

  it('stops early when the objective reaches its target', async () => {
    const { campaign, source } = exampleCampaign('colour-mixing', {
      lab: 'it-target',
      objectives: [{ name: 'distance', goal: 'minimise', target: 0.3 }],
      budget: { experiments: 40 },
    });
    const summary = await runCampaign(campaign, source, { brokerUrl: broker.url, runsDir, timeScale: 1e3 });
    expect(summary.reason).toBe('target');
    expect(summary.best?.value).toBeLessThanOrEqual(0.3);
    expect(summary.experiments).toBeLessThan(40);
  });

  it('aborts when asked and leaves a resumable run directory', async () => {
    const { campaign, source } = exampleCampaign('colour-mixing', {
      lab: 'it-abort',
      budget: { experiments: 400 },
    });
    const abort = new AbortController();
    const clock = new ScaledClock(1e3);
    const running = runCampaign(campaign, source, {
      brokerUrl: broker.url,
      runsDir,
      clock,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.succeeded >= 4) abort.abort();
      },
    });
    const summary = await running;
    expect(summary.reason).toBe('aborted');
    expect(summary.experiments).toBeLessThan(400);
  });
});

describe('campaign files', () => {
  it('rejects an invalid file with every bad field and what was expected', () => {
    const bad = `
name: Bad Name
space:
  - { name: red, type: continuous, low: 5, high: 1 }
  - { name: 2nd, type: integer, low: 0, high: 3.5 }
objectives: [{ name: distance, goal: maximize }]
budget: { experiments: 0 }
planner: { strategy: gradient-descent }
protocol:
  steps: [{ name: mix, device: liquid-handler, command: mix, timeout: -5 }]
  output: '{}'
`;
    let error: unknown;
    try {
      parseCampaign(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContractError);
    const issues = (error as ContractError).issues.join('\n');
    for (const field of [
      'name:',
      'space[0].high:',
      'space[1].name:',
      'space[1].high:',
      'objectives[0].goal:',
      'budget.experiments:',
      'planner.strategy:',
      'protocol.steps[0].timeout:',
    ])
      expect(issues).toContain(field);
    expect(issues).toMatch(/objectives\[0\]\.goal: .*"maximise".*\(got "maximize"\)/);
  });

  it('rejects JSONata that does not parse and a protocol device kind nobody simulates', () => {
    const { source } = exampleCampaign('colour-mixing');
    const broken = source
      .replace('"distance": $sqrt(', '"distance": $sqrt((')
      .replace('kind: plate-reader', 'kind: printer-3d');
    expect(() => parseCampaign(broken)).toThrow(
      /protocol\.output: not a valid JSONata expression[\s\S]*needs a "plate-reader" device/,
    );
  });
});
