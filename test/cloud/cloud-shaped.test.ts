import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CampaignInput, ScaledClock } from '../../contracts/index.ts';
import { emergencyStop } from '../../functions/campaign-api/emergency-stop.ts';
import { actOnCampaign } from '../../functions/campaign-api/operator.ts';
import { type ExperimentItem, experimentItems } from '../../functions/shared/experiment-items.ts';
import { sendSuccess } from '../../functions/shared/settle.ts';
import { keys } from '../../functions/shared/table.ts';
import { runCampaign, Store } from '../../runtime/index.ts';
import { RESOURCE_PLACEHOLDERS } from '../../workflows/asl/index.ts';
import { exampleCampaign } from '../support/campaigns.ts';
import { type CloudLab, startCloudLab } from './cloud-lab.ts';

/** What must come out the same in both runtimes: identity, parameters, outcome. */
interface Row {
  experimentId: string;
  index: number;
  batch: number;
  status: string;
  parameters: Record<string, unknown>;
  values: Record<string, number>;
}

const rowsOf = (items: ExperimentItem[]): Row[] =>
  items.map((e) => ({
    experimentId: e.experimentId,
    index: e.index,
    batch: e.batch,
    status: e.status,
    parameters: e.parameters,
    values: e.values ?? {},
  }));

const TWO_OF_EACH: CampaignInput['simulators'] = [
  { kind: 'liquid-handler', count: 2 },
  { kind: 'plate-reader', count: 2 },
];

/**
 * The colour-mixing example with its own planner (bo: 8 Sobol points, then model-based proposals from the
 * measurements), 10 experiments. A measurement's noise is keyed by the command's place in the campaign, not by
 * the device that took it, so both runtimes measure the same values whatever order the devices serve them in.
 */
const colour = (lab: string, overrides: Partial<CampaignInput> = {}) =>
  exampleCampaign('colour-mixing', {
    lab,
    budget: { experiments: 10, failures: 12 },
    planner: { strategy: 'bo', batch: 4, initial: 8 },
    simulators: TWO_OF_EACH,
    ...overrides,
  });

/**
 * A cloud lab for operator actions mid-action: one batch-of-4 Sobol campaign of `experiments` on one liquid handler
 * and one plate reader. At 100× a mix runs 2.4 s and a read 1.2 s of wall time: long enough for an action through
 * the API (DynamoDB, ListExecutions, IoT publishes) to reach the device mid-action on a loaded CI machine.
 */
const slowLab = (lab: string, experiments: number) => {
  const { campaign } = colour(lab, {
    budget: { experiments },
    planner: { strategy: 'sobol', batch: 4 },
    simulators: [
      { kind: 'liquid-handler', durationScale: 4 },
      { kind: 'plate-reader', durationScale: 6 },
    ],
  });
  return startCloudLab({ campaign, seed: campaign.seed ?? 0, timeScale: 100 });
};

/**
 * Simulated seconds per wall second in the cloud-shaped lab. Lower than the local runtime's 1000: every function
 * call here is a real DynamoDB request to another process, and a 300 s device heartbeat must not be eaten by
 * wall-clock work on a busy 2-core machine.
 */
const CLOUD_SCALE = 250;
const CAMPAIGN_ID = 'colour-cloud-shaped';
let local: Row[];

beforeAll(async () => {
  const { campaign, source } = colour('cloud-shaped-local');
  const summary = await runCampaign(campaign, source, {
    port: 0,
    runsDir: mkdtempSync(join(tmpdir(), 'labloop-cloud-shaped-')),
    clock: new ScaledClock(1000),
    campaignId: CAMPAIGN_ID,
  });
  expect(summary).toMatchObject({ reason: 'budget', experiments: 10, succeeded: 10 });
  const store = new Store(join(summary.runDir, 'store.sqlite'));
  local = store.experiments(CAMPAIGN_ID).map((e) => ({
    experimentId: e.experimentId,
    index: e.index,
    batch: e.batch,
    status: e.status,
    parameters: e.parameters,
    values: store.measurement(e.experimentId)?.values ?? {},
  }));
  store.close();
}, 60_000);

