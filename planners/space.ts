import type { DesignSpace, Parameter, ParameterValues } from '../contracts/index.ts';

/**
 * Maps between the unit cube `[0, 1]^d` (one coordinate per parameter) and a design space, so every strategy
 * samples or optimises in the same place and only this module knows about scales, integers and choices.
 *
 * Continuous parameters map linearly (or linearly in `log` for `scale: 'log'`). Integer and categorical
 * parameters split `[0, 1]` into equal-width bins, one per value, so each value is equally likely under a
 * uniform sample; `encode` returns the bin's centre.
 */
export interface SpaceEncoding {
  readonly space: DesignSpace;
  /** Number of coordinates: one per parameter. */
  readonly dimension: number;
  /** The point of the design space at `unit`; coordinates outside `[0, 1]` are clamped. */
  decode(unit: ArrayLike<number>): ParameterValues;
  /** The unit-cube coordinates of a point of the design space (bin centres for integer and categorical). */
  encode(values: ParameterValues): Float64Array;
}

function clamp01(u: number): number {
  // NaN maps to the low face rather than to an undefined bin.
  return Number.isNaN(u) ? 0 : Math.min(1, Math.max(0, u));
}

/** Index of the equal-width bin of `[0, 1]` that holds `u`, out of `count` bins. */
function binOf(u: number, count: number): number {
  return Math.min(count - 1, Math.floor(clamp01(u) * count));
}

function decodeOne(p: Parameter, u: number): number | string {
  switch (p.type) {
    case 'continuous': {
      const t = clamp01(u);
      // The cube's faces map exactly onto the bounds, which exp(log(x)) would miss by an ulp.
      if (t === 0) return p.low;
      if (t === 1) return p.high;
      const value =
        p.scale === 'log'
          ? Math.exp(Math.log(p.low) + t * (Math.log(p.high) - Math.log(p.low)))
          : p.low + t * (p.high - p.low);
      // exp/log and the multiply can round one ulp past a bound; the space is closed, so clamp.
      return Math.min(p.high, Math.max(p.low, value));
    }
    case 'integer':
      return p.low + binOf(u, p.high - p.low + 1);
    case 'categorical':
      return p.choices[binOf(u, p.choices.length)] as string;
  }
}

function encodeOne(p: Parameter, v: number | string | undefined): number {
  switch (p.type) {
    case 'continuous': {
      const x = v as number;
      return p.scale === 'log'
        ? (Math.log(x) - Math.log(p.low)) / (Math.log(p.high) - Math.log(p.low))
        : (x - p.low) / (p.high - p.low);
    }
    case 'integer':
      return ((v as number) - p.low + 0.5) / (p.high - p.low + 1);
    case 'categorical':
      return (p.choices.indexOf(v as string) + 0.5) / p.choices.length;
  }
}

/**
 * Builds the unit-cube encoding of `space`. The caller checks points with `pointError` before `encode`.
 *
 * @example
 * const enc = createSpaceEncoding([{ name: 'T', type: 'continuous', low: 20, high: 80, scale: 'linear' }]);
 * enc.decode([0.5]); // { T: 50 }
 */
export function createSpaceEncoding(space: DesignSpace): SpaceEncoding {
  return {
    space,
    dimension: space.length,
    decode(unit) {
      const values: ParameterValues = {};
      space.forEach((p, i) => {
        values[p.name] = decodeOne(p, unit[i] ?? 0);
      });
      return values;
    },
    encode(values) {
      const unit = new Float64Array(space.length);
      space.forEach((p, i) => {
        unit[i] = encodeOne(p, values[p.name]);
      });
      return unit;
    },
  };
}
