import type { ProtocolStep } from '../../contracts/campaign.ts';
import { FaultCodes } from '../../contracts/fault-codes.ts';
import { evaluate } from '../../workflows/expressions.ts';
import { TaskFaultError } from '../errors.ts';

/** What a step's `input` expression sees (the experiment machine's `ExperimentScope`). */
export interface StepScope {
  proposal: Record<string, unknown>;
  experiment: { id: string; index: number; plate: string; well: string };
  steps: Record<string, Record<string, unknown>>;
}

/**
 * A step's command parameters from its JSONata `input`, as the local runtime's `renderStepInput` computes them
 * (same evaluator, same message), without importing the experiment machine and with it XState: the Lambda
 * bundle stays small (ADR 0006). `render.test.ts` holds the two equal.
 */
export async function renderCommandParameters(
  step: Pick<ProtocolStep, 'name' | 'input'>,
  scope: StepScope,
): Promise<Record<string, unknown>> {
  const parameters = await evaluate(step.input, scope, `protocol step ${step.name} input`);
  if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters))
    throw new TaskFaultError({
      code: FaultCodes.InvalidParameters,
      message: `protocol step ${step.name} input must give an object of command parameters, got ${JSON.stringify(parameters) ?? 'nothing'}`,
      retryable: false,
    });
  return parameters as Record<string, unknown>;
}
