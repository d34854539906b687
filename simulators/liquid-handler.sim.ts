import {
  type CommandContext,
  type CommandParameters,
  type DeviceDriver,
  DeviceFaultError,
  deviceKinds,
  finishedActions,
  type JournalEntry,
  liquidHandlerCatalogue,
  WELL_CAPACITY,
} from '../devices/index.ts';
import { SimulatorKit } from './internal/sim-kit.ts';
import type { Simulator, SimulatorOptions } from './simulator.ts';
import type { SimulatedWorld } from './world.ts';

type Catalogue = typeof liquidHandlerCatalogue;

/** Options of {@link SimulatedLiquidHandler}. */
export interface LiquidHandlerOptions extends SimulatorOptions {
  /** Reservoir name → capacity in µL; each starts full. @default 20 mL each of red, yellow, blue, water */
  reservoirs?: Readonly<Record<string, number>>;
}

/** Seconds one mix takes: aspirate, dispense and mix by pipetting. */
const MIX_TIME = 60;
/** Seconds a refill takes. */
const REFILL_TIME = 30;
/**
 * Fault-plan code that makes a pump overshoot half-way through a mix: the well's level sensor reads more than
 * the well holds, the handler stops its pumps, parks its head and fails the mix with this code.
 */
export const OVER_VOLUME = 'OverVolume';

/** The reservoirs a simulated liquid handler starts with, µL. */
export const DEFAULT_RESERVOIRS: Readonly<Record<string, number>> = Object.freeze({
  red: 20_000,
  yellow: 20_000,
  blue: 20_000,
  water: 20_000,
});

/**
 * A simulated 4-reservoir liquid handler: dispenses reservoir volumes into the wells of plates in the
 * shared world and tracks what each reservoir has left.
 */
export class SimulatedLiquidHandler implements Simulator<Catalogue> {
  readonly kind = 'liquid-handler';
  readonly model = 'labloop LH-4 (simulated)';
  readonly firmware = 'sim-1.0.0';
  readonly catalogue = liquidHandlerCatalogue;
  private readonly kit: SimulatorKit;
  private readonly world: SimulatedWorld;
  private readonly capacity: Readonly<Record<string, number>>;
  private readonly levels: Record<string, number>;
  /** Every time the handler went to its safe state (emergency stop or level sensor), on its clock. */
  readonly safeStates: Array<{ at: number; reason: string }> = [];

  constructor(options: LiquidHandlerOptions) {
    this.kit = new SimulatorKit(options);
    this.world = options.world;
    this.capacity = { ...(options.reservoirs ?? DEFAULT_RESERVOIRS) };
    this.levels = { ...this.capacity };
  }

  /** What each reservoir holds now, µL. */
  reservoirLevels(): Record<string, number> {
    return { ...this.levels };
  }

  /** Dispenses every non-zero volume into an empty well and mixes it. */
  async mix(
    { plate, well, volumes }: CommandParameters<Catalogue, 'mix'>,
    context: CommandContext,
  ): Promise<{ plate: string; well: string; volumes: Record<string, number>; total: number }> {
    const fault = this.kit.plannedFault(context);
    const dispensed = Object.fromEntries(Object.entries(volumes).filter(([, v]) => v > 0));
    const total = Object.values(dispensed).reduce((a, b) => a + b, 0);
    for (const [name, volume] of Object.entries(dispensed)) {
      const level = this.levels[name];
      if (level === undefined)
        throw new DeviceFaultError(
          'UnknownReservoir',
          `no reservoir ${JSON.stringify(name)}; this handler holds ${Object.keys(this.levels).join(', ')} (command ${context.commandId})`,
        );
      if (level < volume)
        throw new DeviceFaultError(
          'ReservoirEmpty',
          `reservoir ${name} holds ${round(level)} µL, the mix needs ${volume} µL; refill it (command ${context.commandId})`,
        );
    }
    if (total > WELL_CAPACITY)
      throw new DeviceFaultError(
        'WellOverflow',
        `well ${plate}/${well} holds at most ${WELL_CAPACITY} µL, the mix is ${total} µL (command ${context.commandId})`,
      );
    this.assertEmpty(plate, well, context.commandId);
    if (fault?.code === OVER_VOLUME) {
      await this.kit.perform(context, MIX_TIME / 2, undefined, 2);
      this.levelSensor(plate, well, total + WELL_CAPACITY, context.commandId);
    }
    await this.kit.perform(context, MIX_TIME, fault);
    this.assertEmpty(plate, well, context.commandId);
    this.apply(plate, well, dispensed, context.commandId);
    return { plate, well, volumes: dispensed, total };
  }

