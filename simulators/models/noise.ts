import type { Rng } from '../../contracts/index.ts';

/**
 * Multiplies `value` by (1 + relativeSd·N(0, 1)) drawn from `rng`: the measurement noise of every
 * simulated instrument, reproducible from its seed.
 */
export function withNoise(value: number, relativeSd: number, rng: Rng): number {
  return value * (1 + relativeSd * rng.normal());
}

/** Clamps to [0, 1], as a detector that reports fractions of its lamp does. */
export function clampFraction(value: number): number {
  return Math.min(1, Math.max(0, value));
}
