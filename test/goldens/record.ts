/**
 * Records the golden runs replayed by test/goldens/replay.test.ts. Run it when a simulator model or the protocol
 * semantics change on purpose: `npx tsx test/goldens/record.ts`, then review the diff of test/goldens/.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCampaign } from '../../runtime/index.ts';
import { exampleCampaign } from '../support/campaigns.ts';

const goldens = {
  'colour-mixing-12': exampleCampaign('colour-mixing', {
    lab: 'golden-colour',
    budget: { experiments: 12 },
    simulators: [
      { kind: 'liquid-handler' },
      {
        kind: 'plate-reader',
        faults: [{ command: 'measure', every: 5, code: 'LampFlicker', retryable: false }],
      },
    ],
  }),
  'lattice-toughness-8': exampleCampaign('lattice-toughness', {
    lab: 'golden-lattice',
    budget: { experiments: 8 },
    simulators: [
      // Prints take minutes instead of an hour, so the replay on every CI run stays quick.
      {
        kind: 'printer-3d',
        durationScale: 0.1,
        faults: [{ command: 'print', every: 3, code: 'NozzleClog', retryable: true }],
      },
      { kind: 'mechanical-tester', durationScale: 0.1 },
    ],
  }),
};

for (const [name, { campaign, source }] of Object.entries(goldens)) {
  const summary = await runCampaign(campaign, source, {
    port: 0,
    runsDir: mkdtempSync(join(tmpdir(), 'labloop-golden-')),
    timeScale: 1000,
  });
  const target = new URL(`./${name}/`, import.meta.url).pathname;
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target);
  for (const file of ['meta.json', 'campaign.yaml', 'events.jsonl'])
    copyFileSync(join(summary.runDir, file), join(target, file));
  console.log(`${name}: ${summary.experiments} experiments (${summary.failed} failed) → ${target}`);
}