  /** Fills a reservoir to its capacity; repeating it changes nothing. */
  async refill(
    { reservoir }: CommandParameters<Catalogue, 'refill'>,
    context: CommandContext,
  ): Promise<{ reservoir: string; volume: number }> {
    const fault = this.kit.plannedFault(context);
    const capacity = this.capacity[reservoir];
    if (capacity === undefined)
      throw new DeviceFaultError(
        'UnknownReservoir',
        `no reservoir ${JSON.stringify(reservoir)}; this handler holds ${Object.keys(this.capacity).join(', ')} (command ${context.commandId})`,
      );
    await this.kit.perform(context, REFILL_TIME, fault);
    this.levels[reservoir] = capacity;
    return { reservoir, volume: capacity };
  }

  driver(): DeviceDriver<Catalogue> {
    return {
      commands: { mix: (p, c) => this.mix(p, c), refill: (p, c) => this.refill(p, c) },
      telemetry: () => this.reservoirLevels(),
      // Dispensing stops when the running mix is aborted; nothing else moves.
      safeState: async () => this.enterSafeState('emergency stop'),
    };
  }

  restore(entries: readonly JournalEntry[]): void {
    this.kit.faultPlan.restore(entries);
    for (const action of finishedActions(entries)) {
      if (action.command === 'refill') {
        const name = String(action.output.reservoir);
        const capacity = this.capacity[name];
        if (capacity !== undefined) this.levels[name] = capacity;
      } else if (action.command === 'mix') {
        const { plate, well, volumes } = action.output as {
          plate: string;
          well: string;
          volumes: Record<string, number>;
        };
        this.apply(plate, well, volumes, action.commandId);
      }
    }
  }

  private enterSafeState(reason: string): Record<string, unknown> {
    this.safeStates.push({ at: this.kit.options.clock.now(), reason });
    return { safeState: deviceKinds['liquid-handler'].safeState };
  }

  /** Stops dispensing when a well reads more liquid than it holds. */
  private levelSensor(plate: string, well: string, reading: number, commandId: string): void {
    if (reading <= WELL_CAPACITY) return;
    this.enterSafeState(`well ${plate}/${well} at ${reading} µL`);
    throw new DeviceFaultError(
      OVER_VOLUME,
      `well ${plate}/${well} read ${reading} µL, above its ${WELL_CAPACITY} µL capacity: pumps stopped, head parked over waste (command ${commandId})`,
      { retryable: false },
    );
  }

  private apply(plate: string, well: string, volumes: Record<string, number>, commandId: string): void {
    for (const [name, volume] of Object.entries(volumes))
      this.levels[name] = (this.levels[name] ?? 0) - volume;
    this.world.fillWell(plate, well, { volumes, filledBy: commandId });
  }

  private assertEmpty(plate: string, well: string, commandId: string): void {
    const contents = this.world.well(plate, well);
    if (contents !== undefined)
      throw new DeviceFaultError(
        'WellOccupied',
        `well ${plate}/${well} already holds ${round(Object.values(contents.volumes).reduce((a, b) => a + b, 0))} µL from command ${contents.filledBy} (command ${commandId})`,
      );
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
