import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countActions, type JournalEntry, openFileJournal } from '../../devices/index.ts';
import { type EmbeddedBroker, resumeCampaign, Store, startBroker } from '../../runtime/index.ts';
import { runs as sized } from '../fuzz/support/commands.ts';
import { exampleCampaign } from '../support/campaigns.ts';

const root = new URL('../..', import.meta.url).pathname;
/** Full sizes under `npm run test:chaos` run for minutes, not seconds. */
const sizedTimeout = sized(60_000, 600_000);
let broker: EmbeddedBroker;
beforeAll(async () => {
  broker = await startBroker({ port: 0 });
});
afterAll(() => broker.close());

/** Starts the CLI as a user would, in its own process, so it can be killed with SIGKILL. */
function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finishedCount(runDir: string): number {
  const file = join(runDir, 'events.jsonl');
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"type":"experiment.finished"')).length;
}

/** SIGKILLs the process once `atLeast` more experiments finished in the run directory under `runs`. */
async function killAfter(child: ChildProcess, runs: string, atLeast: number): Promise<string> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (;;) {
    const [name] = existsSync(runs) ? readdirSync(runs) : [];
    if (name && finishedCount(join(runs, name)) >= atLeast) {
      child.kill('SIGKILL');
      await exited;
      return join(runs, name);
    }
    if (child.exitCode !== null)
      throw new Error(`the campaign ended (exit ${child.exitCode}) before it could be killed`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function journal(runDir: string, deviceId: string): Promise<readonly JournalEntry[]> {
  const j = await openFileJournal(join(runDir, 'journals', `${deviceId}.jsonl`));
  const entries = j.entries();
  await j.close();
  return entries;
}

describe('killing the runtime with SIGKILL mid-campaign and resuming, again and again', () => {
  it(
    'finishes the campaign with no experiment lost or run twice, and no physical action repeated',
    async () => {
      const kills = sized(3, 10);
      const budget = 4 * kills + 8;
      const { source } = exampleCampaign('colour-mixing', {
        lab: 'it-resume',
        budget: { experiments: budget },
      });
      const dir = mkdtempSync(join(tmpdir(), 'labloop-resume-'));
      const file = join(dir, 'campaign.yaml');
      writeFileSync(file, source);
      const runs = join(dir, 'runs');
      const common = ['--headless', '--json', '--broker', broker.url, '--time-scale', '1000'];

      let runDir = await killAfter(cli(['run', file, '--runs-dir', runs, ...common]), runs, 3);
      for (let kill = 2; kill <= kills; kill++)
        runDir = await killAfter(cli(['resume', runDir, ...common]), runs, finishedCount(runDir) + 2);
      expect(finishedCount(runDir)).toBeLessThan(budget);

      const summary = await resumeCampaign(runDir, { brokerUrl: broker.url, timeScale: 1000 });
      expect(summary).toMatchObject({ reason: 'budget', experiments: budget });

      const store = new Store(join(runDir, 'store.sqlite'));
      const experiments = store.experiments(summary.campaignId);
      store.close();
      expect(experiments.map((e) => e.index)).toEqual(Array.from({ length: budget }, (_, i) => i));
      // The simulated instruments run in the killed process: one killed mid-action cannot know whether it
      // acted, so that experiment ends as OutcomeUnknown (for a technician) instead of being retried blindly.
      // Under heavy load a re-sent command can also outlast its timeout: a failure, never a repeat.
      const failed = experiments.filter((e) => e.status !== 'succeeded');
      expect(failed.length).toBeLessThanOrEqual(2 * kills);
      for (const e of failed)
        expect(e).toMatchObject({
          status: 'failed',
          error: { code: expect.stringMatching(/^(OutcomeUnknown|StepTimeout)$/) },
        });

      const mixes = await journal(runDir, 'liquid-handler-1');
      const reads = await journal(runDir, 'plate-reader-1');
      expect(countActions(mixes, 'mix')).toBeGreaterThanOrEqual(budget - failed.length);
      expect(countActions(mixes, 'mix')).toBeLessThanOrEqual(budget);
      expect(countActions(reads, 'measure')).toBeGreaterThanOrEqual(budget - failed.length);
      expect(countActions(reads, 'measure')).toBeLessThanOrEqual(budget);
      const begun = [...mixes, ...reads].filter((e) => e.type === 'begin').map((e) => e.commandId);
      expect(new Set(begun).size).toBe(begun.length);

      const rows = readFileSync(join(runDir, 'results.csv'), 'utf8').trim().split('\n').slice(1);
      expect(new Set(rows.map((r) => r.split(',')[0])).size).toBe(budget);
      const events = readFileSync(join(runDir, 'events.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(events.filter((e) => e.type === 'campaign.resumed')).toHaveLength(kills);
      console.log(
        `SIGKILL: ${kills} kills during ${budget} experiments → ${budget - failed.length} succeeded, ${failed.length} failed (${failed.map((e) => e.error?.code).join(', ') || 'none'}), 0 lost, 0 repeated`,
      );
    },
    sizedTimeout,
  );
});
