import type { Clock, FaultPlanEntry } from '../contracts/index.ts';
import type { CapabilityCatalogue, DeviceDriver, DeviceKind, JournalEntry } from '../devices/index.ts';
import type { SimulatedWorld } from './world.ts';

/** What every simulated instrument takes. */
export interface SimulatorOptions {
  deviceId: string;
  world: SimulatedWorld;
  clock: Clock;
  /** Seeds noise and probabilistic faults; each device mixes in its id, each command its commandId. */
  seed: number;
  /** Relative standard deviation of measurement noise; each simulator has its own default. */
  noise?: number;
  faults?: readonly FaultPlanEntry[];
  /** Multiplies every simulated duration; 0 makes steps take no simulated time. @default 1 */
  durationScale?: number;
}

/**
 * A simulated instrument: a plain class per device model whose `driver()` plugs into the device agent.
 * `restore` replays a journal's finished actions into the instrument and the shared world after a restart.
 */
export interface Simulator<C extends CapabilityCatalogue = CapabilityCatalogue> {
  readonly kind: DeviceKind;
  readonly model: string;
  readonly firmware: string;
  readonly catalogue: C;
  driver(): DeviceDriver<C>;
  restore(entries: readonly JournalEntry[]): void;
}
