import type { Clock } from '../../../contracts/index.ts';

/**
 * A clock for tests that moves only when told: `advance(ms)` moves time and runs the timers that fall due.
 * Lets a test state exactly how long an endpoint took.
 */
export class ManualClock implements Clock {
  private timers = new Map<object, { at: number; fn: () => void }>();
  constructor(private t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const handle = {};
    this.timers.set(handle, { at: this.t + ms, fn });
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as object);
  }
  /** Moves time forward and runs every timer due by then, in order. */
  advance(ms: number): void {
    this.t += ms;
    const due = [...this.timers.entries()]
      .filter(([, t]) => t.at <= this.t)
      .sort((a, b) => a[1].at - b[1].at);
    for (const [handle, timer] of due) {
      this.timers.delete(handle);
      timer.fn();
    }
  }
}