/** Polls `done` every 2 ms of wall time, for up to 30 s. */
async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('the compiled workflows on the real function cores, dynalite, an MQTT broker and simulators', () => {
  let cloud: CloudLab | undefined;
  afterEach(async () => {
    await cloud?.close();
    cloud = undefined;
  });

  it('runs a 10-experiment campaign to the results the local runtime reaches with the same seed', async () => {
    const { campaign } = colour('cloud-shaped');
    cloud = await startCloudLab({ campaign, seed: campaign.seed ?? 0, timeScale: CLOUD_SCALE });
    const { execution, experiments } = await cloud.run(CAMPAIGN_ID);
    expect(cloud.errors).toEqual([]);
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output).toEqual({
      reason: 'budget',
      proposed: 10,
      succeeded: 10,
      failed: 0,
      rejected: 0,
      best: expect.objectContaining({ experimentId: expect.stringMatching(/^colour-cloud-shaped-e/) }),
    });
    expect(local).toHaveLength(10);
    // Same ids, same parameters (the planner's state went through DynamoDB between batches), same values.
    expect(rowsOf(experiments)).toEqual(local);
    const bestLocal = local
      .filter((r) => r.values.distance !== undefined)
      .sort((a, b) => (a.values.distance as number) - (b.values.distance as number) || a.index - b.index)[0];
    expect(execution.output).toMatchObject({
      best: { experimentId: bestLocal?.experimentId, value: bestLocal?.values.distance },
    });
    // Every command was sent once: no step timed out and was sent again.
    expect(cloud.tokenCalls.filter((c) => c.result !== 'sent')).toEqual([]);
  });

  it('retries a device fault as a new command and treats redelivered events and repeated settles as settled', async () => {
    const { campaign } = colour('cloud-shaped-faults', {
      simulators: [
        // The 7th mix fails once; its retry is a new command (`/mix/2`) on the next free handler.
        {
          kind: 'liquid-handler',
          faults: [{ command: 'mix', every: 7, code: 'TipPickupFailed', retryable: true }],
        },
        { kind: 'plate-reader', count: 2 },
      ],
    });
    cloud = await startCloudLab({
      campaign,
      seed: campaign.seed ?? 0,
      timeScale: CLOUD_SCALE,
      duplicateEvents: true,
    });
    const { execution, experiments } = await cloud.run(CAMPAIGN_ID);
    expect(cloud.errors).toEqual([]);
    expect(execution.output).toMatchObject({ reason: 'budget', proposed: 10, succeeded: 10, failed: 0 });
    // A retried mix dispenses into the same empty well, so the campaign still measures what the local run did.
    expect(rowsOf(experiments)).toEqual(local);

    const faults = cloud.events.filter((e) => e.event.type === 'fault' && e.result.status === 'failed');
    expect(faults.map((e) => e.event.commandId)).toEqual([expect.stringMatching(/\/mix\/1$/)]);
    const retried = (faults[0]?.event.commandId ?? '').replace(/1$/, '2');
    const { db, table } = cloud.dynamo;
    const stored = await db.send(new GetCommand({ TableName: table, Key: keys.command(retried) }));
    expect(stored.Item).toMatchObject({ status: 'result', outcome: { output: expect.any(Object) } });

    // Every event came twice: the first settled its command, the copy was a duplicate.
    const settling = cloud.events.filter((e) => e.event.type === 'result' || e.event.type === 'fault');
    const byStatus = (status: string) => settling.filter((e) => e.result.status === status).length;
    expect(byStatus('succeeded') + byStatus('failed')).toBe(21);
    expect(byStatus('duplicate')).toBe(21);
    // Each token was answered once; heartbeats that arrived after the answer were told the task had ended.
    const answers = cloud.tokenCalls.filter((c) => c.command !== 'SendTaskHeartbeat');
    expect(answers.every((c) => c.result === 'sent')).toBe(true);
    expect(new Set(answers.map((c) => c.taskToken)).size).toBe(answers.length);
    // A repeated SendTaskSuccess for a settled token is settled, not an error.
    const token = String(stored.Item?.taskToken);
    expect(await sendSuccess(cloud.sfn, token, stored.Item?.outcome)).toBe('settled');
    expect(cloud.tokenCalls.at(-1)).toEqual({
      command: 'SendTaskSuccess',
      taskToken: token,
      result: 'TaskTimedOut',
    });
  });

  it('pauses now through campaign-api: in-flight commands are interrupted at their devices; on resume the batch runs as new executions, a resumable step as a new command, a spoilt one fails its experiment', async () => {
    cloud = await slowLab('cloud-shaped-pause-now', 4);
    const lab = cloud;
    const id = 'colour-pause-now';
    const alice = { name: 'alice', role: 'operator' as const };
    const answerOf = (target: string) => {
      for (const { event } of lab.events)
        if (event.type === 'result' && event.output.commandId === target) return event.output;
      return undefined;
    };
    /** Pauses now as soon as a device has accepted a `<step>` command, waits for every interrupt's answer, resumes. */
    const pauseNowDuring = async (step: string) => {
      await until(`a ${step} to start`, () =>
        lab.events.some((e) => e.event.type === 'accepted' && e.event.commandId.includes(`/${step}/`)),
      );
      const { body } = await actOnCampaign(id, { action: 'pause-now' }, alice, lab.api);
      expect(body.stopped?.length).toBeGreaterThan(0);
      const interrupted = body.interrupted ?? [];
      await until('the interrupts to be answered', () => interrupted.every((i) => answerOf(i.target)));
      await actOnCampaign(id, { action: 'resume' }, alice, lab.api);
      return interrupted.map((i) => ({ ...i, was: String(answerOf(i.target)?.was) }));
    };
    const finished = cloud.run(id);
    const first = await pauseNowDuring('mix');
    const second = await pauseNowDuring('read');
    const { execution, experiments } = await finished;
    expect(cloud.errors).toEqual([]);
    expect(execution.status).toBe('SUCCEEDED');

    const mix = first.find((i) => i.target.includes('/mix/') && i.was === 'running');
    const read = second.find((i) => i.target.includes('/read/') && i.was === 'running');
    expect(mix, JSON.stringify(first)).toBeDefined();
    expect(read, JSON.stringify(second)).toBeDefined();
    if (!mix || !read) return;
    const experimentOf = (commandId: string) => commandId.split('/')[0] as string;
    const byId = new Map(experiments.map((e) => [e.experimentId, e]));
    // Every mix stopped half-way spoilt its well: those experiments failed, the others succeeded.
    const spoilt = [...first, ...second].filter((i) => i.target.includes('/mix/') && i.was === 'running');
    const failed = experiments.filter((e) => e.status === 'failed');
    expect(failed.map((e) => e.experimentId).sort()).toEqual(
      spoilt.map((i) => experimentOf(i.target)).sort(),
    );
    expect(execution.output).toMatchObject({
      reason: 'budget',
      proposed: 4,
      failed: failed.length,
      succeeded: 4 - failed.length,
    });
    expect(byId.get(experimentOf(mix.target))).toMatchObject({
      status: 'failed',
      error: { code: 'Interrupted', step: 'mix' },
    });

    // No physical action was repeated, and the spoilt well was never mixed again.
    const begun = cloud.lab.devices
      .flatMap((d) => d.journal.entries())
      .filter((e) => e.type === 'begin' && !e.commandId.startsWith('interrupt/'));
    expect(new Set(begun.map((e) => e.commandId)).size).toBe(begun.length);
    expect(begun.filter((e) => e.commandId.startsWith(`${experimentOf(mix.target)}/`))).toHaveLength(1);
    // The read started again as a new command; the mix before it was not repeated.
    const reread = byId.get(experimentOf(read.target));
    expect(reread?.status).toBe('succeeded');
    expect(reread?.devices).toContainEqual(
      expect.objectContaining({ step: 'read', commandId: read.target.replace(/\/1$/, '/2') }),
    );
    expect(begun.filter((e) => e.commandId.startsWith(`${experimentOf(read.target)}/mix/`))).toHaveLength(1);
    const { db, table } = cloud.dynamo;
    const interruptedRead = await db.send(
      new GetCommand({ TableName: table, Key: keys.command(read.target) }),
    );
    expect(interruptedRead.Item).toMatchObject({ status: 'fault', outcome: { code: 'Interrupted' } });
    // Each run of a batch started its experiments under new names: three runs of the first batch's experiments.
    const runs = cloud.executor.list(RESOURCE_PLACEHOLDERS.experimentStateMachine);
    expect(new Set(runs.map((r) => r.name)).size).toBe(runs.length);
    expect(runs.filter((r) => r.status === 'ABORTED').length).toBeGreaterThan(0);
    console.log(
      `cloud pause now: ${first.length + second.length} interrupts, ${failed.length} experiment(s) spoilt, ${runs.length} experiment executions, ${begun.length} actions, 0 repeated`,
    );
  }, 90_000);

  it('stops the lab in an emergency through campaign-api: every device halts mid-batch, the campaign ends aborted, nothing runs after', async () => {
    cloud = await slowLab('cloud-shaped-emergency', 8);
    const lab = cloud;
    const id = 'colour-emergency';
    const finished = cloud.run(id);
    await until('a mix to start', () =>
      lab.events.some((e) => e.event.type === 'accepted' && e.event.commandId.includes('/mix/')),
    );
    const { status, body } = await emergencyStop(
      { why: 'spill on the deck' },
      { name: 'alice', role: 'operator' },
      lab.api,
    );
    expect(status).toBe(202);
    const devices = lab.lab.devices.map((d) => d.deviceId).sort();
    expect(body.halted.map((h) => h.deviceId).sort()).toEqual(devices);
    expect(body.aborted.map((a) => a.campaignId)).toEqual([id]);
    const answer = (commandId: string) =>
      lab.events.find((e) => e.event.type === 'result' && e.event.commandId === commandId)?.event;
    await until('every device to answer its emergency stop', () =>
      body.halted.every((h) => answer(h.commandId)),
    );
    for (const h of body.halted) expect(answer(h.commandId)).toMatchObject({ output: { halted: true } });

    const { execution } = await finished;
    expect(cloud.errors).toEqual([]);
    expect(execution.output).toMatchObject({ reason: 'aborted' });
    // The mix that was running was stopped by the halt, and no device began anything after its emergency stop.
    expect(
      lab.events.some(
        (e) =>
          e.event.type === 'fault' &&
          e.event.commandId.includes('/mix/') &&
          e.event.error.code === 'EmergencyStop',
      ),
    ).toBe(true);
    for (const device of lab.lab.devices) {
      const entries = device.journal.entries();
      const halt = entries.findIndex((e) => e.type === 'begin' && e.command === 'emergencyStop');
      expect(halt, device.deviceId).toBeGreaterThanOrEqual(0);
      expect(entries.slice(halt + 1).filter((e) => e.type === 'begin')).toEqual([]);
    }
    const { db, table } = cloud.dynamo;
    const record = await db.send(
      new GetCommand({ TableName: table, Key: keys.emergencyStop(body.at, 'operator:alice') }),
    );
    expect(record.Item).toMatchObject({ why: 'spill on the deck', halted: devices, aborted: [id] });
    console.log(
      `cloud emergency stop: ${body.halted.length} devices halted, campaign ${id} aborted (${JSON.stringify(execution.output)})`,
    );
  }, 90_000);

  it('parks proposals outside the approval limits until an operator approves or rejects them, or time runs out', async () => {
    const { campaign } = colour('cloud-shaped-approvals', {
      budget: { experiments: 8 },
      planner: { strategy: 'sobol', batch: 4 },
      approval: { require: 'outside-limits', limits: [{ parameter: 'red', max: 50 }], timeout: 300 },
    });
    cloud = await startCloudLab({ campaign, seed: campaign.seed ?? 0, timeScale: CLOUD_SCALE });
    const lab = cloud;
    const id = 'colour-approvals';
    // The operator, through campaign-api's queue: approves the 1st, 4th, … proposal that waits, rejects the 2nd,
    // 5th, … and lets the 3rd, 6th, … time out.
    const seen = new Map<string, 'APPROVE' | 'REJECT' | 'none'>();
    let running = true;
    const operator = (async () => {
      while (running) {
        for (const e of await experimentItems(lab.dynamo.db, lab.dynamo.table, id)) {
          if (e.status !== 'awaiting-approval' || seen.has(e.experimentId)) continue;
          const choice = (['APPROVE', 'REJECT', 'none'] as const)[seen.size % 3] ?? 'none';
          seen.set(e.experimentId, choice);
          if (choice === 'APPROVE')
            await lab.queueEvent(id, { type: 'APPROVE', experimentId: e.experimentId, by: 'operator:alice' });
          if (choice === 'REJECT')
            await lab.queueEvent(id, {
              type: 'REJECT',
              experimentId: e.experimentId,
              by: 'operator:bob',
              why: 'too red',
            });
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const { execution, experiments } = await cloud.run(id).finally(() => {
      running = false;
    });
    await operator;
    expect(cloud.errors).toEqual([]);
    expect([...seen.values()].slice(0, 3)).toEqual(['APPROVE', 'REJECT', 'none']);
    const gated = (e: ExperimentItem) => (e.parameters.red as number) > 50;
    for (const e of experiments) {
      const choice = seen.get(e.experimentId);
      expect(choice !== undefined, `${e.experimentId} red ${e.parameters.red}`).toBe(gated(e));
      if (choice === 'APPROVE')
        expect(e).toMatchObject({ status: 'succeeded', reason: 'approved by operator:alice' });
      else if (choice === 'REJECT')
        expect(e).toMatchObject({ status: 'rejected', reason: 'rejected by operator:bob: too red' });
      else if (choice === 'none')
        expect(e).toMatchObject({
          status: 'rejected',
          reason: 'rejected by runtime: no decision within 300 s',
        });
      else expect(e).toMatchObject({ status: 'succeeded', decidedBy: 'gate' });
    }
    const rejected = [...seen.values()].filter((c) => c !== 'APPROVE').length;
    expect(execution.output).toMatchObject({
      reason: 'budget',
      proposed: 8,
      rejected,
      succeeded: 8 - rejected,
    });
  });
});
