import { performance } from 'node:perf_hooks';

/**
 * Time, injected. Everything that waits or stamps takes a clock, so simulated instruments and the runtime
 * can run hours of instrument time in milliseconds. Its timer half has XState's clock shape, so the same
 * object drives `after` transitions.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch on this clock. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * A clock that runs `speed` times faster than the wall clock: with `speed` 3600 an hour-long step takes a
 * second. Timers keep their order and every wait still ends, so timeouts behave as they would in real time.
 *
 * @example
 * const clock = new ScaledClock(1e5); // an hour in 36 ms
 */
export class ScaledClock implements Clock {
  private readonly startWall = Date.now();
  private readonly startPerf = performance.now();
  constructor(readonly speed: number) {
    if (!(speed > 0) || !Number.isFinite(speed))
      throw new RangeError(`clock speed must be a positive finite number, got ${speed}`);
  }
  now(): number {
    return Math.floor(this.startWall + (performance.now() - this.startPerf) * this.speed);
  }
  setTimeout(fn: () => void, ms: number): unknown {
    return setTimeout(fn, ms / this.speed);
  }
  clearTimeout(handle: unknown): void {
    clearTimeout(handle as NodeJS.Timeout);
  }
}

/** Resolves after `ms` on `clock`; rejects with the signal's reason if it aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 && !signal?.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
