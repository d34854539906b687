import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Alert, type RunEventBody, ScaledClock } from '../../contracts/index.ts';
import type { AuditRecord } from '../audit-log.ts';
import { AlertCenter, AlertNotFoundError, type Notifier } from './index.ts';

const clock = new ScaledClock(1e5);

/** Audit records numbered from 1, as a run's log would hold them. */
function records(...events: RunEventBody[]): AuditRecord[] {
  return events.map(
    (event, i) =>
      ({ ...event, seq: i + 1, at: 1_000 * (i + 1), who: 'runtime', prev: '', hash: '' }) as AuditRecord,
  );
}

const fault = (deviceId: string, code: string, retryable = false): RunEventBody => ({
  type: 'device.event',
  event: {
    type: 'fault',
    deviceId,
    commandId: `c-${code}`,
    at: 1,
    error: { code, message: `${code} happened`, retryable },
    replay: false,
  },
});

const status = (deviceId: string, state: 'online' | 'offline'): RunEventBody => ({
  type: 'device.status',
  deviceId,
  state,
});

function center(options: { acksFile?: string; notifiers?: Notifier[] } = {}) {
  return new AlertCenter({ lab: 'demo-lab', campaignId: 'c1', clock, ...options });
}

describe('AlertCenter', () => {
  it('raises the four kinds of alert from the run log and notifies each notifier of new ones', async () => {
    const sent: Alert[] = [];
    const alerts = center({ notifiers: [{ name: 'test', notify: async (a) => void sent.push(a) }] });
    for (const record of records(
      status('lh-1', 'online'),
      fault('lh-1', 'ReservoirEmpty'),
      status('lh-1', 'offline'),
      { type: 'approval.requested', experimentId: 'c1-e0003', reason: 'blue 80 is above the limit 50' },
      { type: 'campaign.finished', reason: 'budget' },
    ))
      alerts.ingest(record);
    await alerts.flush();
    expect(alerts.list().map((a) => [a.id, a.kind, a.severity, a.title])).toEqual([
      ['5', 'campaign.finished', 'info', 'c1 finished'],
      ['4', 'approval.requested', 'warning', 'Approval needed: c1-e0003'],
      ['3', 'device.offline', 'critical', 'lh-1 went offline'],
      ['2', 'device.fault', 'critical', 'lh-1: ReservoirEmpty'],
    ]);
    expect(sent.map((a) => a.id)).toEqual(['2', '3', '4', '5']);
  });

  it('counts repeats of an open fault, starts a new alert after an acknowledgement, resolves what ended', () => {
    const alerts = center();
    const [a, b, c, d, e, f] = records(
      fault('p-1', 'EmergencyStop'),
      fault('p-1', 'EmergencyStop'),
      { type: 'approval.requested', experimentId: 'x', reason: 'r' },
      { type: 'approval.decided', experimentId: 'x', verdict: 'approved' },
      fault('p-1', 'EmergencyStop'),
      { type: 'campaign.finished', reason: 'aborted' },
    ) as [AuditRecord, AuditRecord, AuditRecord, AuditRecord, AuditRecord, AuditRecord];
    for (const r of [a, b, c, d]) alerts.ingest(r);
    expect(alerts.list().find((x) => x.id === '1')).toMatchObject({ count: 2 });
    expect(alerts.list().find((x) => x.id === '3')).toMatchObject({ resolved: true });
    expect(alerts.acknowledge('1', 'operator:alice')).toMatchObject({
      acknowledged: { who: 'operator:alice' },
    });
    alerts.ingest(e);
    alerts.ingest(f);
    expect(alerts.unacknowledged().map((x) => [x.id, x.kind, x.title])).toEqual([
      ['6', 'campaign.failed', 'c1 was aborted'],
      ['5', 'device.fault', 'p-1: EmergencyStop'],
      ['3', 'approval.requested', 'Approval needed: x'],
    ]);
  });

  it('a device seen offline at start-up is not an alert; only losing an online device is', () => {
    const alerts = center();
    for (const r of records(status('old-1', 'offline'), status('lh-1', 'online'), status('lh-1', 'online')))
      alerts.ingest(r);
    expect(alerts.list()).toEqual([]);
  });

  it('rebuilds the same inbox, acknowledgements included, from the log and its acks file', () => {
    const acksFile = join(mkdtempSync(join(tmpdir(), 'labloop-alerts-')), 'alerts.jsonl');
    const log = records(fault('p-1', 'Jam'), fault('p-1', 'Jam'), fault('p-1', 'Jam'));
    const first = center({ acksFile });
    first.ingest(log[0] as AuditRecord);
    first.acknowledge('1', 'operator:bob');
    first.ingest(log[1] as AuditRecord);
    first.ingest(log[2] as AuditRecord);
    const notified: Alert[] = [];
    const again = center({
      acksFile,
      notifiers: [{ name: 't', notify: async (x) => void notified.push(x) }],
    });
    for (const r of log) again.ingest(r, false);
    expect(again.list()).toEqual(first.list());
    expect(again.list().map((x) => [x.id, x.count, x.acknowledged?.who])).toEqual([
      ['2', 2, undefined],
      ['1', 1, 'operator:bob'],
    ]);
    expect(notified).toEqual([]);
  });

  it('refuses to acknowledge an alert it does not hold', () => {
    expect(() => center().acknowledge('99', 'operator:x')).toThrow(
      new AlertNotFoundError('no alert "99" in the inbox of c1; it holds 0 alert(s)'),
    );
  });

  it('reports a failed delivery without losing the alert', async () => {
    const errors: string[] = [];
    const alerts = new AlertCenter({
      lab: 'l',
      campaignId: 'c1',
      clock,
      notifiers: [{ name: 'x', notify: () => Promise.reject(new Error('receiver down')) }],
      onNotifyError: (error) => errors.push(error.message),
    });
    alerts.ingest(records(fault('p-1', 'Jam'))[0] as AuditRecord);
    await alerts.flush();
    expect(errors).toEqual(['receiver down']);
    expect(alerts.list()).toHaveLength(1);
  });
});
