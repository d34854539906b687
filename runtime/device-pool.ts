import type { Clock } from '../contracts/index.ts';
import { FaultCodes } from '../contracts/index.ts';
import { StepFaultError } from '../workflows/index.ts';
import type { DeviceBus, DeviceState } from './device-bus.ts';

interface Waiter {
  kind: string;
  command: string;
  holder: string;
  only: string | undefined;
  resolve(device: DeviceState): void;
  reject(error: unknown): void;
  timer: unknown;
}

/**
 * Hands out idle online devices, one holder at a time, first come first served. A request for a kind with no
 * device online fails with `NoDeviceAvailable` after `noDeviceTimeout`; while at least one is online it waits
 * for its turn however long that takes.
 */
export class DevicePool {
  private readonly held = new Map<string, string>();
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly bus: DeviceBus,
    private readonly clock: Clock,
    private readonly noDeviceTimeout = 5 * 60_000,
  ) {
    bus.on('status', () => this.serve());
  }

  /**
   * Resolves with a device of `kind` offering `command`, held by `holder` until {@link release}. With `only`,
   * waits for that device and no other (a command already sent must go back to the device that got it).
   */
  acquire(
    kind: string,
    command: string,
    holder: string,
    options: { signal?: AbortSignal; only?: string } = {},
  ): Promise<DeviceState> {
    const { signal, only } = options;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const waiter: Waiter = {
        kind,
        command,
        holder,
        only,
        resolve: (device) => {
          this.clock.clearTimeout(waiter.timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(device);
        },
        reject: (error) => {
          this.clock.clearTimeout(waiter.timer);
          signal?.removeEventListener('abort', onAbort);
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(error);
        },
        timer: undefined,
      };
      const onAbort = () => waiter.reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.serve();
      if (this.waiters.includes(waiter)) this.armTimeout(waiter);
    });
  }

  /** Gives a device back. */
  release(deviceId: string): void {
    this.held.delete(deviceId);
    this.serve();
  }

  /** Gives back every device `holder` holds (an experiment that was cancelled). */
  releaseHolder(holder: string): void {
    for (const [deviceId, h] of this.held) if (h === holder) this.held.delete(deviceId);
    this.serve();
  }

  private candidates(waiter: Waiter): DeviceState[] {
    return this.bus
      .devicesOfKind(waiter.kind)
      .filter((d) => waiter.only === undefined || d.deviceId === waiter.only)
      .filter((d) => d.descriptor?.capabilities.some((c) => c.command === waiter.command));
  }

  private armTimeout(waiter: Waiter): void {
    if (this.candidates(waiter).length > 0) return;
    waiter.timer = this.clock.setTimeout(() => {
      if (this.candidates(waiter).length > 0) return;
      waiter.reject(
        new StepFaultError({
          code: FaultCodes.NoDeviceAvailable,
          message: `no ${waiter.kind} device offering "${waiter.command}" came online within ${this.noDeviceTimeout / 1000} s`,
          retryable: false,
        }),
      );
    }, this.noDeviceTimeout);
  }

  private serve(): void {
    for (const waiter of [...this.waiters]) {
      const free = this.candidates(waiter).find((d) => !this.held.has(d.deviceId));
      if (free) {
        this.held.set(free.deviceId, waiter.holder);
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(free);
      } else if (waiter.timer === undefined) {
        this.armTimeout(waiter);
      }
    }
  }
}
