import { EventEmitter } from 'node:events';
import type {
  ActivityEntry,
  Alert,
  CampaignView,
  CommandView,
  DeviceView,
  ExperimentView,
  LabSnapshot,
  LiveMessage,
  Principal,
  Telemetry,
} from '../../contracts/index.ts';
import type { AuditRecord } from '../audit-log.ts';
import type { CampaignSession, CampaignSummary } from '../campaign-runner.ts';
import type { DeviceState } from '../device-bus.ts';
import { activityOf } from './internal/activity.ts';
import { reservedCommandOf, stepOf } from './internal/command-ids.ts';
import { experimentChange } from './internal/experiment-changes.ts';

/** How many commands each device's history keeps, and how many activity lines the feed keeps. */
const HISTORY = 200;
const ACTIVITY = 60;
/** Wall ms over which changes to the same device, experiment or command are sent as one message. */
const COALESCE_MS = 100;

/** Events of a {@link LabView}: one live message for every change, coalesced. */
export interface LabViewEvents {
  message: [LiveMessage];
}

interface DeviceEntry {
  view: DeviceView;
  busy: boolean;
  halted: boolean;
  commands: CommandView[];
}

/**
 * What the dashboard shows, kept up to date from the campaign's audit log (every command, result, decision and
 * action) and the device bus (status, telemetry). Built from the log, it looks the same after a resume, and it
 * keeps answering after the campaign has ended and its store and bus have closed.
 */
