import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JournalEntry, openFileJournal } from '../../devices/index.ts';
import {
  type CampaignSession,
  type EmbeddedBroker,
  OperatorActionError,
  Store,
  startBroker,
  startCampaign,
} from '../../runtime/index.ts';
import { exampleCampaign } from '../support/campaigns.ts';

let broker: EmbeddedBroker;
let runsDir: string;
beforeAll(async () => {
  broker = await startBroker({ port: 0 });
  runsDir = mkdtempSync(join(tmpdir(), 'labloop-operator-'));
});
afterAll(() => broker.close());

const alice = { who: 'operator:alice', why: 'checking the reservoirs' };

async function until(session: CampaignSession, check: () => boolean): Promise<void> {
  while (!check()) {
    await new Promise<void>((resolve) => {
      const stop = session.runDir.log.subscribe(() => {
        stop();
        resolve();
      });
    });
  }
}

/** The run's store, reopened after the session closed its own. */
function storeAfter(session: CampaignSession): Store {
  return new Store(session.runDir.storeFile);
}

function audit(session: CampaignSession): Array<Record<string, unknown>> {
  return readFileSync(session.runDir.log.file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('operators acting on a running campaign', () => {
  it('pauses at the next safe point, refuses what makes no sense, resumes and finishes', async () => {
    const { campaign, source } = exampleCampaign('colour-mixing', {
      lab: 'op-pause',
      budget: { experiments: 12 },
    });
    const session = await startCampaign(campaign, source, { brokerUrl: broker.url, runsDir, timeScale: 1e3 });
    await until(session, () => session.state() === 'running');
    expect(() => session.act({ type: 'resume' }, alice)).toThrow(
      new OperatorActionError('cannot resume the campaign while it is running'),
    );
    session.act({ type: 'pause' }, alice);
    expect(() => session.act({ type: 'pause' }, alice)).toThrow(/already requested/);
    await until(session, () => session.state() === 'paused');
    expect(session.progress().proposed).toBe(4);
    session.act({ type: 'resume' }, { who: 'operator:bob' });
    const summary = await session.done;
    expect(summary).toMatchObject({ reason: 'budget', experiments: 12 });
    const actions = audit(session).filter((r) => r.type === 'operator.action');
    expect(actions).toEqual([
      expect.objectContaining({ action: 'pause', who: 'operator:alice', why: 'checking the reservoirs' }),
      expect.objectContaining({ action: 'resume', who: 'operator:bob' }),
    ]);
  });

  it('pauses now: running commands are interrupted at their devices; on resume a resumable step starts again as a new command and a spoilt one fails its experiment', async () => {
    const { campaign, source } = exampleCampaign('colour-mixing', {
      lab: 'op-pause-now',
      budget: { experiments: 8 },
    });
    // 100× so a mix (60 s) and a read (20 s) are in progress for 600 and 200 ms of wall time.
    const session = await startCampaign(campaign, source, { brokerUrl: broker.url, runsDir, timeScale: 100 });
    const answers = new Map<string, string>();
    session.bus.on('event', (e) => {
      if (e.type === 'result' && e.commandId.startsWith('interrupt/'))
        answers.set(String(e.output.commandId), String(e.output.was));
    });
    /** Pauses now as soon as a `command` is sent, waits for every interrupt's answer, resumes. */
    const pauseNowDuring = async (command: string) => {
      await until(session, () =>
        audit(session).some((r) => r.type === 'command.sent' && r.command === command),
      );
      const inFlight = session.store.commandsInFlight(session.campaignId);
      session.act({ type: 'pause-now' }, alice);
      expect(session.state()).toBe('paused');
      await until(session, () => inFlight.every((c) => answers.has(c.commandId)));
      session.act({ type: 'resume' }, alice);
      return inFlight;
    };
    const [mix] = (await pauseNowDuring('mix')).filter((c) => c.step === 'mix');
    const [read] = (await pauseNowDuring('measure')).filter((c) => c.step === 'read');
    const summary = await session.done;
    expect(summary).toMatchObject({ reason: 'budget', experiments: 8, failed: 1, succeeded: 7 });
    expect(mix && answers.get(mix.commandId)).toBe('running');
    expect(read && answers.get(read.commandId)).toBe('running');
    if (!mix || !read) return;

    const log = audit(session);
    // Nothing was sent to a device while the campaign was paused.
    let paused = false;
    for (const r of log) {
      if (r.type === 'operator.action') paused = r.action === 'pause-now';
      if (paused) expect(r.type).not.toBe('command.sent');
    }
    const store = storeAfter(session);
    const journals: JournalEntry[] = [];
    for (const id of ['liquid-handler-1', 'plate-reader-1'])
      journals.push(...(await openFileJournal(join(session.runDir.journalDir, `${id}.jsonl`))).entries());
    const begun = journals.filter((e) => e.type === 'begin' && !e.commandId.startsWith('interrupt/'));
    // No command acted twice.
    expect(new Set(begun.map((e) => e.commandId)).size).toBe(begun.length);
    // Not resumable: a half-dispensed well is spoilt, the experiment fails and is never mixed again.
    expect(store.experiment(mix.experimentId)).toMatchObject({
      status: 'failed',
      error: { code: 'Interrupted', step: 'mix' },
    });
    expect(begun.filter((e) => e.commandId.startsWith(`${mix.experimentId}/`))).toHaveLength(1);
    // Resumable: the read starts again as a new command; the mix before it is not repeated.
    expect(store.experiment(read.experimentId)?.status).toBe('succeeded');
    expect(store.command(read.commandId)?.error?.code).toBe('Interrupted');
    expect(store.measurement(read.experimentId)?.devices.find((d) => d.step === 'read')?.commandId).toBe(
      read.commandId.replace(/\/1$/, '/2'),
    );
    expect(begun.filter((e) => e.commandId.startsWith(`${read.experimentId}/mix/`))).toHaveLength(1);
    expect(log.filter((r) => r.type === 'operator.action').map((r) => r.action)).toEqual([
      'pause-now',
      'resume',
      'pause-now',
      'resume',
    ]);
    console.log(
      `pause now: mix running → experiment failed (Interrupted); read running → read/2 → experiment succeeded; ${begun.length} actions, 0 repeated`,
    );
    store.close();
  });

  it('holds proposals for a person when the policy asks, runs the approved ones only', async () => {
    const { campaign, source } = exampleCampaign('colour-mixing', {
      lab: 'op-approve',
      budget: { experiments: 4 },
      approval: { require: 'always', timeout: 3600 },
    });
    const session = await startCampaign(campaign, source, { brokerUrl: broker.url, runsDir, timeScale: 1e3 });
    await until(session, () => session.approvals.pending().length === 4);
    const [first, second, third, fourth] = session.approvals.pending().map((p) => p.experimentId) as [
      string,
      string,
      string,
      string,
    ];
    expect(session.store.experiment(first)?.status).toBe('awaiting-approval');
    session.act({ type: 'approve', experimentId: first }, { who: 'operator:carol', why: 'looks fine' });
    session.act({ type: 'approve', experimentId: second }, { who: 'operator:carol' });
    session.act({ type: 'reject', experimentId: third }, { who: 'operator:carol', why: 'too much blue' });
    expect(() => session.act({ type: 'approve', experimentId: third }, alice)).toThrow(
      /is not waiting for approval/,
    );
    session.act({ type: 'approve', experimentId: fourth }, { who: 'operator:dave' });
    const summary = await session.done;
    expect(summary).toMatchObject({ experiments: 4, succeeded: 3, rejected: 1 });
    expect(storeAfter(session).experiment(third)).toMatchObject({
      status: 'rejected',
      reason: 'rejected by operator:carol: too much blue',
    });
    const decided = audit(session).filter((r) => r.type === 'approval.decided');
    expect(decided).toContainEqual(
      expect.objectContaining({
        experimentId: first,
        verdict: 'approved',
        who: 'operator:carol',
        why: 'looks fine',
      }),
    );
  });

  it('rejects a proposal nobody decides on once the approval times out', async () => {
    const { campaign, source } = exampleCampaign('colour-mixing', {
      lab: 'op-timeout',
      budget: { experiments: 2 },
      planner: { strategy: 'sobol', batch: 2 },
      approval: { require: 'always', timeout: 60 },
    });
    const session = await startCampaign(campaign, source, { brokerUrl: broker.url, runsDir, timeScale: 1e3 });
    const summary = await session.done;
    expect(summary).toMatchObject({ experiments: 2, rejected: 2, succeeded: 0 });
    expect(storeAfter(session).experiments(summary.campaignId)[0]?.reason).toBe(
      'rejected by runtime: no decision within 60 s',
    );
  });

  it('asks a person only for proposals outside the approval limits', async () => {
    const { campaign, source } = exampleCampaign('colour-mixing', {
      lab: 'op-limits',
      budget: { experiments: 8 },
      approval: { require: 'outside-limits', limits: [{ parameter: 'blue', max: 50 }], timeout: 600 },
    });
    const session = await startCampaign(campaign, source, { brokerUrl: broker.url, runsDir, timeScale: 1e3 });
    const summary = await session.done;
    const experiments = storeAfter(session).experiments(summary.campaignId);
    for (const e of experiments) {
      if ((e.parameters.blue as number) > 50)
        expect(e.reason).toBe('rejected by runtime: no decision within 600 s');
      else expect(e.status).toBe('succeeded');
    }
    expect(summary.rejected).toBeGreaterThan(0);
    expect(summary.succeeded).toBeGreaterThan(0);
  });

  it('an emergency stop halts every device of the lab in its safe state and aborts the campaign', async () => {
    const { campaign, source } = exampleCampaign('lattice-toughness', {
      lab: 'op-estop',
      budget: { experiments: 8 },
    });
    const session = await startCampaign(campaign, source, { brokerUrl: broker.url, runsDir, timeScale: 1e3 });
    const answers = new Map<string, Record<string, unknown>>();
    session.bus.on('event', (e) => {
      if (e.type === 'result' && e.commandId.startsWith('emergencyStop/')) answers.set(e.deviceId, e.output);
    });
    await until(session, () =>
      audit(session).some((r) => r.type === 'command.sent' && r.command === 'print'),
    );
    session.act({ type: 'emergency-stop' }, { who: 'operator:erin', why: 'smoke from printer 2' });
    const summary = await session.done;
    expect(summary.reason).toBe('aborted');
    expect([...answers.keys()].sort()).toEqual([
      'mechanical-tester-1',
      'mechanical-tester-2',
      'printer-3d-1',
      'printer-3d-2',
      'printer-3d-3',
      'printer-3d-4',
    ]);
    for (const output of answers.values())
      expect(output).toMatchObject({ halted: true, safeState: expect.any(String) });
    expect(answers.get('printer-3d-1')).toMatchObject({ nozzleTemperature: 25 });
    const interrupted = audit(session).filter(
      (r) =>
        r.type === 'device.event' &&
        (r.event as { error?: { code: string } }).error?.code === 'EmergencyStop',
    );
    expect(interrupted.length).toBeGreaterThan(0);
    expect(audit(session)).toContainEqual(
      expect.objectContaining({ type: 'operator.action', action: 'emergency-stop', who: 'operator:erin' }),
    );
  });
});
