import { EventEmitter } from 'node:events';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { type Alert, type Clock, parseWith } from '../../contracts/index.ts';
import type { AuditRecord } from '../audit-log.ts';
import { AlertNotFoundError, type NotifierError } from './errors.ts';

/** Somewhere alerts go besides the in-app inbox: a chat webhook, Web Push. */
export interface Notifier {
  /** Short name for error messages, e.g. `webhook`. */
  readonly name: string;
  /** Delivers one alert; rejects with a {@link NotifierError} when it cannot. */
  notify(alert: Alert): Promise<void>;
}

/** Options of {@link AlertCenter}. */
export interface AlertCenterOptions {
  lab: string;
  campaignId: string;
  clock: Clock;
  /** Where acknowledgements are kept (`alerts.jsonl` in the run directory), so a resumed run keeps them. */
  acksFile?: string;
  /** Told about every new alert that happens live (not about alerts rebuilt from an old log). */
  notifiers?: readonly Notifier[];
  /** Told about every delivery that failed; a failed delivery never stops the inbox. */
  onNotifyError?: (error: NotifierError | Error, alert: Alert) => void;
}

/** Events of an {@link AlertCenter}: an alert was raised or changed (count, resolved, acknowledged). */
export interface AlertCenterEvents {
  alert: [Alert];
}

/** One line of `alerts.jsonl`: who acknowledged which alert, and how far the log had got then. */
const AckSchema = z.object({ id: z.string(), who: z.string(), at: z.int(), afterSeq: z.int() });
type Ack = z.infer<typeof AckSchema>;

/**
 * The alerts inbox of one campaign. Alerts are derived from the run's audit log — a device fault, a device that
 * went offline, a proposal waiting for approval, the campaign's end — so the same log always gives the same
 * inbox; an alert's id is the sequence number of the record that raised it. Repeats of a fault nobody has
 * acknowledged yet raise its count instead of a new alert. Acknowledgements are appended to `acksFile`.
 *
 * @example
 * const alerts = new AlertCenter({ lab, campaignId, clock, notifiers: [new WebhookNotifier({ url })] });
 * session.runDir.log.subscribe((record) => alerts.ingest(record));
 * alerts.on('alert', (alert) => console.log(alert.title));
 */
export class AlertCenter extends EventEmitter<AlertCenterEvents> {
  private readonly alerts = new Map<string, Alert>();
  /** Key (kind + subject) → the id of the open alert it coalesces into. */
  private readonly open = new Map<string, string>();
  private readonly online = new Map<string, boolean>();
  private readonly acks: Ack[] = [];
  private lastSeq = 0;
  private readonly deliveries = new Set<Promise<void>>();

  constructor(private readonly options: AlertCenterOptions) {
    super();
    if (options.acksFile && existsSync(options.acksFile)) {
      const lines = readFileSync(options.acksFile, 'utf8').split('\n').filter(Boolean);
      for (const [i, line] of lines.entries())
        this.acks.push(parseWith(AckSchema, JSON.parse(line), `line ${i + 1} of ${options.acksFile}`));
    }
    this.acks.sort((a, b) => a.afterSeq - b.afterSeq);
  }

  /** Every alert, newest first. */
  list(): Alert[] {
    return [...this.alerts.values()].sort((a, b) => b.at - a.at || Number(b.id) - Number(a.id));
  }

  /** Alerts nobody has acknowledged yet. */
  unacknowledged(): Alert[] {
    return this.list().filter((a) => !a.acknowledged);
  }

  /**
   * Reads one audit record. `live` is false while an existing log is replayed: alerts are rebuilt but nobody is
   * notified again.
   */
  ingest(record: AuditRecord, live = true): void {
    if (record.seq <= this.lastSeq) return;
    this.applyAcksBefore(record.seq);
    this.lastSeq = record.seq;
    const alert = this.alertFor(record);
    if (!alert) return;
    const existing = alert.key ? this.open.get(alert.key) : undefined;
    const current = existing === undefined ? undefined : this.alerts.get(existing);
    if (current && !current.acknowledged) {
      const updated = { ...current, count: current.count + 1, at: record.at, detail: alert.value.detail };
      this.alerts.set(current.id, updated);
      if (live) this.emit('alert', updated);
      return;
    }
    this.alerts.set(alert.value.id, alert.value);
    if (alert.key) this.open.set(alert.key, alert.value.id);
    if (!live) return;
    this.emit('alert', alert.value);
    for (const notifier of this.options.notifiers ?? []) this.deliver(notifier, alert.value);
  }