export class LabView extends EventEmitter<LabViewEvents> {
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly experiments = new Map<string, ExperimentView>();
  private readonly commands = new Map<string, CommandView>();
  private readonly activity: ActivityEntry[] = [];
  private readonly alerts = new Map<string, Alert>();
  private readonly dirty = {
    campaign: false,
    devices: new Set<string>(),
    experiments: new Set<string>(),
    commands: new Set<string>(),
  };
  private readonly queued: LiveMessage[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private pauseRequested = false;
  private startedAt: number;
  private summary: CampaignSummary | undefined;

  constructor(private readonly session: CampaignSession) {
    super();
    this.startedAt = session.clock.now();
    for (const device of session.bus.devices.values()) this.onStatus(device);
    session.bus.on('status', (device) => this.onStatus(device));
    session.bus.on('telemetry', (telemetry) => this.onTelemetry(telemetry));
  }

  /** Marks the campaign ended with its summary; the view keeps its last state from then on. */
  end(summary: CampaignSummary): void {
    this.summary = summary;
    this.touchCampaign();
  }

  /** Whether the campaign has ended. */
  get ended(): boolean {
    return this.summary !== undefined;
  }

  /** Puts an alert (new or changed) into the view and the live stream. */
  putAlert(alert: Alert): void {
    this.alerts.set(alert.id, alert);
    this.queue({ type: 'alert', alert });
  }

  /** Everything, for a client that (re)connects. */
  snapshot(you: Principal, push: { publicKey?: string }): LabSnapshot {
    return {
      lab: this.session.campaign.lab,
      now: this.session.clock.now(),
      you,
      campaign: this.campaignView(),
      devices: [...this.devices.values()]
        .map((d) => d.view)
        .sort((a, b) => a.deviceId.localeCompare(b.deviceId)),
      experiments: [...this.experiments.values()].slice(-1000),
      commands: [...this.devices.values()].flatMap((d) => d.commands.slice(-20)),
      alerts: [...this.alerts.values()].sort((a, b) => b.at - a.at).slice(0, 200),
      activity: [...this.activity],
      push,
    };
  }

  /** One device and its command history (newest last), or undefined for a device never seen. */
  device(deviceId: string): { device: DeviceView; commands: CommandView[] } | undefined {
    const entry = this.devices.get(deviceId);
    return entry && { device: entry.view, commands: [...entry.commands] };
  }

  /** Reads one audit record; `live` is false while an existing log is replayed at start-up. */
  ingest(record: AuditRecord, live = true): void {
    const entry = activityOf(record);
    if (entry) {
      this.activity.push(entry);
      if (this.activity.length > ACTIVITY) this.activity.shift();
      if (live) this.queue({ type: 'activity', entry });
    }
    const change = experimentChange(record);
    if (change && 'put' in change) for (const experiment of change.put) this.putExperiment(experiment);
    else if (change) this.patchExperiment(change.experimentId, change.patch);
    switch (record.type) {
      case 'campaign.started':
        this.startedAt = record.at;
        break;
      case 'campaign.state':
        if (record.state === 'paused') this.pauseRequested = false;
        break;
      case 'operator.action':
        // Pause now goes straight to paused from a running batch (the state change follows and clears this).
        if (record.action === 'pause' || record.action === 'pause-now') this.pauseRequested = true;
        if (record.action === 'resume') this.pauseRequested = false;
        break;
      case 'command.sent':
        this.onCommandSent(record);
        break;
      case 'command.refused':
        this.putCommand({
          commandId: record.commandId,
          deviceId: record.deviceId,
          command: stepOf(record.commandId)?.step ?? '?',
          ...stepOf(record.commandId),
          parameters: {},
          status: 'refused',
          fraction: 0,
          sentAt: record.at,
          finishedAt: record.at,
          error: { code: 'Refused', message: record.reason, retryable: false },
        });
        break;
      case 'device.event':
        this.onDeviceEvent(record.event, record.at);
        break;
    }
    this.touchCampaign();
  }

  /** Stops the timer that coalesces messages; pending messages are dropped. */
  close(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  private campaignView(): CampaignView {
    const { campaign, campaignId } = this.session;
    const progress = this.session.progress();
    const objective = campaign.objectives[0] as (typeof campaign.objectives)[number];
    return {
      campaignId,
      name: campaign.name,
      lab: campaign.lab,
      ...(campaign.description ? { description: campaign.description } : {}),
      state: progress.state,
      pauseRequested: this.pauseRequested && progress.state !== 'paused',
      ended: this.summary !== undefined,
      ...(this.summary ? { reason: this.summary.reason } : {}),
      budget: campaign.budget.experiments,
      proposed: progress.proposed,
      succeeded: this.summary?.succeeded ?? progress.succeeded,
      failed: this.summary?.failed ?? progress.failed,
      rejected: this.summary?.rejected ?? progress.rejected,
      objective: {
        name: objective.name,
        goal: objective.goal,
        ...('target' in objective && typeof objective.target === 'number'
          ? { target: objective.target }
          : {}),
      },
      space: campaign.space,
      approval: { require: campaign.approval.require, timeout: campaign.approval.timeout },
      pendingApprovals: this.summary ? [] : this.session.approvals.pending(),
      startedAt: this.startedAt,
      updatedAt: this.session.clock.now(),
    };
  }

  private entry(deviceId: string): DeviceEntry {
    let entry = this.devices.get(deviceId);
    if (!entry) {
      entry = {
        view: { deviceId, status: 'offline', online: false, lastSeen: this.session.clock.now() },
        busy: false,
        halted: false,
        commands: [],
      };
      this.devices.set(deviceId, entry);
    }
    return entry;
  }

  private onStatus(device: DeviceState): void {
    const entry = this.entry(device.deviceId);
    const d = device.descriptor;
    entry.view = {
      ...entry.view,
      online: device.online,
      lastSeen: device.lastSeen,
      ...(d ? { kind: d.kind, model: d.model, firmware: d.firmware } : {}),
    };
    if (device.telemetry) this.onTelemetry(device.telemetry);
    this.touchDevice(device.deviceId);
  }

  private onTelemetry(telemetry: Telemetry): void {
    const entry = this.entry(telemetry.deviceId);
    entry.busy = telemetry.busy;
    if ('halted' in telemetry.values) entry.halted = telemetry.values.halted === 1;
    entry.view = {
      ...entry.view,
      telemetry: { at: telemetry.at, values: telemetry.values },
      lastSeen: telemetry.at,
    };
    this.touchDevice(telemetry.deviceId);
  }

  private onCommandSent(record: Extract<AuditRecord, { type: 'command.sent' }>): void {
    const step = stepOf(record.commandId);
    const command: CommandView = {
      commandId: record.commandId,
      deviceId: record.deviceId,
      command: record.command,
      ...step,
      parameters: record.parameters,
      status: 'sent',
      fraction: 0,
      sentAt: record.at,
    };
    this.putCommand(command);
    const entry = this.entry(record.deviceId);
    entry.view = {
      ...entry.view,
      current: {
        commandId: record.commandId,
        command: record.command,
        ...(step ? { experimentId: step.experimentId } : {}),
        fraction: 0,
        since: record.at,
      },
    };
    this.touchDevice(record.deviceId);
  }

  private onDeviceEvent(event: Extract<AuditRecord, { type: 'device.event' }>['event'], at: number): void {
    const entry = this.entry(event.deviceId);
    const reserved = reservedCommandOf(event.commandId);
    if ((reserved === 'emergencyStop' || reserved === 'reset') && event.type === 'result') {
      entry.halted = reserved === 'emergencyStop';
      const safeState = event.output.safeState;
      entry.view = { ...entry.view, ...(typeof safeState === 'string' && entry.halted ? { safeState } : {}) };
      if (!entry.halted) delete entry.view.safeState;
    }
    const command = this.commands.get(event.commandId);
    if (command) {
      if (event.type === 'accepted') this.putCommand({ ...command, status: 'running' });
      if (event.type === 'progress')
        this.putCommand({ ...command, status: 'running', fraction: event.fraction });
      if (event.type === 'result')
        this.putCommand({
          ...command,
          status: 'succeeded',
          fraction: 1,
          finishedAt: at,
          output: event.output,
        });
      if (event.type === 'fault')
        this.putCommand({ ...command, status: 'failed', finishedAt: at, error: event.error });
    }
    const current = entry.view.current;
    if (current?.commandId === event.commandId) {
      if (event.type === 'progress')
        entry.view = { ...entry.view, current: { ...current, fraction: event.fraction } };
      if (event.type === 'result' || event.type === 'fault') {
        const { current: _, ...rest } = entry.view;
        entry.view = rest;
      }
    }
    if (event.type === 'fault' && !event.replay)
      entry.view = { ...entry.view, lastFault: { ...event.error, at, commandId: event.commandId } };
    else if (event.type === 'result' && !reserved && entry.view.lastFault) {
      const { lastFault: _, ...rest } = entry.view;
      entry.view = rest;
    }
    this.touchDevice(event.deviceId);
  }

  private putCommand(command: CommandView): void {
    const known = this.commands.has(command.commandId);
    this.commands.set(command.commandId, command);
    const entry = this.entry(command.deviceId);
    const index = known ? entry.commands.findLastIndex((c) => c.commandId === command.commandId) : -1;
    if (index >= 0) entry.commands[index] = command;
    else {
      entry.commands.push(command);
      if (entry.commands.length > HISTORY) {
        const dropped = entry.commands.shift() as CommandView;
        this.commands.delete(dropped.commandId);
      }
    }
    this.dirty.commands.add(command.commandId);
    this.schedule();
  }

  private putExperiment(experiment: ExperimentView): void {
    this.experiments.set(experiment.experimentId, experiment);
    this.dirty.experiments.add(experiment.experimentId);
    this.schedule();
  }

  private patchExperiment(experimentId: string, patch: Partial<ExperimentView>): void {
    const known = this.experiments.get(experimentId);
    if (known) this.putExperiment({ ...known, ...patch });
  }

  private touchDevice(deviceId: string): void {
    const entry = this.entry(deviceId);
    const v = entry.view;
    const status: DeviceView['status'] = !v.online
      ? 'offline'
      : entry.halted
        ? 'halted'
        : v.current || entry.busy
          ? 'busy'
          : v.lastFault
            ? 'faulted'
            : 'idle';
    entry.view = { ...v, status };
    this.dirty.devices.add(deviceId);
    this.schedule();
  }

  private touchCampaign(): void {
    this.dirty.campaign = true;
    this.schedule();
  }

  private queue(message: LiveMessage): void {
    if (this.listenerCount('message') === 0) return;
    this.queued.push(message);
    this.schedule();
  }

  private schedule(): void {
    if (this.flushTimer || this.listenerCount('message') === 0) return;
    this.flushTimer = setTimeout(() => this.flush(), COALESCE_MS);
    this.flushTimer.unref();
  }

  /** Sends every change since the last flush: campaign, devices, experiments, commands, then alerts and activity. */
  private flush(): void {
    this.flushTimer = undefined;
    const out: LiveMessage[] = [];
    if (this.dirty.campaign) out.push({ type: 'campaign', campaign: this.campaignView() });
    for (const id of this.dirty.experiments) {
      const experiment = this.experiments.get(id);
      if (experiment) out.push({ type: 'experiment', experiment });
    }
    for (const id of this.dirty.commands) {
      const command = this.commands.get(id);
      if (command) out.push({ type: 'command', command });
    }
    for (const id of this.dirty.devices) {
      const device = this.devices.get(id);
      if (device) out.push({ type: 'device', device: device.view });
    }
    this.dirty.campaign = false;
    this.dirty.devices.clear();
    this.dirty.experiments.clear();
    this.dirty.commands.clear();
    out.push(...this.queued.splice(0));
    for (const message of out) this.emit('message', message);
  }
}
