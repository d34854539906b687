import {
  createRng,
  type FaultPlanEntry,
  FaultPlanEntrySchema,
  type Rng,
  seedFrom,
  sleep,
} from '../../contracts/index.ts';
import { type CommandContext, DeviceFaultError, type JournalEntry } from '../../devices/index.ts';
import type { SimulatorOptions } from '../simulator.ts';

/**
 * A simulator's fault plan. An entry matches executions of its `command` (all commands when absent);
 * with `every` only each n-th matching execution is eligible; with `probability` an eligible execution
 * fails with that chance, drawn from a stream seeded by the commandId so replays fail the same way;
 * with neither, every matching execution fails.
 */
export class FaultPlan {
  private readonly entries: readonly FaultPlanEntry[];
  private readonly counts: number[];

  constructor(
    entries: readonly FaultPlanEntry[],
    private readonly seed: number,
    private readonly deviceId: string,
  ) {
    this.entries = entries.map((entry) => FaultPlanEntrySchema.parse(entry));
    this.counts = this.entries.map(() => 0);
  }

  /** Counts this execution and returns the fault it must end in, if any. */
  next(command: string, commandId: string): DeviceFaultError | undefined {
    let fault: DeviceFaultError | undefined;
    this.entries.forEach((entry, i) => {
      if (entry.command !== undefined && entry.command !== command) return;
      const count = (this.counts[i] ?? 0) + 1;
      this.counts[i] = count;
      if (fault !== undefined) return;
      if (entry.every !== undefined && count % entry.every !== 0) return;
      if (entry.probability !== undefined) {
        const draw = createRng(seedFrom(this.seed, this.deviceId, 'fault', i, commandId)).next();
        if (draw >= entry.probability) return;
      }
      fault = new DeviceFaultError(
        entry.code,
        `${entry.message} (fault plan: ${describe(entry)}, command ${commandId})`,
        {
          retryable: entry.retryable,
        },
      );
    });
    return fault;
  }

  /** Replays the executions a journal records, so `every` keeps counting across a restart. */
  restore(entries: readonly JournalEntry[]): void {
    for (const entry of entries) {
      if (entry.type !== 'begin') continue;
      this.entries.forEach((plan, i) => {
        if (plan.command === undefined || plan.command === entry.command)
          this.counts[i] = (this.counts[i] ?? 0) + 1;
      });
    }
  }
}

function describe(entry: FaultPlanEntry): string {
  const parts = [entry.command ?? 'any command'];
  if (entry.every !== undefined) parts.push(`every ${entry.every}`);
  if (entry.probability !== undefined) parts.push(`p ${entry.probability}`);
  return parts.join(', ');
}

/** The timing, noise and fault machinery one simulator uses. */
export class SimulatorKit {
  readonly faultPlan: FaultPlan;
  readonly durationScale: number;

  constructor(readonly options: SimulatorOptions) {
    this.faultPlan = new FaultPlan(options.faults ?? [], options.seed, options.deviceId);
    this.durationScale = options.durationScale ?? 1;
    if (!(this.durationScale >= 0))
      throw new RangeError(
        `durationScale must be ≥ 0, got ${this.durationScale} (device ${options.deviceId})`,
      );
  }

  /** A noise stream of its own per command: the same command measures the same after any restart. */
  rngFor(context: Pick<CommandContext, 'commandId' | 'campaignId'>): Rng {
    // Keyed by the command's place in its campaign, not by the campaign's id or the device that took it, so a
    // replay of a campaign (a new id, maybe other devices) measures with the same noise.
    const { commandId, campaignId } = context;
    const relative =
      campaignId && commandId.startsWith(campaignId) ? commandId.slice(campaignId.length) : commandId;
    return createRng(seedFrom(this.options.seed, relative));
  }

  /**
   * Counts one execution against the fault plan; call it first in every handler, so the count matches the
   * journal's `begin` lines that {@link FaultPlan.restore} replays.
   */
  plannedFault(context: CommandContext): DeviceFaultError | undefined {
    return this.faultPlan.next(context.command, context.commandId);
  }

  /**
   * Spends `seconds` (scaled) of simulated time in `steps` slices, reporting progress after each. With a
   * planned fault it fails half-way with it, before the handler changes anything.
   */
  async perform(
    context: CommandContext,
    seconds: number,
    fault: DeviceFaultError | undefined,
    steps = 4,
  ): Promise<void> {
    const total = seconds * 1000 * this.durationScale;
    // A step that takes no time reports its end only: slices of nothing are messages for nothing.
    const slices = total === 0 ? 1 : steps;
    for (let i = 1; i <= slices; i++) {
      await sleep(context.clock, total / slices, context.signal);
      if (fault !== undefined && i * 2 >= slices) throw fault;
      context.progress(i / slices);
    }
  }
}
