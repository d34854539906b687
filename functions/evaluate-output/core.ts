import * as z from 'zod/mini';
import { evaluate } from '../../workflows/expressions.ts';
import { TaskFaultError } from '../errors.ts';
import { parseMini } from '../shared/parse.ts';
import type { TaskPayload } from '../shared/task-payload.ts';

/** The `evaluateOutput` actor's input: the protocol's `output` expression and the experiment's scope. */
export const EvaluateInputSchema = z.object({
  expression: z.string().check(z.minLength(1)),
  scope: z.record(z.string(), z.unknown()),
});

/**
 * Turns the step outputs into objective values with the protocol's JSONata `output`, with the checks and
 * faults of the experiment machine's local `evaluateOutput` actor (`core.test.ts` runs both).
 */
export async function evaluateOutput(payload: TaskPayload): Promise<Record<string, number>> {
  const input = parseMini(
    EvaluateInputSchema,
    payload.input,
    `evaluateOutput input of ${payload.context.campaignId}`,
  );
  const values = await evaluate(input.expression, input.scope, 'protocol.output');
  if (values === null || typeof values !== 'object' || Array.isArray(values))
    throw new TaskFaultError({
      code: 'InvalidOutput',
      message: `protocol.output must give an object of objective values, got ${JSON.stringify(values)}`,
      retryable: false,
    });
  for (const [name, value] of Object.entries(values))
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new TaskFaultError({
        code: 'InvalidOutput',
        message: `objective ${name} must be a finite number, got ${JSON.stringify(value)}`,
        retryable: false,
      });
  return values as Record<string, number>;
}
