import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng, ScaledClock } from '../../contracts/index.ts';
import { type JournalEntry, openFileJournal } from '../../devices/index.ts';
import { type EmbeddedBroker, Store, startBroker, startCampaign } from '../../runtime/index.ts';
import { runs } from '../fuzz/support/commands.ts';

/** Full sizes under `npm run test:chaos` run for minutes, not seconds. */
const sizedTimeout = runs(60_000, 600_000);

import { exampleCampaign } from '../support/campaigns.ts';

const opened: EmbeddedBroker[] = [];
afterAll(async () => {
  for (const broker of opened) await broker.close().catch(() => undefined);
});

async function journals(runDir: string, ids: string[]): Promise<JournalEntry[]> {
  const all: JournalEntry[] = [];
  for (const id of ids) {
    const journal = await openFileJournal(join(runDir, 'journals', `${id}.jsonl`));
    all.push(...journal.entries());
    await journal.close();
  }
  return all;
}

/** Each commandId began at most once across every device: no physical action was repeated. */
function repeatedActions(entries: JournalEntry[]): string[] {
  const begun = entries.filter((e) => e.type === 'begin').map((e) => e.commandId);
  return begun.filter((id, i) => begun.indexOf(id) !== i);
}

describe('chaos at the broker', () => {
  it('an acknowledgement lost after the device acted: the same command is asked again and answered from the journal', async () => {
    const broker = await startBroker({ port: 0 });
    opened.push(broker);
    let dropped = '';
    // Garble experiment 1's read result on its way to the orchestrator: the device acted, the orchestrator hears
    // nothing it can use. (Returning null here would not lose it: aedes keeps a persistent session's QoS 1
    // message queued and holds back what follows.)
    broker.aedes.authorizeForward = (client, packet) => {
      const text = packet.payload.toString();
      if (
        client?.id.startsWith('labloop-') &&
        /"type":"result".*-e0001\/read\/1.*"replay":false/.test(text)
      ) {
        dropped = text;
        return { ...packet, payload: Buffer.from('{"lost":true}') } as typeof packet;
      }
      return packet;
    };
    const { campaign, source } = exampleCampaign('colour-mixing', {
      lab: 'chaos-ack',
      budget: { experiments: 4 },
    });
    const session = await startCampaign(campaign, source, {
      brokerUrl: broker.url,
      runsDir: mkdtempSync(join(tmpdir(), 'labloop-chaos-')),
      timeScale: 1000,
    });
    const summary = await session.done;
    expect(dropped).not.toBe('');
    expect(summary).toMatchObject({ experiments: 4, succeeded: 4 });
    const entries = await journals(summary.runDir, ['plate-reader-1']);
    const commandId = `${summary.campaignId}-e0001/read/1`;
    expect(entries.filter((e) => e.type === 'begin' && e.commandId === commandId)).toHaveLength(1);
    const records = readFileSync(session.runDir.log.file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const answers = records.filter(
      (r) => r.type === 'device.event' && r.event.commandId === commandId && r.event.type === 'result',
    );
    expect(answers.map((r) => r.event.replay)).toEqual([true]);
    expect(records.filter((r) => r.type === 'command.sent' && r.commandId === commandId)).toHaveLength(2);
  });

  it(
    `the broker killed and restarted at random moments of a campaign: nothing lost, no action repeated`,
    async () => {
      const restarts = runs(8, 20);
      const budget = runs(24, 50);
      let broker = await startBroker({ port: 0 });
      const port = broker.port;
      const { campaign, source } = exampleCampaign('colour-mixing', {
        lab: 'chaos-restarts',
        budget: { experiments: budget },
        simulators: [
          { kind: 'liquid-handler', count: 2, durationScale: 0.1 },
          { kind: 'plate-reader', count: 2, durationScale: 0.1 },
        ],
      });
      // 100×: a client's 0.5–1 s reconnect is 50–100 s of simulated time, well inside the steps' timeouts.
      const session = await startCampaign(campaign, source, {
        brokerUrl: broker.url,
        runsDir: mkdtempSync(join(tmpdir(), 'labloop-chaos-')),
        clock: new ScaledClock(100),
      });
      const rng = createRng(20261122);
      let finished = false;
      void session.done.finally(() => (finished = true));
      let done = 0;
      while (done < restarts && !finished) {
        await new Promise((resolve) => setTimeout(resolve, 150 + rng.int(450)));
        await broker.close();
        await new Promise((resolve) => setTimeout(resolve, 20 + rng.int(200)));
        broker = await startBroker({ port });
        done += 1;
      }
      opened.push(broker);
      const summary = await session.done;
      const store = new Store(join(summary.runDir, 'store.sqlite'));
      const experiments = store.experiments(summary.campaignId);
      store.close();
      const entries = await journals(summary.runDir, [
        'liquid-handler-1',
        'liquid-handler-2',
        'plate-reader-1',
        'plate-reader-2',
      ]);
      const failures = experiments.filter((e) => e.status === 'failed').map((e) => e.error?.code);
      console.log(
        `broker chaos: ${done} restarts during ${budget} experiments → ${summary.succeeded} succeeded, ${summary.failed} failed (${failures.join(', ') || 'none'}), ${repeatedActions(entries).length} repeated actions`,
      );
      expect(done).toBe(restarts);
      expect(experiments).toHaveLength(budget);
      expect(experiments.every((e) => e.status === 'succeeded' || e.status === 'failed')).toBe(true);
      expect(repeatedActions(entries)).toEqual([]);
      expect(
        entries.some(
          (e) => e.type === 'finish' && e.outcome.type === 'fault' && e.outcome.error.code === 'WellOccupied',
        ),
      ).toBe(false);
    },
    sizedTimeout,
  );
});
