/**
 * The error family of `devices/`. Only {@link DeviceFaultError} crosses the process boundary, and it does
 * so as data: the agent turns it into a `fault` event `{ code, message, retryable }`.
 */

/**
 * A typed fault a driver throws when the instrument cannot do what was asked (a reservoir is empty, a
 * nozzle clogged). `code` is a stable PascalCase name that orchestrators match on.
 *
 * @example
 * throw new DeviceFaultError('ReservoirEmpty', 'reservoir red holds 20 µL, the mix needs 50 µL', { retryable: false });
 */
export class DeviceFaultError extends Error {
  override readonly name = 'DeviceFaultError';
  /** Whether trying the same thing again (with a new commandId) may succeed. */
  readonly retryable: boolean;
  constructor(
    /** PascalCase fault code, e.g. `ReservoirEmpty`. */
    readonly code: string,
    message: string,
    options: ErrorOptions & { retryable?: boolean } = {},
  ) {
    super(message, options);
    if (!/^[A-Z][A-Za-z0-9]*$/.test(code))
      throw new TypeError(`fault code must be a PascalCase error name, got ${JSON.stringify(code)}`);
    this.retryable = options.retryable ?? false;
  }
}

/** The device agent could not start, connect, announce itself or stop. */
export class DeviceAgentError extends Error {
  override readonly name = 'DeviceAgentError';
  constructor(
    /** The device the agent speaks for. */
    readonly deviceId: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`device ${deviceId}: ${message}`, options);
  }
}

/** A command journal file is unreadable or holds a line that is not a journal entry. */
export class JournalError extends Error {
  override readonly name = 'JournalError';
  constructor(
    /** The journal's file path. */
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`journal ${path}: ${message}`, options);
  }
}

/** A device kind or command that the capability catalogue does not know. */
export class CatalogueError extends Error {
  override readonly name = 'CatalogueError';
}
