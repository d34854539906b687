import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';

/** Errors Step Functions answers for a token whose task already ended: settled, not a failure of ours. */
const SETTLED = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** How a settle call went: `settled` when the task had already ended (a duplicate or a late answer). */
export type SettleResult = 'sent' | 'settled';

async function send(call: () => Promise<unknown>): Promise<SettleResult> {
  try {
    await call();
    return 'sent';
  } catch (error) {
    if (error instanceof Error && SETTLED.has(error.name)) return 'settled';
    throw error;
  }
}

/** Ends a waiting task with an output; an already-ended task counts as settled. */
export function sendSuccess(sfn: SFNClient, taskToken: string, output: unknown): Promise<SettleResult> {
  return send(() => sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })));
}

/** Fails a waiting task with a stable error name and the fault as JSON cause. */
export function sendFailure(
  sfn: SFNClient,
  taskToken: string,
  error: string,
  cause: string,
): Promise<SettleResult> {
  return send(() => sfn.send(new SendTaskFailureCommand({ taskToken, error, cause })));
}

/** Tells a waiting task its device is alive. */
export function sendHeartbeat(sfn: SFNClient, taskToken: string): Promise<SettleResult> {
  return send(() => sfn.send(new SendTaskHeartbeatCommand({ taskToken })));
}
