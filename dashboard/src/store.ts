import type {
  Alert,
  CommandView,
  DeviceView,
  ExperimentView,
  LabSnapshot,
  LiveMessage,
} from '../../contracts/index.ts';
import type { StreamState } from './api.ts';

/** What the app knows: the last snapshot with every live change applied, keyed for quick updates. */
export interface AppState {
  snapshot: LabSnapshot | undefined;
  devices: Map<string, DeviceView>;
  experiments: Map<string, ExperimentView>;
  /** Per device, newest last. */
  commands: Map<string, CommandView[]>;
  alerts: Map<string, Alert>;
  stream: StreamState;
  /** The parameter the scatter plot shows. */
  scatterParameter: string | undefined;
  /** A message for the person (an action refused, a push subscription failed). */
  notice: { text: string; error: boolean } | undefined;
}

/** The initial, empty state. */
export function emptyState(): AppState {
  return {
    snapshot: undefined,
    devices: new Map(),
    experiments: new Map(),
    commands: new Map(),
    alerts: new Map(),
    stream: 'connecting',
    scatterParameter: undefined,
    notice: undefined,
  };
}

function putCommand(state: AppState, command: CommandView): void {
  const list = state.commands.get(command.deviceId) ?? [];
  const i = list.findIndex((c) => c.commandId === command.commandId);
  if (i >= 0) list[i] = command;
  else list.push(command);
  if (list.length > 200) list.shift();
  state.commands.set(command.deviceId, list);
}

/** Applies one live message to the state. */
export function apply(state: AppState, message: LiveMessage): void {
  switch (message.type) {
    case 'snapshot': {
      const s = message.snapshot;
      state.snapshot = s;
      state.devices = new Map(s.devices.map((d) => [d.deviceId, d]));
      state.experiments = new Map(s.experiments.map((e) => [e.experimentId, e]));
      state.alerts = new Map(s.alerts.map((a) => [a.id, a]));
      state.commands = new Map();
      for (const c of s.commands) putCommand(state, c);
      break;
    }
    case 'campaign':
      if (state.snapshot)
        state.snapshot = { ...state.snapshot, campaign: message.campaign, now: message.campaign.updatedAt };
      break;
    case 'device':
      state.devices.set(message.device.deviceId, message.device);
      break;
    case 'experiment':
      state.experiments.set(message.experiment.experimentId, message.experiment);
      break;
    case 'command':
      putCommand(state, message.command);
      break;
    case 'alert':
      state.alerts.set(message.alert.id, message.alert);
      break;
    case 'activity':
      if (state.snapshot)
        state.snapshot = {
          ...state.snapshot,
          activity: [...state.snapshot.activity.slice(-59), message.entry],
        };
      break;
  }
}

/** Roles in order; a role may do what the ones before it may. */
const RANK = { viewer: 0, operator: 1, approver: 2 } as const;

/** Whether the signed-in person may act as `role` (the server checks again; this only hides buttons). */
export function canAct(state: AppState, role: keyof typeof RANK): boolean {
  const you = state.snapshot?.you.role;
  return you !== undefined && RANK[you] >= RANK[role];
}
