import type { Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import {
  type Clock,
  type DeviceCommand,
  type DeviceDescriptor,
  DeviceDescriptorSchema,
  type DeviceEvent,
  DeviceEventSchema,
  type DeviceStatus,
  type Fault,
  FaultCodes,
  formatIssues,
  InterruptParametersSchema,
  systemClock,
  TelemetrySchema,
} from '../contracts/index.ts';
import { type CapabilityCatalogue, describeCapabilities } from './capabilities.ts';
import type { CommandContext, DeviceDriver } from './driver.ts';
import { DeviceAgentError, DeviceFaultError } from './errors.ts';
import { checkCommand, readCommandId } from './internal/intake.ts';
import { closeUnfinished, toFault } from './internal/outcomes.ts';
import { type CommandJournal, type CommandOutcome, MemoryJournal } from './journal.ts';
import { EMERGENCY_STOP, INTERRUPT, RESET } from './reserved.ts';
import { deviceTopic } from './topics.ts';

/** Where the agent writes what it could not tell anyone over MQTT. */
export interface DeviceLogger {
  warn(message: string, details?: Record<string, unknown>): void;
}

/** Options of {@link startDeviceAgent}. */
export interface DeviceAgentOptions<C extends CapabilityCatalogue> {
  /**
   * e.g. `mqtt://127.0.0.1:1883`, or `mqtts://<endpoint>:8883` for TLS (AWS IoT Core: the account's
   * `iot:Data-ATS` endpoint, with `cert`, `key`, `ca` and `clientId` set to the thing name).
   */
  brokerUrl: string;
  labId: string;
  deviceId: string;
  /** Device kind slug, e.g. `liquid-handler`. */
  kind: string;
  model: string;
  firmware: string;
  catalogue: C;
  driver: DeviceDriver<C>;
  /** @default systemClock */
  clock?: Clock;
  /** The record of physical actions; use a file journal for a real instrument. @default new MemoryJournal() */
  journal?: CommandJournal;
  /** Telemetry period in s on `clock`. @default 5 */
  heartbeat?: number;
  username?: string;
  password?: string;
  /**
   * MQTT client id. AWS IoT Core's device policy requires the thing name, which is the device id.
   * @default `device-${deviceId}`
   */
  clientId?: string;
  /**
   * Certificates the agent trusts for the broker's TLS certificate (`mqtts://` or `wss://` only), e.g.
   * `AmazonRootCA1.pem`. @default Node's bundled root certificates
   */
  ca?: IClientOptions['ca'];
  /** Client certificate (PEM) the agent presents over TLS; needs `key`. @default none */
  cert?: IClientOptions['cert'];
  /** Private key (PEM) of `cert`. @default none */
  key?: IClientOptions['key'];
  /** Wall ms between reconnect attempts after the first connection. @default 1000 */
  reconnectPeriod?: number;
  /** @default console */
  logger?: DeviceLogger;
}

/** Counters of what the agent received and did. */
export interface DeviceAgentStats {
  received: number;
  /** Payloads with no readable commandId: logged, never answered. */
  unanswerable: number;
  /** Repeats of a command still queued or running: ignored, it is answered once done. */
  duplicatesIgnored: number;
  /** Repeats of a finished command, answered from the journal. */
  replays: number;
  /** Commands handed to the driver. */
  executed: number;
}

/** A running device agent. */
export interface DeviceAgent {
  readonly deviceId: string;
  readonly descriptor: DeviceDescriptor;
  readonly journal: CommandJournal;
  stats(): DeviceAgentStats;
  /** Resolves when no command is queued or running. */
  whenIdle(): Promise<void>;
  /**
   * Graceful stop: refuses queued commands with `DeviceStopping` (retryable), lets the running one finish,
   * publishes `offline` and disconnects. Does not close the journal, which the caller owns.
   */
  stop(): Promise<void>;
  /**
   * Simulates sudden death: drops the socket without DISCONNECT so the broker publishes the last will,
   * aborts the running handler, and records nothing more (a `begin` stays without its `finish`).
   */
  kill(): void;
}

const RESERVED: readonly string[] = [EMERGENCY_STOP, RESET, INTERRUPT];

/** Fault code for commands the agent refuses because it is stopping. Retryable on another device. */
export const DEVICE_STOPPING = 'DeviceStopping';

interface Queued {
  command: DeviceCommand;
  parameters: Record<string, unknown>;
}

type Handler = (
  parameters: Record<string, unknown>,
  context: CommandContext,
) => Promise<Record<string, unknown>>;

const TLS_PROTOCOLS = ['mqtts:', 'wss:'];

/**
 * The TLS options to hand to mqtt.js: none unless set. Refuses certificates with a URL that would connect
 * without TLS (they would be ignored and the device would talk in clear), and a certificate without its key.
 */
function tlsOptions(
  options: DeviceAgentOptions<CapabilityCatalogue>,
): Pick<DeviceAgentOptions<CapabilityCatalogue>, 'ca' | 'cert' | 'key'> {
  const { deviceId, ca, cert, key } = options;
  const given = (['ca', 'cert', 'key'] as const).filter((name) => options[name] !== undefined);
  if (given.length === 0) return {};
  let protocol: string;
  try {
    protocol = new URL(options.brokerUrl).protocol;
  } catch (error) {
    throw new DeviceAgentError(deviceId, `brokerUrl ${options.brokerUrl} is not a URL`, { cause: error });
  }
  if (!TLS_PROTOCOLS.includes(protocol))
    throw new DeviceAgentError(
      deviceId,
      `${given.join(', ')} given for ${options.brokerUrl}, which connects without TLS; use an mqtts:// or wss:// URL`,
    );
  if ((cert === undefined) !== (key === undefined))
    throw new DeviceAgentError(
      deviceId,
      `a client certificate needs both cert and key, got only ${cert === undefined ? 'key' : 'cert'}`,
    );
  return { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert, key }) };
}

