import { join } from 'node:path';
import type { z } from 'zod';
import {
  type Clock,
  type FaultPlanEntry,
  parseWith,
  type SimulatorConfig,
  SimulatorConfigSchema,
} from '../contracts/index.ts';
import {
  type CapabilityCatalogue,
  type CommandJournal,
  type DeviceAgent,
  type DeviceKind,
  type DeviceLogger,
  deviceKinds,
  MemoryJournal,
  openFileJournal,
  startDeviceAgent,
} from '../devices/index.ts';
import { SimulatorError } from './errors.ts';
import { type LiquidHandlerOptions, SimulatedLiquidHandler } from './liquid-handler.sim.ts';
import { SimulatedMechanicalTester } from './mechanical-tester.sim.ts';
import { SimulatedPlateReader } from './plate-reader.sim.ts';
import { SimulatedPrinter3d } from './printer-3d.sim.ts';
import type { Simulator, SimulatorOptions } from './simulator.ts';
import { SimulatedWorld } from './world.ts';

/** Any of the four simulated instruments. */
export type AnySimulator =
  | SimulatedLiquidHandler
  | SimulatedPlateReader
  | SimulatedPrinter3d
  | SimulatedMechanicalTester;

/** Options every simulator takes, plus those of particular kinds (ignored by the others). */
export type AnySimulatorOptions = SimulatorOptions & Pick<LiquidHandlerOptions, 'reservoirs'>;

const constructors: { [K in DeviceKind]: (options: AnySimulatorOptions) => AnySimulator } = {
  'liquid-handler': (options) => new SimulatedLiquidHandler(options),
  'plate-reader': (options) => new SimulatedPlateReader(options),
  'printer-3d': (options) => new SimulatedPrinter3d(options),
  'mechanical-tester': (options) => new SimulatedMechanicalTester(options),
};

/** The device kinds that have a simulator. */
export const simulatedKinds = Object.keys(constructors) as DeviceKind[];

/**
 * Creates the simulated instrument of a kind, or throws {@link SimulatorError} naming the known kinds.
 *
 * @example
 * const reader = createSimulator('plate-reader', { deviceId: 'plate-reader-1', world, clock, seed: 7 });
 */
export function createSimulator(kind: string, options: AnySimulatorOptions): AnySimulator {
  if (!Object.hasOwn(constructors, kind))
    throw new SimulatorError(
      `no simulator for device kind ${JSON.stringify(kind)}; expected one of ${simulatedKinds.join(', ')}`,
    );
  return constructors[kind as DeviceKind](options);
}

/** A simulated instrument online: its simulator, its agent and its journal. */
export interface SimulatedDevice {
  deviceId: string;
  kind: DeviceKind;
  simulator: AnySimulator;
  agent: DeviceAgent;
  journal: CommandJournal;
}

/** Options of {@link startSimulator}. */
export interface StartSimulatorOptions extends AnySimulatorOptions {
  kind: string;
  brokerUrl: string;
  labId: string;
  /** @default new MemoryJournal() */
  journal?: CommandJournal;
  /** Telemetry period, s of simulated time. @default 30 */
  heartbeat?: number;
  logger?: DeviceLogger;
  /** MQTT username, for a broker that requires credentials. @default none */
  username?: string;
  /** MQTT password, for a broker that requires credentials. @default none */
  password?: string;
}

function launch<C extends CapabilityCatalogue>(
  simulator: Simulator<C>,
  options: StartSimulatorOptions,
  journal: CommandJournal,
): Promise<DeviceAgent> {
  return startDeviceAgent({
    brokerUrl: options.brokerUrl,
    labId: options.labId,
    deviceId: options.deviceId,
    kind: simulator.kind,
    model: simulator.model,
    firmware: simulator.firmware,
    catalogue: simulator.catalogue,
    driver: simulator.driver(),
    clock: options.clock,
    journal,
    heartbeat: options.heartbeat ?? 30,
    logger: options.logger,
    username: options.username,
    password: options.password,
  });
}

/**
 * Starts one simulated instrument: replays its journal into it and the world, then connects its agent.
 *
 * @example
 * const device = await startSimulator({ kind: 'printer-3d', deviceId: 'printer-3d-1', brokerUrl, labId, world, clock, seed: 1 });
 */
export async function startSimulator(options: StartSimulatorOptions): Promise<SimulatedDevice> {
  const simulator = createSimulator(options.kind, options);
  const journal = options.journal ?? new MemoryJournal();
  simulator.restore(journal.entries());
  // Each simulator's driver fits its own catalogue; the union type forgets that pairing, the cast restores it.
  const agent = await launch(simulator as Simulator<CapabilityCatalogue>, options, journal);
  return { deviceId: options.deviceId, kind: simulator.kind, simulator, agent, journal };
}

/** Options of {@link startSimulators}. */
export interface StartSimulatorsOptions {
  brokerUrl: string;
  labId: string;
  clock: Clock;
  seed: number;
  /** A campaign file's `simulators:` section (defaults applied here). */
  simulators: readonly z.input<typeof SimulatorConfigSchema>[];
  /** Where each device keeps `<deviceId>.jsonl`; the world is rebuilt from them. In memory when absent. */
  journalDir?: string;
  /** @default a new, empty world rebuilt from the journals */
  world?: SimulatedWorld;
  /** Telemetry period, s of simulated time. @default 30 */
  heartbeat?: number;
  logger?: DeviceLogger;
  /**
   * Device id → the username and password its agent logs in with (a lab credentials file's `devices`), for a
   * broker that requires credentials; every started device must have one. @default none (an open broker)
   */
  credentials?: Readonly<Record<string, { username: string; password: string }>>;
}

