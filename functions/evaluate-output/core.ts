import * as z from 'zod/mini';
import { parseWith } from '../../contracts/errors.ts';
import { type ExperimentScope, evaluateOutputValues } from '../../workflows/protocol.ts';
import { asTaskFault } from '../errors.ts';
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
  const input = parseWith(
    EvaluateInputSchema,
    payload.input,
    `evaluateOutput input of ${payload.context.campaignId}`,
  );
  return evaluateOutputValues(input.expression, input.scope as unknown as ExperimentScope).catch(asTaskFault);
}
