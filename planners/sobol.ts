import type { Rng } from '../contracts/index.ts';
import { UnsupportedSpecError } from './errors.ts';
import { JOE_KUO } from './internal/joe-kuo.ts';
import type { SobolState } from './state.ts';

/** Bits of precision per coordinate (SciPy's default): points are multiples of 2^-30, at most 2^30 of them. */
export const SOBOL_BITS = 30;
/** The most dimensions the embedded Joe–Kuo table covers. */
export const SOBOL_MAX_DIMENSION = JOE_KUO.length + 1;
const SCALE = 2 ** -SOBOL_BITS;
/** The most points a sequence draws (each coordinate is a multiple of 2^-SOBOL_BITS). */
export const SOBOL_MAX_POINTS = 2 ** SOBOL_BITS;

/** Direction numbers of the unscrambled sequence (Bratley–Fox recurrence over the Joe–Kuo initial values). */
function directionNumbers(dimension: number): number[][] {
  const rows: number[][] = [];
  for (let d = 0; d < dimension; d++) {
    const v = new Array<number>(SOBOL_BITS).fill(0);
    if (d === 0) {
      for (let j = 0; j < SOBOL_BITS; j++) v[j] = 2 ** (SOBOL_BITS - 1 - j);
    } else {
      const { degree: s, coefficients: a, initial: m } = JOE_KUO[d - 1] as (typeof JOE_KUO)[number];
      for (let j = 0; j < Math.min(s, SOBOL_BITS); j++)
        v[j] = ((m[j] as number) << (SOBOL_BITS - 1 - j)) >>> 0;
      for (let j = s; j < SOBOL_BITS; j++) {
        const back = v[j - s] as number;
        let next = back ^ (back >>> s);
        for (let k = 1; k < s; k++) if ((a >>> (s - 1 - k)) & 1) next ^= v[j - k] as number;
        v[j] = next >>> 0;
      }
    }
    rows.push(v);
  }
  return rows;
}

function parity(x: number): number {
  let y = x ^ (x >>> 16);
  y ^= y >>> 8;
  y ^= y >>> 4;
  y ^= y >>> 2;
  y ^= y >>> 1;
  return y & 1;
}

/**
 * Matoušek's linear matrix scramble: each direction number's bits (most significant first) are multiplied over
 * GF(2) by a random lower-triangular matrix with a unit diagonal, so every output digit depends on itself and
 * the more significant digits. This is what SciPy's `qmc.Sobol(scramble=True)` does before its digital shift.
 */
function scrambleDirections(directions: number[][], rng: Rng): void {
  for (const row of directions) {
    // masks[p]: which input bits feed output bit p, both counted from the most significant end.
    const masks = new Array<number>(SOBOL_BITS);
    for (let p = 0; p < SOBOL_BITS; p++) {
      let mask = 2 ** (SOBOL_BITS - 1 - p);
      for (let k = 0; k < p; k++) if (rng.next() < 0.5) mask |= 2 ** (SOBOL_BITS - 1 - k);
      masks[p] = mask;
    }
    for (let j = 0; j < SOBOL_BITS; j++) {
      const v = row[j] as number;
      let out = 0;
      for (let p = 0; p < SOBOL_BITS; p++)
        if (parity(v & (masks[p] as number))) out |= 2 ** (SOBOL_BITS - 1 - p);
      row[j] = out >>> 0;
    }
  }
}

/**
 * A (scrambled) Sobol low-discrepancy sequence in `[0, 1)^d`, in Gray-code order like SciPy's.
 *
 * @example
 * const sobol = SobolSequence.create(3, { rng: createRng(7) }); // scrambled
 * const points = [sobol.next(), sobol.next()];
 * const again = SobolSequence.restore(sobol.state()); // continues with the third point
 */
export class SobolSequence {
  private constructor(
    private readonly directions: readonly number[][],
    private readonly shift: readonly number[],
    private index: number,
  ) {}

  /**
   * Starts a sequence. With `rng` it is scrambled (linear matrix scramble plus digital shift, drawn from `rng`);
   * without, it is the plain Joe–Kuo sequence whose first point is the origin.
   */
  static create(dimension: number, options: { rng?: Rng } = {}): SobolSequence {
    if (!Number.isInteger(dimension) || dimension < 1 || dimension > SOBOL_MAX_DIMENSION)
      throw new UnsupportedSpecError(
        `a Sobol sequence needs 1–${SOBOL_MAX_DIMENSION} dimensions (the embedded Joe–Kuo table), got ${dimension}`,
      );
    const directions = directionNumbers(dimension);
    const shift = new Array<number>(dimension).fill(0);
    const { rng } = options;
    if (rng) {
      for (let d = 0; d < dimension; d++) shift[d] = Math.floor(rng.next() * SOBOL_MAX_POINTS);
      scrambleDirections(directions, rng);
    }
    return new SobolSequence(directions, shift, 0);
  }

  /** Continues a sequence from {@link SobolSequence.state}; the state is trusted to be schema-valid. */
  static restore(state: SobolState): SobolSequence {
    return new SobolSequence(
      state.directions.map((row) => [...row]),
      [...state.shift],
      state.index,
    );
  }

  /** Number of coordinates of each point. */
  get dimension(): number {
    return this.directions.length;
  }

  /** How many points have been drawn so far. */
  get position(): number {
    return this.index;
  }

  /** The point at `index` (0-based) without moving the sequence. */
  at(index: number): Float64Array {
    const gray = index ^ Math.floor(index / 2);
    const point = new Float64Array(this.dimension);
    for (let d = 0; d < this.dimension; d++) {
      const row = this.directions[d] as number[];
      let x = this.shift[d] as number;
      for (let j = 0, g = gray; g > 0; j++, g = Math.floor(g / 2)) if (g & 1) x ^= row[j] as number;
      point[d] = (x >>> 0) * SCALE;
    }
    return point;
  }

  /** The next point of the sequence. */
  next(): Float64Array {
    if (this.index >= SOBOL_MAX_POINTS)
      throw new UnsupportedSpecError(`a Sobol sequence has at most 2^${SOBOL_BITS} points, all drawn`);
    const point = this.at(this.index);
    this.index++;
    return point;
  }

  /** The sequence's state as plain JSON. */
  state(): SobolState {
    return {
      dimension: this.dimension,
      index: this.index,
      directions: this.directions.map((row) => [...row]),
      shift: [...this.shift],
    };
  }
}