/** A lab of simulated instruments on one broker. */
export interface SimulatedLab {
  world: SimulatedWorld;
  devices: readonly SimulatedDevice[];
  /** The device with this id, or throws {@link SimulatorError}. */
  device(deviceId: string): SimulatedDevice;
  /** Stops every agent gracefully, then closes the journals. */
  stop(): Promise<void>;
  /** Kills every agent (their last wills fire), then closes the journals. */
  kill(): Promise<void>;
}

/**
 * Starts `count` simulated devices per entry, with ids `<kind>-1`, `<kind>-2`, … . With `journalDir`, each
 * device journals to `<journalDir>/<deviceId>.jsonl` and the world is rebuilt from those journals before
 * any agent comes online, so a restarted lab still holds what it mixed and printed.
 *
 * @example
 * const lab = await startSimulators({
 *   brokerUrl, labId: 'local-lab', clock: new ScaledClock(1e4), seed: 42,
 *   simulators: [{ kind: 'liquid-handler' }, { kind: 'plate-reader', noise: 0.02 }],
 * });
 * await lab.stop();
 */
export async function startSimulators(options: StartSimulatorsOptions): Promise<SimulatedLab> {
  const world = options.world ?? new SimulatedWorld();
  const configs: SimulatorConfig[] = options.simulators.map((config, i) =>
    parseWith(SimulatorConfigSchema, config, `simulators[${i}]`),
  );
  const plans: Array<{ kind: string; deviceId: string; config: SimulatorConfig; faults: FaultPlanEntry[] }> =
    [];
  const seen = new Set<string>();
  for (const config of configs) {
    if (!Object.hasOwn(deviceKinds, config.kind))
      throw new SimulatorError(
        `no simulator for device kind ${JSON.stringify(config.kind)}; expected one of ${simulatedKinds.join(', ')}`,
      );
    if (seen.has(config.kind))
      throw new SimulatorError(`simulators lists kind ${config.kind} twice; use one entry with a count`);
    seen.add(config.kind);
    for (let n = 1; n <= config.count; n++)
      plans.push({ kind: config.kind, deviceId: `${config.kind}-${n}`, config, faults: config.faults });
  }
  const missing = options.credentials
    ? plans.filter((plan) => !Object.hasOwn(options.credentials ?? {}, plan.deviceId))
    : [];
  if (missing.length > 0)
    throw new SimulatorError(
      `no credentials for ${missing.map((plan) => plan.deviceId).join(', ')}; the credentials given cover ${Object.keys(options.credentials ?? {}).join(', ') || 'no device'}`,
    );
  const journals: CommandJournal[] = [];
  const devices: SimulatedDevice[] = [];
  const closeJournals = () => Promise.all(journals.map((journal) => journal.close()));
  try {
    const prepared = [];
    for (const plan of plans) {
      const journal = options.journalDir
        ? await openFileJournal(join(options.journalDir, `${plan.deviceId}.jsonl`))
        : new MemoryJournal();
      journals.push(journal);
      const simulatorOptions: StartSimulatorOptions = {
        kind: plan.kind,
        deviceId: plan.deviceId,
        brokerUrl: options.brokerUrl,
        labId: options.labId,
        world,
        clock: options.clock,
        seed: options.seed,
        noise: plan.config.noise,
        faults: plan.faults,
        durationScale: plan.config.durationScale,
        journal,
        heartbeat: options.heartbeat,
        logger: options.logger,
        ...options.credentials?.[plan.deviceId],
      };
      const simulator = createSimulator(plan.kind, simulatorOptions);
      // Every journal is replayed before any agent answers, so no device sees a half-rebuilt world.
      simulator.restore(journal.entries());
      prepared.push({ simulator, simulatorOptions, journal });
    }
    for (const { simulator, simulatorOptions, journal } of prepared) {
      const agent = await launch(simulator as Simulator<CapabilityCatalogue>, simulatorOptions, journal);
      devices.push({ deviceId: simulatorOptions.deviceId, kind: simulator.kind, simulator, agent, journal });
    }
  } catch (error) {
    await Promise.all(devices.map((device) => device.agent.stop()));
    await closeJournals();
    throw new SimulatorError(
      `could not start the simulated lab ${options.labId}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return {
    world,
    devices,
    device(deviceId) {
      const device = devices.find((d) => d.deviceId === deviceId);
      if (device === undefined)
        throw new SimulatorError(
          `no simulated device ${JSON.stringify(deviceId)}; the lab has ${devices.map((d) => d.deviceId).join(', ')}`,
        );
      return device;
    },
    async stop() {
      await Promise.all(devices.map((device) => device.agent.stop()));
      await closeJournals();
    },
    async kill() {
      for (const device of devices) device.agent.kill();
      await Promise.all(devices.map((device) => device.agent.whenIdle()));
      await closeJournals();
    },
  };
}
