import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CampaignSession,
  type EmbeddedBroker,
  startBroker,
  startCampaign,
} from '../../runtime/index.ts';
import { exampleCampaign } from './campaigns.ts';

/** A running colour-mixing campaign whose proposals wait for a person, for dashboard and API tests. */
export interface GatedLab {
  broker: EmbeddedBroker;
  session: CampaignSession;
  runsDir: string;
  /** Aborts the campaign unless it has ended, waits for it to close, stops the broker, removes the runs. */
  close(): Promise<void>;
}

/**
 * Starts an embedded broker and a colour-mixing campaign (Sobol, approval `always` with a 10-hour timeout) in a
 * temporary runs folder: every batch waits at the policy gate until a test approves it.
 */
export async function startGatedLab(options: {
  lab: string;
  experiments: number;
  batch: number;
  /** @default 1000 */
  timeScale?: number;
}): Promise<GatedLab> {
  const broker = await startBroker({ port: 0 });
  const runsDir = mkdtempSync(join(tmpdir(), `labloop-${options.lab}-`));
  const { campaign, source } = exampleCampaign('colour-mixing', {
    lab: options.lab,
    budget: { experiments: options.experiments },
    planner: { strategy: 'sobol', batch: options.batch },
    approval: { require: 'always', timeout: 36_000 },
  });
  const session = await startCampaign(campaign, source, {
    brokerUrl: broker.url,
    runsDir,
    timeScale: options.timeScale ?? 1000,
  });
  return {
    broker,
    session,
    runsDir,
    async close() {
      if (!['completed', 'aborted', 'failed'].includes(session.state()))
        session.act({ type: 'abort' }, { who: 'test', why: 'test cleanup' });
      await session.done;
      await broker.close();
      rmSync(runsDir, { recursive: true, force: true });
    },
  };
}
