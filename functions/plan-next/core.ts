import type { ExperimentProposal } from '../../contracts/experiment.ts';
import { TaskFaultError } from '../errors.ts';
import type { Progress } from '../shared/experiment-items.ts';
import type { TaskPayload } from '../shared/task-payload.ts';
import { type PlanNextDeps, planBatch } from './plan.ts';
import { recordBatch } from './record.ts';

export { PlanInputSchema, type PlanNextDeps, planBatch } from './plan.ts';
export { ExperimentResultSchema, RecordExtraSchema, RecordInputSchema, recordBatch } from './record.ts';

/**
 * plan-next serves both of the campaign's planner tasks, told apart by the payload's `actor`: `planBatch` (ask the
 * planner, store the proposals) and `recordBatch` (store the outcomes, tell the planner, report progress). Both
 * are idempotent per batch index, as the local actors in runtime/campaign-actors.ts are.
 *
 * @example
 * const proposals = await planNext(
 *   { actor: 'planBatch', state: 'planning', input: { batchIndex: 0, count: 4 }, context: { campaignId: 'c1' } },
 *   { db, table: 'labloop', clock: systemClock },
 * );
 */
export function planNext(payload: TaskPayload, deps: PlanNextDeps): Promise<ExperimentProposal[] | Progress> {
  if (payload.actor === 'planBatch') return planBatch(payload, deps);
  if (payload.actor === 'recordBatch') return recordBatch(payload, deps);
  throw new TaskFaultError({
    code: 'UnknownActor',
    message: `plan-next serves planBatch and recordBatch, got ${JSON.stringify(payload.actor)} (state ${payload.state})`,
    retryable: false,
  });
}
