import { describe, expect, it } from 'vitest';
import { createRng, ScaledClock } from '../../contracts/index.ts';
import type { AslDefinition } from '../../workflows/asl/index.ts';
import { AslExecutor, ExecutionApiError } from './asl-executor.ts';

const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:waiter';
const CALLBACK = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** One callback task: the execution waits until its token is answered. */
const waiter: AslDefinition = {
  QueryLanguage: 'JSONata',
  StartAt: 'wait',
  States: {
    wait: {
      Type: 'Task',
      Resource: CALLBACK,
      Arguments: { FunctionName: 'park', Payload: '{% { "token": $states.context.Task.Token } %}' },
      Output: '{% $states.result %}',
      End: true,
    },
  },
};

function executorWithTokens() {
  const tokens: string[] = [];
  const executor = new AslExecutor({
    clock: new ScaledClock(1000),
    rng: createRng(1),
    resources: {
      park: async (payload) => {
        tokens.push((payload as { token: string }).token);
        return {};
      },
    },
    stateMachines: { [ARN]: waiter },
  });
  return { executor, tokens };
}

const untilParked = async (tokens: string[], n: number) => {
  while (tokens.length < n) await new Promise((resolve) => setTimeout(resolve, 1));
};

describe('AslExecutor: execution names and StopExecution as Step Functions has them', () => {
  it('returns a running execution for a repeated start with the same input, refuses another input', async () => {
    const { executor, tokens } = executorWithTokens();
    const first = executor.start(waiter, { a: 1, b: 2 }, 'e1');
    // Same input, keys in another order: the same execution.
    expect(executor.start(waiter, { b: 2, a: 1 }, 'e1')).toBe(first);
    expect(() => executor.start(waiter, { a: 2 }, 'e1')).toThrow(
      expect.objectContaining({ name: 'ExecutionAlreadyExists' }),
    );
    await untilParked(tokens, 1);
    executor.sendTaskSuccess(tokens[0] as string, { ok: true });
    expect(await first).toMatchObject({ status: 'SUCCEEDED', output: { ok: true } });
    expect(executor.list(ARN)).toEqual([
      expect.objectContaining({
        name: 'e1',
        status: 'SUCCEEDED',
        executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:e1`,
      }),
    ]);
  });

  it('refuses the name of a closed execution, whatever the input, and names Step Functions would not take', async () => {
    const { executor, tokens } = executorWithTokens();
    const run = executor.start(waiter, { a: 1 }, 'e1');
    await untilParked(tokens, 1);
    executor.sendTaskSuccess(tokens[0] as string, {});
    await run;
    expect(() => executor.start(waiter, { a: 1 }, 'e1')).toThrow(ExecutionApiError);
    expect(() => executor.start(waiter, { a: 1 }, 'e1')).toThrow(/already exists \(SUCCEEDED\)/);
    expect(() => executor.start(waiter, {}, 'x'.repeat(81))).toThrow(
      expect.objectContaining({ name: 'InvalidName' }),
    );
    expect(() => executor.start(waiter, {}, 'a/b')).toThrow(expect.objectContaining({ name: 'InvalidName' }));
    // Another state machine has names of its own.
    const other = { ...waiter };
    const elsewhere = executor.start(other, { a: 1 }, 'e1');
    await untilParked(tokens, 2);
    executor.sendTaskSuccess(tokens[1] as string, {});
    expect(await elsewhere).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('stops a running execution: ABORTED with the given error, its task token no longer valid', async () => {
    const { executor, tokens } = executorWithTokens();
    const run = executor.start(waiter, {}, 'e1');
    await untilParked(tokens, 1);
    const [running] = executor.list(ARN, 'RUNNING');
    expect(running?.name).toBe('e1');
    executor.stop(String(running?.executionArn), 'CampaignPausedNow', 'paused now by alice');
    expect(await run).toMatchObject({
      status: 'ABORTED',
      error: 'CampaignPausedNow',
      cause: 'paused now by alice',
    });
    expect(executor.list(ARN, 'RUNNING')).toEqual([]);
    expect(() => executor.sendTaskSuccess(tokens[0] as string, {})).toThrow(
      expect.objectContaining({ name: 'TaskTimedOut' }),
    );
    // Stopping a closed execution changes nothing; an unknown one does not exist.
    expect(executor.stop(String(running?.executionArn)).status).toBe('ABORTED');
    expect(() => executor.stop(`${running?.executionArn}-x`)).toThrow(
      expect.objectContaining({ name: 'ExecutionDoesNotExist' }),
    );
    expect(() => executor.start(waiter, {}, 'e1')).toThrow(/already exists \(ABORTED\)/);
  });
});
