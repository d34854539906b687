import {
  type CommandContext,
  type CommandParameters,
  type DeviceDriver,
  DeviceFaultError,
  deviceKinds,
  finishedActions,
  type JournalEntry,
  printer3dCatalogue,
} from '../devices/index.ts';
import { SimulatorKit } from './internal/sim-kit.ts';
import { printOutcome } from './models/lattice.ts';
import { withNoise } from './models/noise.ts';
import type { Simulator, SimulatorOptions } from './simulator.ts';
import type { SimulatedWorld } from './world.ts';

type Catalogue = typeof printer3dCatalogue;

/** Relative scatter of the printed mass (extrusion variation) when the campaign sets none. */
const DEFAULT_NOISE = 0.01;
/** Room temperature, °C: the nozzle's reading while idle. */
const IDLE_TEMPERATURE = 25;
/**
 * Fault-plan code that makes the heater run away half-way through a print: the thermal watchdog sees the
 * nozzle past its limit, puts the printer in its safe state and fails the print with this code.
 */
export const OVER_TEMPERATURE = 'OverTemperature';
/** The hottest the nozzle may read, °C: the envelope's limit, which the watchdog enforces. */
const NOZZLE_LIMIT = Math.max(
  ...printer3dCatalogue.print.envelope.flatMap((rule) =>
    rule.parameter === 'nozzleTemperature' && rule.max !== undefined ? [rule.max] : [],
  ),
);

/**
 * A simulated fused-filament printer that prints 20 mm cubic lattice specimens into the shared world.
 * Printing takes 20–60 min depending on how much material the lattice needs.
 */
export class SimulatedPrinter3d implements Simulator<Catalogue> {
  readonly kind = 'printer-3d';
  readonly model = 'labloop FFF-1 (simulated)';
  readonly firmware = 'sim-1.0.0';
  readonly catalogue = printer3dCatalogue;
  private readonly kit: SimulatorKit;
  private readonly world: SimulatedWorld;
  private readonly noise: number;
  private nozzle = IDLE_TEMPERATURE;
  /** Every time the printer went to its safe state (emergency stop or watchdog), on its clock. */
  readonly safeStates: Array<{ at: number; reason: string }> = [];

  constructor(options: SimulatorOptions) {
    this.kit = new SimulatorKit(options);
    this.world = options.world;
    this.noise = options.noise ?? DEFAULT_NOISE;
  }

  /** Prints one specimen; a label is printed once. Reports its mass (g) and the time it took (s). */
  async print(
    parameters: CommandParameters<Catalogue, 'print'>,
    context: CommandContext,
  ): Promise<{ specimen: string; mass: number; printTime: number }> {
    const fault = this.kit.plannedFault(context);
    const { specimen, ...design } = parameters;
    this.assertNew(specimen, context.commandId);
    const outcome = printOutcome(design);
    this.nozzle = design.nozzleTemperature;
    try {
      if (fault?.code === OVER_TEMPERATURE) {
        await this.kit.perform(context, outcome.printTime / 2, undefined, 5);
        this.nozzle = NOZZLE_LIMIT + 40;
        this.thermalWatchdog(context.commandId);
      }
      await this.kit.perform(context, outcome.printTime, fault, 10);
    } finally {
      this.nozzle = IDLE_TEMPERATURE;
    }
    this.assertNew(specimen, context.commandId);
    const mass = Math.max(0, withNoise(outcome.mass, this.noise, this.kit.rngFor(context)));
    this.world.addSpecimen({ id: specimen, design, mass, printedBy: context.commandId });
    return { specimen, mass, printTime: outcome.printTime };
  }

  driver(): DeviceDriver<Catalogue> {
    return {
      commands: { print: (p, c) => this.print(p, c) },
      telemetry: () => ({ nozzleTemperature: this.nozzle }),
      safeState: async () => this.enterSafeState('emergency stop'),
    };
  }

  restore(entries: readonly JournalEntry[]): void {
    this.kit.faultPlan.restore(entries);
    for (const action of finishedActions(entries)) {
      if (action.command !== 'print') continue;
      const { specimen, ...design } = this.catalogue.print.parameters.parse(action.parameters);
      this.world.addSpecimen({
        id: specimen,
        design,
        mass: Number(action.output.mass),
        printedBy: action.commandId,
      });
    }
  }

  private enterSafeState(reason: string): Record<string, unknown> {
    this.nozzle = IDLE_TEMPERATURE;
    this.safeStates.push({ at: this.kit.options.clock.now(), reason });
    return { safeState: deviceKinds['printer-3d'].safeState, nozzleTemperature: this.nozzle };
  }

  /** Cuts the heaters and stops the print when the nozzle reads past its limit. */
  private thermalWatchdog(commandId: string): void {
    const reading = this.nozzle;
    if (reading <= NOZZLE_LIMIT) return;
    this.enterSafeState(`nozzle at ${reading} °C`);
    throw new DeviceFaultError(
      OVER_TEMPERATURE,
      `nozzle read ${reading} °C, above its ${NOZZLE_LIMIT} °C limit: print stopped, heaters off, nozzle raised (command ${commandId})`,
      { retryable: false },
    );
  }

  private assertNew(specimen: string, commandId: string): void {
    const existing = this.world.specimen(specimen);
    if (existing !== undefined)
      throw new DeviceFaultError(
        'SpecimenExists',
        `specimen ${JSON.stringify(specimen)} was already printed by command ${existing.printedBy}; use a new label (command ${commandId})`,
      );
  }
}