/**
 * Connects a device to the broker and serves its commands: validation, envelope, deduplication by
 * commandId through the journal, expiry, one command at a time, events, telemetry, retained status.
 * The first connection must succeed (throws {@link DeviceAgentError}); later drops reconnect on their own.
 *
 * @example
 * const agent = await startDeviceAgent({
 *   brokerUrl, labId: 'lab', deviceId: 'plate-reader-1', kind: 'plate-reader', model: 'PR-1', firmware: '1.0',
 *   catalogue: plateReaderCatalogue, driver: { commands: { measure: async ({ well }) => ({ r: 0.5, g: 0.4, b: 0.3 }) } },
 * });
 */
export async function startDeviceAgent<C extends CapabilityCatalogue>(
  options: DeviceAgentOptions<C>,
): Promise<DeviceAgent> {
  const { deviceId, labId, catalogue, driver } = options;
  const clock = options.clock ?? systemClock;
  const journal = options.journal ?? new MemoryJournal();
  const logger = options.logger ?? console;
  const heartbeat = options.heartbeat ?? 5;
  const described = DeviceDescriptorSchema.safeParse({
    deviceId,
    kind: options.kind,
    model: options.model,
    firmware: options.firmware,
    capabilities: describeCapabilities(catalogue),
    heartbeat,
  });
  if (!described.success)
    throw new DeviceAgentError(deviceId, `invalid descriptor: ${formatIssues(described.error).join('; ')}`, {
      cause: described.error,
    });
  const descriptor = described.data;
  const topics = {
    commands: deviceTopic(labId, deviceId, 'commands'),
    events: deviceTopic(labId, deviceId, 'events'),
    telemetry: deviceTopic(labId, deviceId, 'telemetry'),
    status: deviceTopic(labId, deviceId, 'status'),
  };
  const stats: DeviceAgentStats = {
    received: 0,
    unanswerable: 0,
    duplicatesIgnored: 0,
    replays: 0,
    executed: 0,
  };
  const queue: Queued[] = [];
  const pending = new Set<string>();
  const idleWaiters: Array<() => void> = [];
  const abort = new AbortController();
  let running = false;
  let stopping = false;
  let killed = false;
  let telemetryTimer: unknown;
  /** The command being executed, its abort (an emergency stop, an interrupt or a kill) and its end. */
  let current: { commandId: string; abort: AbortController; done: Promise<void> } | undefined;
  /** The emergency stop that halted the device, until a `reset`. */
  let haltedBy: string | undefined;

  const unknown = closeUnfinished(journal, deviceId, clock);
  // A device halted before a restart stays halted: only a `reset` clears an emergency stop.
  for (const entry of journal.entries())
    if (entry.type === 'begin' && (entry.command === EMERGENCY_STOP || entry.command === RESET))
      haltedBy = entry.command === EMERGENCY_STOP ? entry.commandId : undefined;

  const tls = tlsOptions(options);
  const offline: DeviceStatus = { state: 'offline', deviceId };
  let client: MqttClient;
  try {
    client = await mqtt.connectAsync(
      options.brokerUrl,
      {
        clientId: options.clientId ?? `device-${deviceId}`,
        clean: false,
        reconnectPeriod: options.reconnectPeriod ?? 1000,
        username: options.username,
        password: options.password,
        will: { topic: topics.status, payload: Buffer.from(JSON.stringify(offline)), qos: 1, retain: true },
        ...tls,
      },
      false,
    );
  } catch (error) {
    throw new DeviceAgentError(
      deviceId,
      `cannot connect to ${options.brokerUrl}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }

  const publish = (topic: string, payload: unknown, qos: 0 | 1, retain = false): Promise<void> =>
    new Promise((resolve) => {
      if (killed) return resolve();
      client.publish(topic, JSON.stringify(payload), { qos, retain }, (error) => {
        if (error) logger.warn(`device ${deviceId}: publish to ${topic} failed: ${error.message}`);
        resolve();
      });
    });

  const emit = (event: DeviceEvent): void => {
    const checked = DeviceEventSchema.safeParse(event);
    if (!checked.success) {
      // Events are built here from checked parts, so an invalid one is an agent bug: logged, not sent.
      logger.warn(`device ${deviceId}: dropped invalid ${event.type} event`, {
        issues: formatIssues(checked.error),
      });
      return;
    }
    void publish(topics.events, checked.data, 1);
  };

  const answer = (commandId: string, outcome: CommandOutcome, replay: boolean): void => {
    const base = { commandId, deviceId, at: clock.now(), replay };
    emit(
      outcome.type === 'result'
        ? { type: 'result', ...base, output: outcome.output }
        : { type: 'fault', ...base, error: outcome.error },
    );
  };

  const fault = (commandId: string, error: Fault): void => answer(commandId, { type: 'fault', error }, false);

  const announce = (): void => {
    (client.stream as Partial<Socket>).setNoDelay?.(true);
    const status: DeviceStatus = { state: 'online', deviceId, at: clock.now(), descriptor };
    void publish(topics.status, status, 1, true);
  };

  const sendTelemetry = (): void => {
    if (killed || stopping) return;
    const telemetry = TelemetrySchema.safeParse({
      deviceId,
      at: clock.now(),
      busy: running,
      values: { ...(driver.telemetry?.() ?? {}), halted: haltedBy === undefined ? 0 : 1 },
    });
    if (telemetry.success) void publish(topics.telemetry, telemetry.data, 0);
    else
      logger.warn(`device ${deviceId}: driver telemetry is invalid`, {
        issues: formatIssues(telemetry.error),
      });
    telemetryTimer = clock.setTimeout(sendTelemetry, heartbeat * 1000);
  };

  const execute = async ({ command, parameters }: Queued): Promise<void> => {
    const { commandId } = command;
    if (command.deadline < clock.now()) {
      refuseExpired(command, 'while it waited in the queue');
      return;
    }
    journal.append({ type: 'begin', commandId, command: command.command, parameters, at: clock.now() });
    stats.executed++;
    let done = false;
    let finished = (): void => {};
    const controller = new AbortController();
    current = { commandId, abort: controller, done: new Promise((resolve) => (finished = resolve)) };
    const stopOnKill = () => controller.abort(abort.signal.reason);
    abort.signal.addEventListener('abort', stopOnKill, { once: true });
    const context: CommandContext = {
      commandId,
      campaignId: command.campaignId,
      command: command.command,
      deadline: command.deadline,
      clock,
      signal: controller.signal,
      progress(fraction, message) {
        if (!(fraction >= 0 && fraction <= 1))
          throw new RangeError(`progress must be a fraction 0–1, got ${fraction} (command ${commandId})`);
        if (done || killed) return;
        emit({ type: 'progress', commandId, deviceId, at: clock.now(), fraction, message });
      },
    };
    let outcome: CommandOutcome;
    try {
      const handler = (driver.commands as unknown as Record<string, Handler>)[command.command];
      if (handler === undefined)
        throw new DeviceFaultError(FaultCodes.UnknownCommand, `driver has no handler for ${command.command}`);
      const output = await handler(parameters, context);
      // The round trip makes the journalled output exactly what a replay will send.
      const plain: unknown = JSON.parse(JSON.stringify(output ?? null));
      if (plain === null || typeof plain !== 'object' || Array.isArray(plain))
        throw new TypeError(`handler returned ${JSON.stringify(plain)}, expected an object of outputs`);
      outcome = { type: 'result', output: plain as Record<string, unknown> };
    } catch (error) {
      outcome = { type: 'fault', error: toFault(error, command, deviceId) };
    } finally {
      done = true;
      abort.signal.removeEventListener('abort', stopOnKill);
      current = undefined;
    }
    if (!killed) {
      journal.append({ type: 'finish', commandId, outcome, at: clock.now() });
      answer(commandId, outcome, false);
    }
    finished();
  };

  const refuseExpired = (command: DeviceCommand, when: string): void => {
    const now = clock.now();
    const outcome: CommandOutcome = {
      type: 'fault',
      error: {
        code: FaultCodes.CommandExpired,
        message: `command expired ${when}: deadline ${new Date(command.deadline).toISOString()} is ${now - command.deadline} ms before now ${new Date(now).toISOString()} (command ${command.commandId}, device ${deviceId})`,
        retryable: false,
      },
    };
    journal.append({ type: 'finish', commandId: command.commandId, outcome, at: now });
    answer(command.commandId, outcome, false);
  };

  /** Journals and answers what a reserved command did. */
  const settleReserved = (commandId: string, output: Record<string, unknown>): void => {
    pending.delete(commandId);
    if (killed) return;
    const outcome: CommandOutcome = { type: 'result', output };
    journal.append({ type: 'finish', commandId, outcome, at: clock.now() });
    answer(commandId, outcome, false);
  };

  /**
   * `emergencyStop`: refuses every queued command, aborts the running one, puts the instrument in its safe
   * state and refuses commands until `reset`. Both are journalled physical actions, answered like any command.
   * Neither is ever refused for its deadline: halting late is still safer than not halting.
   */
  const halt = async (commandId: string): Promise<void> => {
    journal.append({ type: 'begin', commandId, command: EMERGENCY_STOP, parameters: {}, at: clock.now() });
    haltedBy = commandId;
    const stop = new DeviceFaultError(
      FaultCodes.EmergencyStop,
      `stopped by emergency stop ${commandId} on device ${deviceId}`,
    );
    for (const dropped of queue.splice(0)) {
      pending.delete(dropped.command.commandId);
      fault(dropped.command.commandId, { code: stop.code, message: stop.message, retryable: false });
    }
    current?.abort.abort(stop);
    let safe: Record<string, unknown> = {};
    try {
      safe = (await driver.safeState?.()) ?? {};
    } catch (error) {
      logger.warn(`device ${deviceId}: safeState failed during emergency stop: ${(error as Error).message}`);
      safe = { safeStateError: (error as Error).message };
    }
    settleReserved(commandId, { halted: true, ...safe });
  };

  /**
   * `interrupt { commandId }`: stops one command now and answers what it found — `queued` (dropped, never
   * started), `running` (aborted; answered once it has ended), `finished` or `unknown`. The stopped command ends
   * with fault `Interrupted`, retryable when starting the step again is safe: it had not started, or its
   * capability is resumable. Never refused for its deadline, like `emergencyStop`.
   */
  const interrupt = async (commandId: string, target: string): Promise<void> => {
    journal.append({
      type: 'begin',
      commandId,
      command: INTERRUPT,
      parameters: { commandId: target },
      at: clock.now(),
    });
    const message = (what: string) =>
      `${what} by interrupt ${commandId} on device ${deviceId} (command ${target})`;
    const queued = queue.findIndex((q) => q.command.commandId === target);
    let was: 'queued' | 'running' | 'finished' | 'unknown';
    if (queued >= 0) {
      const [dropped] = queue.splice(queued, 1);
      pending.delete(target);
      const outcome: CommandOutcome = {
        type: 'fault',
        error: {
          code: FaultCodes.Interrupted,
          message: message('dropped before it started'),
          retryable: true,
        },
      };
      journal.append({ type: 'finish', commandId: target, outcome, at: clock.now() });
      answer(target, outcome, false);
      was = dropped ? 'queued' : 'unknown';
    } else if (current?.commandId === target) {
      const running = current;
      const command = journal.find(target)?.begin?.command ?? '';
      const resumable = (catalogue as Record<string, { resumable?: boolean }>)[command]?.resumable === true;
      running.abort.abort(
        new DeviceFaultError(
          FaultCodes.Interrupted,
          message(resumable ? 'stopped; the step can start again' : 'stopped; the step cannot resume'),
          { retryable: resumable },
        ),
      );
      await running.done;
      was = 'running';
    } else {
      was = journal.find(target)?.finish ? 'finished' : 'unknown';
    }
    settleReserved(commandId, { commandId: target, was });
  };

  const reset = (commandId: string): void => {
    journal.append({ type: 'begin', commandId, command: RESET, parameters: {}, at: clock.now() });
    haltedBy = undefined;
    settleReserved(commandId, { halted: false });
  };

  /** Reserved commands are in no catalogue: handled at once, never queued, deduplicated like any command. */
  const handleReserved = (commandId: string, command: string, data: unknown): void => {
    if (command === INTERRUPT) {
      const parameters = InterruptParametersSchema.safeParse((data as { parameters?: unknown }).parameters, {
        reportInput: true,
      });
      if (!parameters.success) {
        fault(commandId, {
          code: FaultCodes.InvalidParameters,
          message: `interrupt needs parameters { commandId: string of 1–200 characters }: ${formatIssues(parameters.error).join('; ')} (command ${commandId}, device ${deviceId})`,
          retryable: false,
        });
        return;
      }
      pending.add(commandId);
      void interrupt(commandId, parameters.data.commandId);
    } else if (command === EMERGENCY_STOP) {
      pending.add(commandId);
      void halt(commandId);
    } else reset(commandId);
  };

  const drain = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      for (let next = queue.shift(); next !== undefined && !killed; next = queue.shift()) {
        await execute(next);
        pending.delete(next.command.commandId);
      }
    } finally {
      running = false;
      for (const wake of idleWaiters.splice(0)) wake();
    }
  };

  const receive = (payload: Buffer): void => {
    if (killed) return;
    stats.received++;
    const read = readCommandId(payload.toString('utf8'));
    if ('reason' in read) {
      stats.unanswerable++;
      logger.warn(`device ${deviceId}: cannot answer a command: ${read.reason}`);
      return;
    }
    const { commandId } = read;
    const finished = journal.find(commandId)?.finish;
    if (finished) {
      stats.replays++;
      answer(commandId, finished.outcome, true);
      return;
    }
    if (pending.has(commandId)) {
      stats.duplicatesIgnored++;
      return;
    }
    const reserved = (read.data as { command?: unknown }).command;
    if (typeof reserved === 'string' && RESERVED.includes(reserved)) {
      handleReserved(commandId, reserved, read.data);
      return;
    }
    if (haltedBy !== undefined) {
      fault(commandId, {
        code: FaultCodes.DeviceHalted,
        message: `device ${deviceId} was halted by emergency stop ${haltedBy} and takes no commands until it is reset (command ${commandId})`,
        retryable: false,
      });
      return;
    }
    const decision = checkCommand(commandId, read.data, deviceId, catalogue);
    if (decision.action === 'refuse') {
      fault(commandId, decision.fault);
      return;
    }
    if (decision.command.deadline < clock.now()) {
      refuseExpired(decision.command, 'before it arrived');
      return;
    }
    if (stopping) {
      fault(commandId, {
        code: DEVICE_STOPPING,
        message: `device ${deviceId} is stopping and takes no new commands (command ${commandId})`,
        retryable: true,
      });
      return;
    }
    pending.add(commandId);
    queue.push({ command: decision.command, parameters: decision.parameters });
    emit({ type: 'accepted', commandId, deviceId, at: clock.now() });
    void drain();
  };

  client.on('connect', announce);
  client.on('error', (error) => logger.warn(`device ${deviceId}: MQTT error: ${error.message}`));
  client.on('message', (topic, payload) => {
    if (topic === topics.commands) receive(payload);
  });
  announce();
  try {
    await client.subscribeAsync(topics.commands, { qos: 1 });
  } catch (error) {
    client.end(true);
    throw new DeviceAgentError(
      deviceId,
      `cannot subscribe to ${topics.commands}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  for (const commandId of unknown) {
    const outcome = journal.find(commandId)?.finish?.outcome;
    if (outcome) answer(commandId, outcome, false);
  }
  telemetryTimer = clock.setTimeout(sendTelemetry, heartbeat * 1000);

  const whenIdle = (): Promise<void> =>
    running || queue.length > 0 ? new Promise((resolve) => idleWaiters.push(resolve)) : Promise.resolve();

  return {
    deviceId,
    descriptor,
    journal,
    stats: () => ({ ...stats }),
    whenIdle,
    async stop() {
      if (stopping || killed) return;
      stopping = true;
      clock.clearTimeout(telemetryTimer);
      for (const dropped of queue.splice(0)) {
        pending.delete(dropped.command.commandId);
        fault(dropped.command.commandId, {
          code: DEVICE_STOPPING,
          message: `device ${deviceId} stopped before starting ${dropped.command.command} (command ${dropped.command.commandId})`,
          retryable: true,
        });
      }
      await whenIdle();
      if (!client.connected) {
        // Without a connection the offline status could only wait for one; the will has already said it.
        client.end(true);
        return;
      }
      await publish(topics.status, { ...offline, at: clock.now() } satisfies DeviceStatus, 1, true);
      try {
        await client.endAsync();
      } catch (error) {
        throw new DeviceAgentError(deviceId, `disconnect failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
    kill() {
      if (killed) return;
      killed = true;
      clock.clearTimeout(telemetryTimer);
      abort.abort(new DeviceAgentError(deviceId, 'killed'));
      client.stream.destroy();
      client.end(true);
      queue.length = 0;
      for (const wake of idleWaiters.splice(0)) wake();
    },
  };
}
