/**
 * The error family of `simulators/`. Simulated instruments report their faults as `DeviceFaultError`
 * (from `devices/`), which travel as data; these errors are for the people starting simulators.
 */

/** A simulator could not be created or started: an unknown kind, a bad option, a journal that will not open. */
export class SimulatorError extends Error {
  override readonly name = 'SimulatorError';
}
