import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCampaign } from '../../runtime/index.ts';
import { exampleCampaign } from '../support/campaigns.ts';
import { findMosquitto, type Mosquitto, startMosquitto } from '../support/mosquitto.ts';

const binary = findMosquitto();
if (!binary)
  console.warn(
    'mosquitto is not installed: the external-broker campaign test is skipped (apt-get install mosquitto; .ci/run installs it)',
  );

describe.skipIf(!binary)('a campaign over Debian mosquitto as an external broker', () => {
  let mosquitto: Mosquitto;
  beforeAll(async () => {
    mosquitto = await startMosquitto(binary as string);
  });
  afterAll(() => mosquitto?.stop());

  it('runs 20 experiments to the budget', async () => {
    const { campaign, source } = exampleCampaign('colour-mixing', {
      lab: 'it-mosquitto',
      budget: { experiments: 20 },
      simulators: [
        { kind: 'liquid-handler', count: 2 },
        { kind: 'plate-reader', count: 2 },
      ],
    });
    const runsDir = mkdtempSync(join(tmpdir(), 'labloop-mosquitto-runs-'));
    const summary = await runCampaign(campaign, source, {
      brokerUrl: mosquitto.url,
      runsDir,
      timeScale: 1e3,
    });
    expect(summary).toMatchObject({ reason: 'budget', experiments: 20, succeeded: 20, failed: 0 });
  });
});
