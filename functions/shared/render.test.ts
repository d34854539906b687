import { describe, expect, it } from 'vitest';
import { ProtocolStepSchema } from '../../contracts/index.ts';
import { renderStepInput, StepFaultError } from '../../workflows/index.ts';
import { TaskFaultError } from '../errors.ts';
import { renderCommandParameters } from './render.ts';

const scope = {
  proposal: { red: 40, blue: 10 },
  experiment: { id: 'c-e0003', index: 3, plate: 'plate-1', well: 'A4' },
  steps: { mix: { volume: 50 } },
};
const step = (input: string) =>
  ProtocolStepSchema.parse({ name: 'mix', device: 'liquid-handler', command: 'mix', input, timeout: 60 });

describe('renderCommandParameters', () => {
  it.each([
    '{ "volumes": { "red": proposal.red, "blue": proposal.blue }, "well": experiment.well }',
    '{ "total": $sum(proposal.*), "before": steps.mix.volume }',
    '{}',
  ])('gives the parameters the local runtime renders for %s', async (input) => {
    expect(await renderCommandParameters(step(input), scope)).toEqual(
      await renderStepInput(step(input), scope),
    );
  });

  it.each(['proposal.red', '[1, 2]', 'nothing.here'])(
    'fails %s with the same InvalidParameters fault as the local runtime',
    async (input) => {
      const local = await renderStepInput(step(input), scope).catch((e: StepFaultError) => e);
      const cloud = await renderCommandParameters(step(input), scope).catch((e: TaskFaultError) => e);
      expect(local).toBeInstanceOf(StepFaultError);
      expect(cloud).toBeInstanceOf(TaskFaultError);
      expect((cloud as TaskFaultError).fault).toEqual((local as StepFaultError).fault);
      expect((cloud as TaskFaultError).name).toBe('InvalidParameters');
    },
  );

  it('lets an expression that does not evaluate fail as the local runtime does', async () => {
    await expect(renderCommandParameters(step('{ "a": $boom() }'), scope)).rejects.toMatchObject({
      name: 'ExpressionError',
    });
    await expect(renderStepInput(step('{ "a": $boom() }'), scope)).rejects.toMatchObject({
      name: 'ExpressionError',
    });
  });
});
