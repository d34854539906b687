import type { ExperimentView } from '../../../contracts/index.ts';
import type { AuditRecord } from '../../audit-log.ts';

/** What one audit record does to the experiment table: new rows, or a patch to one row. */
export type ExperimentChange =
  | { put: ExperimentView[] }
  | { experimentId: string; patch: Partial<ExperimentView> }
  | undefined;

/**
 * The experiment table's change for a record: proposals add rows; the gate, approvals and the experiment's start
 * and end move a row through proposed → awaiting-approval → running → succeeded | failed | rejected.
 */
export function experimentChange(record: AuditRecord): ExperimentChange {
  switch (record.type) {
    case 'planner.proposed':
      return {
        put: record.experiments.map((e, i) => ({
          experimentId: e.experimentId,
          index: Number(/-e(\d+)$/.exec(e.experimentId)?.[1] ?? i),
          batch: record.batch,
          parameters: e.parameters,
          status: 'proposed',
          proposedAt: record.at,
        })),
      };
    case 'gate.decided':
      if (record.verdict === 'rejected')
        return {
          experimentId: record.experimentId,
          patch: { status: 'rejected', reason: record.reason, finishedAt: record.at },
        };
      if (record.verdict === 'approval-needed')
        return {
          experimentId: record.experimentId,
          patch: { status: 'awaiting-approval', reason: record.reason },
        };
      return undefined;
    case 'approval.decided':
      return {
        experimentId: record.experimentId,
        patch:
          record.verdict === 'approved'
            ? { status: 'proposed', reason: `approved by ${record.who}` }
            : {
                status: 'rejected',
                reason: `rejected by ${record.who}${record.why ? `: ${record.why}` : ''}`,
                finishedAt: record.at,
              },
      };
    case 'experiment.started':
      return { experimentId: record.experimentId, patch: { status: 'running' } };
    case 'experiment.finished':
      return {
        experimentId: record.experimentId,
        patch: {
          status: record.status,
          finishedAt: record.at,
          ...(record.values ? { values: record.values } : {}),
          ...(record.error ? { error: record.error } : {}),
        },
      };
    default:
      return undefined;
  }
}
