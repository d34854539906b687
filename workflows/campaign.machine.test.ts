import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, toPromise, waitFor } from 'xstate';
import type { ExperimentProposal } from '../contracts/index.ts';
import {
  type CampaignMachineInput,
  type CampaignProgress,
  campaignMachine,
  type Rejection,
} from './campaign.machine.ts';

const proposal = (index: number, batch: number): ExperimentProposal => ({
  experimentId: `c/e${index}`,
  campaignId: 'c',
  index,
  batch,
  parameters: { x: index },
  strategy: 'test',
  proposedAt: 0,
});

/**
 * A campaign over scripted actors: experiment i measures `values[i]`; `fails` lists indexes that fail;
 * `hold` makes runBatch wait until released, to send operator events mid-batch.
 */
function harness(
  input: Partial<CampaignMachineInput>,
  script: { values?: number[]; fails?: number[]; planError?: boolean } = {},
) {
  const progress: CampaignProgress = { proposed: 0, succeeded: 0, failed: 0, rejected: 0, best: undefined };
  const states: string[] = [];
  let releaseBatch: (() => void) | undefined;
  let holding = false;
  const machine = campaignMachine.provide({
    actors: {
      planBatch: fromPromise(async ({ input: i }) => {
        if (script.planError) throw new Error('planner exploded');
        return Array.from({ length: i.count }, (_, k) => proposal(progress.proposed + k, i.batchIndex));
      }),
      gateBatch: fromPromise(async ({ input: i }) => ({ approved: i.proposals, rejections: [] })),
      runBatch: fromPromise(async ({ input: i }) => {
        if (holding) await new Promise<void>((resolve) => (releaseBatch = resolve));
        for (const p of i.proposals) {
          progress.proposed += 1;
          if (script.fails?.includes(p.index)) progress.failed += 1;
          else {
            progress.succeeded += 1;
            const value = script.values?.[p.index] ?? p.index;
            if (!progress.best || value > progress.best.value)
              progress.best = { experimentId: p.experimentId, parameters: p.parameters, value };
          }
        }
        return [];
      }),
      recordBatch: fromPromise(async () => ({ ...progress })),
    },
  });
  const actor = createActor(machine, {
    input: {
      campaignId: 'c',
      budget: { experiments: 10 },
      batchSize: 4,
      objective: { name: 'y', goal: 'maximise' },
      ...input,
    },
  });
  actor.subscribe((s) => {
    if (states.at(-1) !== s.value) states.push(String(s.value));
  });
  return {
    actor,
    states,
    hold: () => (holding = true),
    release: () => {
      holding = false;
      releaseBatch?.();
    },
  };
}

