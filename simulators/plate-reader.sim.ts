import {
  type CommandContext,
  type CommandParameters,
  type DeviceDriver,
  DeviceFaultError,
  deviceKinds,
  finishedActions,
  type JournalEntry,
  plateReaderCatalogue,
} from '../devices/index.ts';
import { SimulatorKit } from './internal/sim-kit.ts';
import { type Rgb, transmittedLight } from './models/colour.ts';
import { clampFraction, withNoise } from './models/noise.ts';
import type { Simulator, SimulatorOptions } from './simulator.ts';
import type { SimulatedWorld } from './world.ts';

type Catalogue = typeof plateReaderCatalogue;

/** Seconds one read takes: move the plate, settle, read three filters. */
const READ_TIME = 20;
/** Relative noise of one reading when the campaign sets none. */
const DEFAULT_NOISE = 0.01;

/** A simulated three-filter absorbance plate reader that reads the wells of the shared world. */
export class SimulatedPlateReader implements Simulator<Catalogue> {
  readonly kind = 'plate-reader';
  readonly model = 'labloop PR-3 (simulated)';
  readonly firmware = 'sim-1.0.0';
  readonly catalogue = plateReaderCatalogue;
  private readonly kit: SimulatorKit;
  private readonly world: SimulatedWorld;
  private readonly noise: number;
  private reads = 0;

  constructor(options: SimulatorOptions) {
    this.kit = new SimulatorKit(options);
    this.world = options.world;
    this.noise = options.noise ?? DEFAULT_NOISE;
  }

  /** Reads the light a well transmits at 620, 540 and 450 nm, as fractions of the lamp (0–1). */
  async measure(
    { plate, well }: CommandParameters<Catalogue, 'measure'>,
    context: CommandContext,
  ): Promise<Rgb> {
    const fault = this.kit.plannedFault(context);
    if (!this.world.hasPlate(plate))
      throw new DeviceFaultError(
        'PlateMissing',
        `no plate ${JSON.stringify(plate)} is loaded: nothing was ever dispensed into it (command ${context.commandId})`,
      );
    const contents = this.world.well(plate, well);
    if (contents === undefined)
      throw new DeviceFaultError(
        'WellEmpty',
        `well ${plate}/${well} is empty (command ${context.commandId})`,
      );
    await this.kit.perform(context, READ_TIME, fault, 3);
    const truth = transmittedLight(contents.volumes);
    const rng = this.kit.rngFor(context);
    this.reads++;
    return {
      r: clampFraction(withNoise(truth.r, this.noise, rng)),
      g: clampFraction(withNoise(truth.g, this.noise, rng)),
      b: clampFraction(withNoise(truth.b, this.noise, rng)),
    };
  }

  driver(): DeviceDriver<Catalogue> {
    return {
      commands: { measure: (p, c) => this.measure(p, c) },
      telemetry: () => ({ reads: this.reads }),
      safeState: async () => ({ safeState: deviceKinds['plate-reader'].safeState }),
    };
  }

  restore(entries: readonly JournalEntry[]): void {
    this.kit.faultPlan.restore(entries);
    this.reads += finishedActions(entries).filter((a) => a.command === 'measure').length;
  }
}
