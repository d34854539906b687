import type { ProtocolStep } from '../../contracts/campaign.ts';
import { type ExperimentScope, renderStepInput } from '../../workflows/protocol.ts';
import { asTaskFault } from '../errors.ts';

/** What a step's `input` expression sees, as the compiled workflow passes it (the machine's `ExperimentScope`). */
export interface StepScope {
  proposal: Record<string, unknown>;
  experiment: { id: string; index: number; plate: string; well: string };
  steps: Record<string, Record<string, unknown>>;
}

/**
 * A step's command parameters from its JSONata `input`: the local runtime's `renderStepInput` (imported from the
 * XState-free `workflows/protocol.ts`, so the bundle stays small — ADR 0006), its faults as `TaskFaultError`s.
 */
export function renderCommandParameters(
  step: Pick<ProtocolStep, 'name' | 'input'>,
  scope: StepScope,
): Promise<Record<string, unknown>> {
  return renderStepInput(step as ProtocolStep, scope as ExperimentScope).catch(asTaskFault);
}
