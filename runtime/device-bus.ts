import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import {
  type Clock,
  ContractError,
  type DeviceCommand,
  type DeviceDescriptor,
  type DeviceEvent,
  DeviceEventSchema,
  DeviceStatusSchema,
  parseWith,
  type Telemetry,
  TelemetrySchema,
} from '../contracts/index.ts';
import {
  deviceTopic,
  type EMERGENCY_STOP,
  INTERRUPT,
  labFilter,
  parseDeviceTopic,
  type RESET,
} from '../devices/index.ts';
import { StepFaultError } from '../workflows/index.ts';
import { BrokerError } from './errors.ts';

/** Parses a payload's JSON; an empty payload (a cleared retained status) is `undefined`. */
function readPayload(payload: Buffer, channel: string, topic: string): unknown {
  if (payload.length === 0) return undefined;
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch (error) {
    const text = payload.toString('utf8');
    throw new ContractError(`${channel} on ${topic}`, [
      `(root): not JSON: ${(error as Error).message} (got ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}…` : text)})`,
    ]);
  }
}

/**
 * A device may publish only on its own topics (the broker's ACLs), so the deviceId a payload claims must be the
 * topic's: otherwise one device could settle another device's command from its own topic.
 */
function assertSender(body: unknown, deviceId: string, subject: string): void {
  const claimed =
    body !== null && typeof body === 'object' ? (body as { deviceId?: unknown }).deviceId : undefined;
  if (claimed !== undefined && claimed !== deviceId)
    throw new ContractError(subject, [
      `deviceId: must be the topic's device ${JSON.stringify(deviceId)} (got ${JSON.stringify(claimed)})`,
    ]);
}

/** What the orchestrator knows about one device. */
export interface DeviceState {
  deviceId: string;
  online: boolean;
  /** Online by its retained status but silent for more than twice its heartbeat. */
  lost: boolean;
  descriptor: DeviceDescriptor | undefined;
  telemetry: Telemetry | undefined;
  lastSeen: number;
}

/** The outcome of a dispatched command. */
export interface DispatchResult {
  output: Record<string, unknown>;
  firmware: string;
  replay: boolean;
}

interface Pending {
  deviceId: string;
  /** The device said `accepted`: it may have acted, so losing it means the outcome is unknown. */
  accepted: boolean;
  resolve(result: DispatchResult): void;
  reject(error: unknown): void;
}

/** Events of a {@link DeviceBus}. */
export interface DeviceBusEvents {
  status: [DeviceState];
  event: [DeviceEvent];
  telemetry: [Telemetry];
  /** A payload on a lab topic that failed its schema; it is dropped. */
  invalid: [{ topic: string; error: Error }];
}

/** Options of {@link DeviceBus.connect}. */
export interface DeviceBusOptions {
  url: string;
  labId: string;
  clock: Clock;
  /** A stable id, so the broker keeps the session (and queued QoS 1 events) across reconnects. */
  clientId?: string;
  username?: string;
  password?: string;
}

/**
 * The orchestrator's side of the device contract: one MQTT client that tracks every device's retained status
 * and telemetry, publishes commands (QoS 1) and settles each by its commandId when the device's `result` or
 * `fault` arrives. Duplicate and late answers are reported as events and otherwise ignored.
 */
export class DeviceBus extends EventEmitter<DeviceBusEvents> {
  readonly devices = new Map<string, DeviceState>();
  private readonly pending = new Map<string, Pending>();
  private readonly liveness = new Map<string, unknown>();

  private constructor(
    private readonly client: MqttClient,
    readonly labId: string,
    private readonly clock: Clock,
  ) {
    super();
  }