  /** Marks an alert as seen and handled by `who`; throws {@link AlertNotFoundError} for an unknown id. */
  acknowledge(id: string, who: string): Alert {
    const alert = this.alerts.get(id);
    if (!alert)
      throw new AlertNotFoundError(
        `no alert ${JSON.stringify(id)} in the inbox of ${this.options.campaignId}; it holds ${this.alerts.size} alert(s)`,
      );
    if (alert.acknowledged) return alert;
    const ack: Ack = { id, who, at: this.options.clock.now(), afterSeq: this.lastSeq };
    if (this.options.acksFile) appendFileSync(this.options.acksFile, `${JSON.stringify(ack)}\n`);
    return this.applyAck(ack) as Alert;
  }

  /** Resolves once every notification started so far has been delivered or has failed. */
  async flush(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.allSettled([...this.deliveries]);
  }

  private deliver(notifier: Notifier, alert: Alert): void {
    const delivery = notifier
      .notify(alert)
      .catch((error: Error) => this.options.onNotifyError?.(error, alert))
      .finally(() => this.deliveries.delete(delivery));
    this.deliveries.add(delivery);
  }

  private applyAcksBefore(seq: number): void {
    while (this.acks[0] && this.acks[0].afterSeq < seq) this.applyAck(this.acks.shift() as Ack);
  }

  private applyAck(ack: Ack): Alert | undefined {
    const alert = this.alerts.get(ack.id);
    if (!alert || alert.acknowledged) return alert;
    const updated = { ...alert, acknowledged: { who: ack.who, at: ack.at } };
    this.alerts.set(ack.id, updated);
    this.emit('alert', updated);
    return updated;
  }

  private resolve(key: string): void {
    const id = this.open.get(key);
    const alert = id === undefined ? undefined : this.alerts.get(id);
    if (!alert || alert.resolved) return;
    const updated = { ...alert, resolved: true };
    this.alerts.set(alert.id, updated);
    this.open.delete(key);
    this.emit('alert', updated);
  }

  /** The alert a record raises, if any, and the key that coalesces its repeats. */
  private alertFor(record: AuditRecord): { value: Alert; key?: string } | undefined {
    const base = {
      id: String(record.seq),
      at: record.at,
      lab: this.options.lab,
      campaignId: this.options.campaignId,
      count: 1,
      resolved: false,
    };
    switch (record.type) {
      case 'device.event': {
        const { event } = record;
        if (event.type !== 'fault' || event.replay) return undefined;
        return {
          key: `fault:${event.deviceId}:${event.error.code}`,
          value: {
            ...base,
            kind: 'device.fault',
            severity: event.error.retryable ? 'warning' : 'critical',
            title: `${event.deviceId}: ${event.error.code}`,
            detail: `${event.error.message} (command ${event.commandId}${event.error.retryable ? ', will be retried' : ''})`,
            deviceId: event.deviceId,
          },
        };
      }
      case 'device.status': {
        const was = this.online.get(record.deviceId);
        this.online.set(record.deviceId, record.state === 'online');
        if (record.state === 'online') {
          this.resolve(`offline:${record.deviceId}`);
          return undefined;
        }
        if (was !== true) return undefined;
        return {
          key: `offline:${record.deviceId}`,
          value: {
            ...base,
            kind: 'device.offline',
            severity: 'critical',
            title: `${record.deviceId} went offline`,
            detail: `${record.deviceId} stopped answering on lab ${this.options.lab}; commands for it wait or time out`,
            deviceId: record.deviceId,
          },
        };
      }
      case 'approval.requested':
        return {
          key: `approval:${record.experimentId}`,
          value: {
            ...base,
            kind: 'approval.requested',
            severity: 'warning',
            title: `Approval needed: ${record.experimentId}`,
            detail: record.reason,
            experimentId: record.experimentId,
          },
        };
      case 'approval.decided':
        this.resolve(`approval:${record.experimentId}`);
        return undefined;
      case 'campaign.finished': {
        const failed = record.reason === 'error' || record.reason === 'aborted';
        return {
          value: {
            ...base,
            kind: failed ? 'campaign.failed' : 'campaign.finished',
            severity: failed ? 'critical' : 'info',
            title: `${this.options.campaignId} ${failed ? (record.reason === 'aborted' ? 'was aborted' : 'failed') : 'finished'}`,
            detail: record.error ?? `reason: ${record.reason}${record.why ? ` (${record.why})` : ''}`,
          },
        };
      }
      default:
        return undefined;
    }
  }
}