describe('campaign machine', () => {
  it('loops plan → gate → run → record in batches until the budget is spent, the last batch cut to fit', async () => {
    const { actor, states } = harness({});
    actor.start();
    const output = await toPromise(actor);
    expect(output).toMatchObject({ reason: 'budget', proposed: 10, succeeded: 10, best: { value: 9 } });
    expect(states.filter((s) => s === 'planning')).toHaveLength(3);
  });

  it('stops as soon as the best value reaches the target', async () => {
    const { actor } = harness({ objective: { name: 'y', goal: 'maximise', target: 5 } });
    actor.start();
    expect(await toPromise(actor)).toMatchObject({ reason: 'target', proposed: 8 });
  });

  it('stops at the failure limit', async () => {
    const { actor } = harness({ budget: { experiments: 40, failures: 3 } }, { fails: [0, 1, 2, 3, 4] });
    actor.start();
    expect(await toPromise(actor)).toMatchObject({ reason: 'failures', failed: 4, proposed: 4 });
  });

  it('pauses at the next safe point, not mid-batch, and resumes', async () => {
    const h = harness({});
    h.hold();
    h.actor.start();
    await waitFor(h.actor, (s) => s.matches('running'));
    h.actor.send({ type: 'PAUSE' });
    expect(h.actor.getSnapshot().value).toBe('running');
    h.release();
    await waitFor(h.actor, (s) => s.matches('paused'));
    expect(h.actor.getSnapshot().context.proposed).toBe(4);
    h.actor.send({ type: 'RESUME' });
    expect(await toPromise(h.actor)).toMatchObject({ reason: 'budget', proposed: 10 });
  });

  it('pauses now mid-batch, cancelling the running batch, and on resume plans and runs the same batch again', async () => {
    const h = harness({});
    const batches: number[] = [];
    let cancelled = false;
    const machine = campaignMachine.provide({
      actors: {
        planBatch: fromPromise(async ({ input: i }) => {
          batches.push(i.batchIndex);
          return Array.from({ length: i.count }, (_, k) => proposal(i.batchIndex * 4 + k, i.batchIndex));
        }),
        gateBatch: fromPromise(async ({ input: i }) => ({ approved: i.proposals, rejections: [] })),
        runBatch: fromPromise(async ({ signal }) => {
          if (batches.length === 1)
            await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
          cancelled ||= signal.aborted;
          return [];
        }),
        recordBatch: fromPromise(async ({ input: i }) => ({
          proposed: 4 * (i.batchIndex + 1),
          succeeded: 0,
          failed: 0,
          rejected: 0,
          best: undefined,
        })),
      },
    });
    const actor = createActor(machine, {
      input: {
        campaignId: 'c',
        budget: { experiments: 8 },
        batchSize: 4,
        objective: h.actor.getSnapshot().context.objective,
      },
    });
    actor.start();
    await waitFor(actor, (s) => s.matches('running'));
    actor.send({ type: 'PAUSE_NOW' });
    expect(actor.getSnapshot().value).toBe('paused');
    expect(actor.getSnapshot().context.batchIndex).toBe(0);
    actor.send({ type: 'RESUME' });
    expect(await toPromise(actor)).toMatchObject({ reason: 'budget', proposed: 8 });
    expect(cancelled).toBe(true);
    expect(batches).toEqual([0, 0, 1]);
  });

  it('pauses now while waiting for approvals, and treats pause now while planning as a pause at the next safe point', async () => {
    const waiting = campaignMachine.provide({
      actors: {
        planBatch: fromPromise(async () => [proposal(0, 0)]),
        // A person never answers: the gate waits until it is cancelled.
        gateBatch: fromPromise(
          () => new Promise<{ approved: ExperimentProposal[]; rejections: Rejection[] }>(() => {}),
        ),
      },
    });
    const gated = createActor(waiting, {
      input: {
        campaignId: 'c',
        budget: { experiments: 4 },
        batchSize: 1,
        objective: { name: 'y', goal: 'maximise' },
      },
    });
    gated.start();
    await waitFor(gated, (s) => s.matches('gating'));
    gated.send({ type: 'PAUSE_NOW' });
    expect(gated.getSnapshot().value).toBe('paused');

    const h = harness({});
    h.actor.start();
    expect(h.actor.getSnapshot().value).toBe('planning');
    h.actor.send({ type: 'PAUSE_NOW' });
    await waitFor(h.actor, (s) => s.matches('paused'));
    expect(h.actor.getSnapshot().context.proposed).toBe(4);
  });

  it('stops cleanly after the running batch', async () => {
    const h = harness({});
    h.hold();
    h.actor.start();
    await waitFor(h.actor, (s) => s.matches('running'));
    h.actor.send({ type: 'STOP' });
    h.release();
    expect(await toPromise(h.actor)).toMatchObject({ reason: 'stopped', proposed: 4 });
  });

  it('aborts at once, cancelling the running batch', async () => {
    const h = harness({});
    h.hold();
    h.actor.start();
    await waitFor(h.actor, (s) => s.matches('running'));
    h.actor.send({ type: 'ABORT' });
    expect(await toPromise(h.actor)).toMatchObject({ reason: 'aborted', proposed: 0 });
  });

  it('ends in failed with the error when an actor throws', async () => {
    const { actor } = harness({}, { planError: true });
    actor.start();
    expect(await toPromise(actor)).toMatchObject({ reason: 'error', error: 'Error: planner exploded' });
  });
});
