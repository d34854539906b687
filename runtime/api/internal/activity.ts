import type { ActivityEntry } from '../../../contracts/index.ts';
import type { AuditRecord } from '../../audit-log.ts';
import { reservedCommandOf } from './command-ids.ts';

const short = (value: unknown): string => {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
};

/**
 * One line of the activity feed for an audit record, or undefined for records too chatty to list (progress,
 * accepted, repeated statuses): the feed is for people, the audit log keeps everything.
 */
export function activityOf(record: AuditRecord): ActivityEntry | undefined {
  const text = describe(record);
  if (text === undefined) return undefined;
  return {
    seq: record.seq,
    at: record.at,
    who: record.who,
    ...(record.why === undefined ? {} : { why: record.why }),
    type: record.type,
    text,
  };
}

function describe(record: AuditRecord): string | undefined {
  switch (record.type) {
    case 'campaign.started':
      return `campaign ${record.name} started (seed ${record.seed})`;
    case 'campaign.resumed':
      return `campaign resumed from ${record.state}`;
    case 'campaign.state':
      return `campaign is ${record.state}`;
    case 'campaign.finished':
      return `campaign finished: ${record.reason}${record.error ? ` (${record.error})` : ''}`;
    case 'planner.proposed':
      return `planner proposed batch ${record.batch}: ${record.experiments.map((e) => e.experimentId.split('-').at(-1)).join(', ')}`;
    case 'gate.decided':
      return record.verdict === 'approved'
        ? undefined
        : `gate: ${record.experimentId} ${record.verdict} — ${record.reason}`;
    case 'approval.requested':
      return `approval requested for ${record.experimentId}: ${record.reason}`;
    case 'approval.decided':
      return `${record.experimentId} ${record.verdict}`;
    case 'experiment.started':
      return undefined;
    case 'experiment.finished':
      return record.status === 'succeeded'
        ? `${record.experimentId} succeeded ${short(record.values ?? {})}`
        : `${record.experimentId} failed at ${record.error?.step}: ${record.error?.code}`;
    case 'command.sent':
      return undefined;
    case 'command.refused':
      return `refused ${record.commandId} for ${record.deviceId}: ${record.reason}`;
    case 'device.event':
      return record.event.type === 'fault'
        ? `${record.event.deviceId} fault ${record.event.error.code}: ${record.event.error.message}`
        : record.event.type === 'result' && reservedCommandOf(record.event.commandId)
          ? `${record.event.deviceId} answered ${reservedCommandOf(record.event.commandId)}: ${short(record.event.output)}`
          : undefined;
    case 'device.status':
      return `${record.deviceId} is ${record.state}`;
    case 'log.repaired':
      return `audit log repaired after a crash (${record.droppedBytes} bytes of a torn line dropped)`;
    case 'operator.action':
      return `${record.action}${record.experimentId ? ` ${record.experimentId}` : ''}`;
    default:
      return undefined;
  }
}
