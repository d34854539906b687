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
      safeState: async () => {
        this.nozzle = IDLE_TEMPERATURE;
        return { safeState: deviceKinds['printer-3d'].safeState, nozzleTemperature: this.nozzle };
      },
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

  private assertNew(specimen: string, commandId: string): void {
    const existing = this.world.specimen(specimen);
    if (existing !== undefined)
      throw new DeviceFaultError(
        'SpecimenExists',
        `specimen ${JSON.stringify(specimen)} was already printed by command ${existing.printedBy}; use a new label (command ${commandId})`,
      );
  }
}