  static async connect(options: DeviceBusOptions): Promise<DeviceBus> {
    let client: MqttClient;
    try {
      client = await mqtt.connectAsync(options.url, {
        clientId: options.clientId ?? `labloop-orchestrator-${options.labId}`,
        clean: false,
        reconnectPeriod: 500,
        connectTimeout: 5_000,
        ...(options.username === undefined ? {} : { username: options.username, password: options.password }),
      });
    } catch (error) {
      throw new BrokerError(
        `cannot connect to the MQTT broker at ${options.url}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const bus = new DeviceBus(client, options.labId, options.clock);
    const noDelay = () => (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    noDelay();
    client.on('connect', noDelay);
    client.on('message', (topic, payload) => bus.onMessage(topic, payload));
    await client.subscribeAsync(
      ['status', 'events', 'telemetry'].map((channel) => labFilter(options.labId, channel as 'status')),
      { qos: 1 },
    );
    return bus;
  }

  /** Online devices of `kind` that offer `command`. */
  devicesOfKind(kind: string): DeviceState[] {
    return [...this.devices.values()].filter((d) => d.online && !d.lost && d.descriptor?.kind === kind);
  }

  /**
   * Publishes `command` and resolves with its result, or rejects with a {@link StepFaultError} carrying the
   * device's fault. Aborting the signal stops waiting; it does not recall the command.
   */
  dispatch(command: DeviceCommand, signal?: AbortSignal): Promise<DispatchResult> {
    return new Promise<DispatchResult>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.pending.delete(command.commandId);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T) => {
          signal?.removeEventListener('abort', onAbort);
          this.pending.delete(command.commandId);
          fn(value);
        };
      this.pending.set(command.commandId, {
        deviceId: command.deviceId,
        accepted: false,
        resolve: settle(resolve),
        reject: settle(reject),
      });
      this.client.publish(
        deviceTopic(this.labId, command.deviceId, 'commands'),
        JSON.stringify(command),
        { qos: 1 },
        (error) => {
          if (error)
            this.pending.get(command.commandId)?.reject(
              new StepFaultError({
                code: 'PublishFailed',
                message: `cannot publish ${command.commandId}: ${error.message}`,
                retryable: true,
              }),
            );
        },
      );
    });
  }

  /**
   * Sends a reserved command — `emergencyStop` (halt now, safe state, refuse commands until reset) or `reset` — to
   * one device and resolves with its answer. Reserved commands are never refused for their deadline.
   */
  sendReserved(
    deviceId: string,
    command: typeof EMERGENCY_STOP | typeof RESET,
    signal?: AbortSignal,
  ): Promise<DispatchResult> {
    return this.dispatchReserved(
      `${command}/${this.labId}/${deviceId}/${this.clock.now()}`,
      deviceId,
      command,
      {},
      signal,
    );
  }

  /**
   * Asks a device to stop one of its commands now (`interrupt`) and resolves with what it found:
   * `{ commandId, was: 'queued' | 'running' | 'finished' | 'unknown' }`. The id is derived from the target, so
   * asking twice is one interrupt.
   */
  interrupt(deviceId: string, target: string, signal?: AbortSignal): Promise<DispatchResult> {
    return this.dispatchReserved(
      `${INTERRUPT}/${this.labId}/${deviceId}/${target}`,
      deviceId,
      INTERRUPT,
      { commandId: target },
      signal,
    );
  }

  private dispatchReserved(
    commandId: string,
    deviceId: string,
    command: string,
    parameters: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<DispatchResult> {
    const now = this.clock.now();
    return this.dispatch(
      { commandId, deviceId, command, parameters, issuedAt: now, deadline: now + 60_000 },
      signal,
    );
  }

  /** Publishes a raw payload on a device's command topic (tests and tools; the runtime uses {@link dispatch}). */
  async publishRaw(deviceId: string, payload: string): Promise<void> {
    await this.client.publishAsync(deviceTopic(this.labId, deviceId, 'commands'), payload, { qos: 1 });
  }

  async close(): Promise<void> {
    for (const timer of this.liveness.values()) this.clock.clearTimeout(timer);
    for (const [commandId, pending] of this.pending)
      pending.reject(
        new StepFaultError({
          code: 'BusClosed',
          message: `the runtime closed before ${commandId} settled`,
          retryable: true,
        }),
      );
    await this.client.endAsync();
  }

  private onMessage(topic: string, payload: Buffer): void {
    const where = parseDeviceTopic(topic);
    if (!where || where.labId !== this.labId) return;
    try {
      const body = readPayload(payload, where.channel, topic);
      if (body !== undefined) assertSender(body, where.deviceId, `${where.channel} on ${topic}`);
      if (where.channel === 'status') {
        if (body === undefined) {
          this.setOnline(where.deviceId, false, undefined);
          return;
        }
        const status = parseWith(DeviceStatusSchema, body, `status on ${topic}`);
        this.setOnline(
          where.deviceId,
          status.state === 'online',
          status.state === 'online' ? status.descriptor : undefined,
        );
      } else if (where.channel === 'events') {
        this.onEvent(parseWith(DeviceEventSchema, body, `event on ${topic}`));
      } else if (where.channel === 'telemetry') {
        const telemetry = parseWith(TelemetrySchema, body, `telemetry on ${topic}`);
        const state = this.stateOf(where.deviceId);
        state.telemetry = telemetry;
        this.heard(state);
        this.emit('telemetry', telemetry);
      }
    } catch (error) {
      this.emit('invalid', { topic, error: error as Error });
    }
  }

  private onEvent(event: DeviceEvent): void {
    this.heard(this.stateOf(event.deviceId));
    this.emit('event', event);
    const pending = this.pending.get(event.commandId);
    if (!pending) return;
    if (event.type === 'accepted') pending.accepted = true;
    else if (event.type === 'result') {
      const firmware = this.devices.get(event.deviceId)?.descriptor?.firmware ?? 'unknown';
      pending.resolve({ output: event.output, firmware, replay: event.replay });
    } else if (event.type === 'fault') {
      pending.reject(new StepFaultError(event.error));
    }
  }

  /**
   * Records that a device spoke and re-arms its liveness timer: a device silent for 1.5 heartbeats (no telemetry,
   * event or status; MQTT's keep-alive rule, leaving room for timer jitter within twice the heartbeat) is marked
   * lost — its socket may be open, but nobody answers — and every command waiting on it fails with `DeviceLost`:
   * retryable if the device never accepted it, not retryable (outcome unknown) if it did.
   */
  private heard(state: DeviceState): void {
    state.lastSeen = this.clock.now();
    if (state.lost) {
      state.lost = false;
      this.emit('status', state);
    }
    this.clock.clearTimeout(this.liveness.get(state.deviceId));
    const heartbeat = state.descriptor?.heartbeat;
    if (!state.online || heartbeat === undefined) return;
    this.liveness.set(
      state.deviceId,
      this.clock.setTimeout(() => this.markLost(state, heartbeat), 1.5 * heartbeat * 1000),
    );
  }

  private markLost(state: DeviceState, heartbeat: number): void {
    state.lost = true;
    this.emit('status', state);
    const silence = `${state.deviceId} has been silent for more than ${1.5 * heartbeat} s (1.5 heartbeats)`;
    for (const [commandId, pending] of this.pending)
      if (pending.deviceId === state.deviceId)
        pending.reject(
          new StepFaultError(
            pending.accepted
              ? // It may have acted: never retried blindly; a person must look at the instrument.
                {
                  code: 'DeviceLost',
                  message: `${silence} after accepting ${commandId}: whether it acted is unknown`,
                  retryable: false,
                }
              : {
                  code: 'DeviceLost',
                  message: `${silence} before accepting ${commandId}; another device may take it`,
                  retryable: true,
                },
          ),
        );
  }

  private stateOf(deviceId: string): DeviceState {
    let state = this.devices.get(deviceId);
    if (!state) {
      state = {
        deviceId,
        online: false,
        lost: false,
        descriptor: undefined,
        telemetry: undefined,
        lastSeen: this.clock.now(),
      };
      this.devices.set(deviceId, state);
    }
    return state;
  }

  private setOnline(deviceId: string, online: boolean, descriptor: DeviceDescriptor | undefined): void {
    const state = this.stateOf(deviceId);
    state.online = online;
    if (descriptor) state.descriptor = descriptor;
    this.emit('status', state);
    this.heard(state);
  }
}
