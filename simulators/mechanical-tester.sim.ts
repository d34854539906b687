import {
  type CommandContext,
  type CommandParameters,
  type DeviceDriver,
  DeviceFaultError,
  deviceKinds,
  finishedActions,
  type JournalEntry,
  mechanicalTesterCatalogue,
} from '../devices/index.ts';
import { SimulatorKit } from './internal/sim-kit.ts';
import { compressionResponse, SPECIMEN_SIZE } from './models/lattice.ts';
import { withNoise } from './models/noise.ts';
import type { Simulator, SimulatorOptions } from './simulator.ts';
import type { SimulatedWorld } from './world.ts';

type Catalogue = typeof mechanicalTesterCatalogue;

/** Relative scatter of toughness and peak force between nominally identical specimens. */
const DEFAULT_NOISE = 0.03;
/** Crosshead speed, mm/s, and the time to mount a specimen and zero the load cell, s. */
const CROSSHEAD_SPEED = 0.1;
const SETUP_TIME = 30;

/** What a compression test reports. */
export interface CompressionOutput {
  specimen: string;
  /** J */
  toughness: number;
  /** N */
  peakForce: number;
  fractured: boolean;
  stoppedBy: 'strain' | 'force';
}

/** A simulated universal testing machine in compression; each specimen of the shared world breaks once. */
export class SimulatedMechanicalTester implements Simulator<Catalogue> {
  readonly kind = 'mechanical-tester';
  readonly model = 'labloop UTM-20 (simulated)';
  readonly firmware = 'sim-1.0.0';
  readonly catalogue = mechanicalTesterCatalogue;
  private readonly kit: SimulatorKit;
  private readonly world: SimulatedWorld;
  private readonly noise: number;
  private load = 0;

  constructor(options: SimulatorOptions) {
    this.kit = new SimulatorKit(options);
    this.world = options.world;
    this.noise = options.noise ?? DEFAULT_NOISE;
  }

  /** Compresses a printed, untested specimen and reports the energy it absorbed and its peak force. */
  async compress(
    { specimen, maxForce, strain }: CommandParameters<Catalogue, 'compress'>,
    context: CommandContext,
  ): Promise<CompressionOutput> {
    const fault = this.kit.plannedFault(context);
    const printed = this.world.specimen(specimen);
    if (printed === undefined)
      throw new DeviceFaultError(
        'SpecimenMissing',
        `specimen ${JSON.stringify(specimen)} was never printed (command ${context.commandId})`,
      );
    const testedBy = this.world.testedBy(specimen);
    if (testedBy !== undefined)
      throw new DeviceFaultError(
        'SpecimenAlreadyTested',
        `specimen ${JSON.stringify(specimen)} was already crushed by command ${testedBy} (command ${context.commandId})`,
      );
    const truth = compressionResponse(printed.design, { strain, maxForce });
    const seconds = SETUP_TIME + ((strain / 100) * SPECIMEN_SIZE) / CROSSHEAD_SPEED;
    try {
      this.load = truth.peakForce / 2;
      await this.kit.perform(context, seconds, fault, 5);
    } finally {
      this.load = 0;
    }
    if (!this.world.markTested(specimen, context.commandId))
      throw new DeviceFaultError(
        'SpecimenAlreadyTested',
        `specimen ${JSON.stringify(specimen)} was crushed by command ${this.world.testedBy(specimen)} during this test (command ${context.commandId})`,
      );
    const rng = this.kit.rngFor(context);
    return {
      specimen,
      toughness: Math.max(0, withNoise(truth.toughness, this.noise, rng)),
      peakForce: Math.min(maxForce, Math.max(0, withNoise(truth.peakForce, this.noise, rng))),
      fractured: truth.fractured,
      stoppedBy: truth.stoppedBy,
    };
  }

  driver(): DeviceDriver<Catalogue> {
    return {
      commands: { compress: (p, c) => this.compress(p, c) },
      telemetry: () => ({ load: this.load }),
      safeState: async () => {
        this.load = 0;
        return { safeState: deviceKinds['mechanical-tester'].safeState, load: this.load };
      },
    };
  }

  restore(entries: readonly JournalEntry[]): void {
    this.kit.faultPlan.restore(entries);
    for (const action of finishedActions(entries))
      if (action.command === 'compress')
        this.world.markTested(String(action.output.specimen), action.commandId);
  }
}
