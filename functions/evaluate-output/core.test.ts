import { describe, expect, it } from 'vitest';
import { type AnyActorLogic, createActor, toPromise } from 'xstate';
import { experimentMachine } from '../../workflows/index.ts';
import { evaluateOutput } from './core.ts';

const scope = { proposal: { r: 1 }, experiment: { id: 'e', index: 0 }, steps: { read: { r: 0.25, g: 0.5 } } };
const payload = (expression: string) => ({
  actor: 'evaluateOutput',
  state: 'measuring',
  context: { campaignId: 'c', experimentId: 'e' },
  input: { expression, scope },
});
// The experiment machine's own local implementation, run as XState runs it.
const local = (expression: string) =>
  toPromise(
    createActor(experimentMachine.implementations.actors.evaluateOutput as AnyActorLogic, {
      input: { expression, scope },
    }).start(),
  );

describe('evaluateOutput', () => {
  it.each(['{ "distance": steps.read.r + steps.read.g }', '{ "a": 1, "b": proposal.r }'])(
    'gives the values the local actor gives for %s',
    async (expression) => {
      expect(await evaluateOutput(payload(expression))).toEqual(await local(expression));
    },
  );

  it.each(['[1]', '{ "a": "text" }', '{ "a": 1/0 }'])(
    'fails InvalidOutput as the local actor does for %s',
    async (e) => {
      const cloud = await evaluateOutput(payload(e)).catch((error: { fault: unknown }) => error.fault);
      const mine = await local(e).catch((error: { fault: unknown }) => error.fault);
      expect(cloud).toMatchObject({ code: 'InvalidOutput', retryable: false });
      expect(cloud).toEqual(mine);
    },
  );
});
