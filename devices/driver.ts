import type { Clock } from '../contracts/index.ts';
import type { CapabilityCatalogue, CommandParameters } from './capabilities.ts';
import type { DeviceFaultError } from './errors.ts';

/** What a driver's handler gets besides its parameters. */
export interface CommandContext {
  readonly commandId: string;
  /** The campaign the command belongs to, when the orchestrator says so. */
  readonly campaignId: string | undefined;
  readonly command: string;
  /** ms since the epoch on the agent's clock; the orchestrator stops waiting after it. */
  readonly deadline: number;
  readonly clock: Clock;
  /** Aborts when the agent is killed: stop acting, nothing more will be recorded. */
  readonly signal: AbortSignal;
  /** Reports how far the command is, 0–1, as a `progress` event. */
  progress(fraction: number, message?: string): void;
}

/** One handler per command of the catalogue: does the physical action and returns its output, a JSON object. */
export type CommandHandlers<C extends CapabilityCatalogue> = {
  [K in keyof C & string]: (parameters: CommandParameters<C, K>, context: CommandContext) => Promise<object>;
};

/**
 * The instrument side of an agent. Handlers throw {@link DeviceFaultError} for faults the orchestrator
 * should see by name; anything else they throw becomes a `DriverError` fault.
 */
export interface DeviceDriver<C extends CapabilityCatalogue> {
  commands: CommandHandlers<C>;
  /** Current readings for telemetry, name → number (units documented by the device kind). */
  telemetry?(): Record<string, number>;
  /**
   * Puts the instrument in its safe state now (heaters off, pumps stopped, load released), after the agent has
   * aborted the running command. Returns what it did, for the answer to the emergency stop.
   */
  safeState?(): Promise<Record<string, unknown>>;
}
