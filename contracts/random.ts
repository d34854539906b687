/** The four 32-bit words of a {@link Rng}'s state, for persisting and restoring it. */
export type RngState = readonly [number, number, number, number];

/** A seeded random number generator (xoshiro128**): the same seed gives the same sequence everywhere. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  state(): RngState;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Hashes a string (FNV-1a) into a 32-bit seed, so `"lh-1"` and `"lh-2"` get independent streams. */
export function seedFrom(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u0000')) {
    h ^= ch.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Creates a generator from a seed, or resumes one from a saved state.
 *
 * @example
 * const rng = createRng(42);
 * const again = createRng(rng.state()); // continues where rng is
 */
export function createRng(seedOrState: number | RngState): Rng {
  const s = new Uint32Array(4);
  if (typeof seedOrState === 'number') {
    const mix = splitmix32(seedOrState);
    for (let i = 0; i < 4; i++) s[i] = mix();
  } else {
    s.set(seedOrState);
  }
  const nextU32 = (): number => {
    const s0 = s[0] as number;
    const s1 = s[1] as number;
    const s2 = s[2] as number;
    const s3 = s[3] as number;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s[2] = s2 ^ s0;
    s[3] = s3 ^ s1;
    s[1] = s1 ^ (s[2] as number);
    s[0] = s0 ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = rotl(s[3] as number, 11);
    return result;
  };
  const next = () => nextU32() / 0x1_0000_0000;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => {
      const u = 1 - next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    state: () => [s[0] as number, s[1] as number, s[2] as number, s[3] as number],
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
