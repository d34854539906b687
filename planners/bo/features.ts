import type { DesignSpace } from '../../contracts/index.ts';
import { createSpaceEncoding, type SpaceEncoding } from '../space.ts';

/**
 * The GP's input space for a mixed design space: one coordinate in [0, 1] per continuous or integer parameter
 * (the unit-cube coordinate, so log-scale parameters are modelled in log space and integers on a relaxed
 * scale that rounds to equal-width bins), and a one-hot block per categorical parameter, so no false order
 * is imposed on choices.
 */
export interface FeatureSpace {
  readonly encoding: SpaceEncoding;
  /** Number of GP inputs. */
  readonly width: number;
  /** Unit-cube point (one coordinate per parameter) → features. */
  fromUnit(unit: ArrayLike<number>): Float64Array;
  /** Features → unit-cube point; a one-hot block maps to the centre of its largest entry's bin. */
  toUnit(features: ArrayLike<number>): Float64Array;
  /** Snaps features onto the design space: integers to their value, categorical blocks to a vertex. */
  round(features: ArrayLike<number>): Float64Array;
  /**
   * Box for optimising from `features`: [0, 1] per coordinate (or the unit-cube `box` given per parameter),
   * categorical blocks pinned where they are.
   */
  bounds(features: ArrayLike<number>, box?: UnitBox): { lower: Float64Array; upper: Float64Array };
  /** Feature index of each parameter's first coordinate. */
  readonly offsets: readonly number[];
  /** Whether each parameter is categorical (a one-hot block). */
  readonly categorical: readonly boolean[];
}

/** A box in the unit cube, one interval per parameter. */
export interface UnitBox {
  lower: Float64Array;
  upper: Float64Array;
}

interface Slot {
  /** First feature of the parameter. */
  offset: number;
  /** 1 for continuous and integer, the number of choices for categorical. */
  size: number;
  categorical: boolean;
}

/** Builds the feature space of `space`. */
export function createFeatureSpace(space: DesignSpace): FeatureSpace {
  const encoding = createSpaceEncoding(space);
  const slots: Slot[] = [];
  let width = 0;
  for (const p of space) {
    const size = p.type === 'categorical' ? p.choices.length : 1;
    slots.push({ offset: width, size, categorical: p.type === 'categorical' });
    width += size;
  }
  const fromUnit = (unit: ArrayLike<number>): Float64Array => {
    const f = new Float64Array(width);
    slots.forEach((slot, j) => {
      const u = Math.min(1, Math.max(0, unit[j] ?? 0));
      if (slot.categorical) f[slot.offset + Math.min(slot.size - 1, Math.floor(u * slot.size))] = 1;
      else f[slot.offset] = u;
    });
    return f;
  };
  const toUnit = (features: ArrayLike<number>): Float64Array => {
    const unit = new Float64Array(slots.length);
    slots.forEach((slot, j) => {
      if (!slot.categorical) {
        unit[j] = features[slot.offset] as number;
        return;
      }
      let arg = 0;
      for (let c = 1; c < slot.size; c++)
        if ((features[slot.offset + c] as number) > (features[slot.offset + arg] as number)) arg = c;
      unit[j] = (arg + 0.5) / slot.size;
    });
    return unit;
  };
  return {
    encoding,
    width,
    fromUnit,
    toUnit,
    round: (features) => fromUnit(encoding.encode(encoding.decode(toUnit(features)))),
    offsets: slots.map((slot) => slot.offset),
    categorical: slots.map((slot) => slot.categorical),
    bounds(features, box) {
      const lower = new Float64Array(width);
      const upper = new Float64Array(width).fill(1);
      slots.forEach((slot, j) => {
        if (slot.categorical) {
          for (let c = 0; c < slot.size; c++) {
            lower[slot.offset + c] = features[slot.offset + c] as number;
            upper[slot.offset + c] = features[slot.offset + c] as number;
          }
        } else if (box) {
          lower[slot.offset] = box.lower[j] as number;
          upper[slot.offset] = box.upper[j] as number;
        }
      });
      return { lower, upper };
    },
  };
}
