import type { Rng } from '../../contracts/index.ts';
import { SobolSequence } from '../sobol.ts';
import type { AcquisitionFunction } from './acquisition.ts';
import type { FeatureSpace, UnitBox } from './features.ts';
import { minimiseBox } from './optimise.ts';

/** Options of {@link optimiseAcquisition}. */
export interface AcquisitionSearchOptions {
  rng: Rng;
  /** Unit-cube points of the best observations: candidates are also drawn around them. */
  around: readonly Float64Array[];
  /** Space-filling candidates scored before any gradient step. @default 1024 */
  rawSamples?: number;
  /** Candidates drawn around each point of `around`. @default 64 */
  localSamples?: number;
  /** Best candidates refined by L-BFGS. @default 8 */
  restarts?: number;
  /** L-BFGS iterations per restart. @default 60 */
  maxIterations?: number;
  /** Restricts the search to this box of the unit cube (a trust region). @default the whole cube */
  box?: UnitBox;
  /**
   * Maps a unit-cube point onto the feasible set (sum constraints). With it, candidates are repaired before
   * scoring and refined by a shrinking Gaussian local search instead of L-BFGS, whose box cannot hold a sum.
   * @default none
   */
  repair?: (unit: Float64Array) => Float64Array;
}

/** The best point found, in features and unit-cube coordinates, already rounded onto the design space. */
export interface AcquisitionOptimum {
  features: Float64Array;
  unit: Float64Array;
  value: number;
}

/**
 * Maximises an acquisition function over a feature space: scores a scrambled Sobol set plus Gaussian
 * perturbations of the best observations (as BoTorch's `sample_around_best` does), refines the best few with
 * box L-BFGS on the analytic gradient (categorical blocks stay at their candidate's choice), rounds each result
 * onto the design space and keeps the best rounded point.
 */
export function optimiseAcquisition(
  acquisition: AcquisitionFunction,
  space: FeatureSpace,
  options: AcquisitionSearchOptions,
): AcquisitionOptimum {
  const { rng } = options;
  const dim = space.encoding.dimension;
  const { box } = options;
  const lo = (j: number) => (box ? (box.lower[j] as number) : 0);
  const hi = (j: number) => (box ? (box.upper[j] as number) : 1);
  const candidates: Float64Array[] = [];
  const sobol = SobolSequence.create(dim, { rng });
  for (let i = 0; i < (options.rawSamples ?? 1024); i++) {
    const u = sobol.next().map((v, j) => lo(j) + v * (hi(j) - lo(j)));
    candidates.push(space.fromUnit(options.repair ? options.repair(u) : u));
  }
  for (const centre of options.around)
    for (let i = 0; i < (options.localSamples ?? 64); i++) {
      // Two scales: a broad look around the incumbent and a fine one for the last digits.
      const scale = i % 2 === 0 ? 0.1 : 0.01;
      const unit = Float64Array.from(centre, (u, j) =>
        Math.min(hi(j), Math.max(lo(j), u + scale * rng.normal())),
      );
      candidates.push(space.fromUnit(options.repair ? options.repair(unit) : unit));
    }
  const global = candidates.length - options.around.length * (options.localSamples ?? 64);
  const scored = candidates.map((features, i) => ({
    features,
    value: acquisition(features),
    global: i < global,
  }));
  const byValue = (a: { value: number }, b: { value: number }) =>
    b.value > a.value ? 1 : b.value < a.value ? -1 : Number.isNaN(a.value) ? 1 : -1;
  scored.sort(byValue);
  // Half the restarts go to the best space-filling candidates even when the local ones score higher, so a
  // second basin of the acquisition function gets refined too instead of eight starts near the incumbent.
  const restarts = options.restarts ?? 8;
  const starts = scored.slice(0, Math.ceil(restarts / 2));
  for (const c of scored) {
    if (starts.length >= restarts) break;
    if (c.global && !starts.includes(c)) starts.push(c);
  }

  let best: AcquisitionOptimum | undefined;
  const consider = (features: Float64Array) => {
    const rounded = space.round(features);
    const value = acquisition(rounded);
    if (Number.isFinite(value) && (!best || value > best.value))
      best = { features: rounded, unit: space.toUnit(rounded), value };
  };
  if (options.repair) {
    const { repair } = options;
    for (const start of starts) {
      consider(start.features);
      consider(localSearch(acquisition, space, start.features, repair, rng, lo, hi));
    }
  }
  for (const start of options.repair ? [] : starts) {
    const { lower, upper } = space.bounds(start.features, box);
    const result = minimiseBox(
      (x, gradient) => {
        const value = -acquisition(x, gradient);
        for (let i = 0; i < gradient.length; i++) gradient[i] = -(gradient[i] as number);
        return value;
      },
      start.features,
      {
        lower,
        upper,
        maxIterations: options.maxIterations ?? 60,
        gradientTolerance: 1e-7,
        valueTolerance: 1e-12,
      },
    );
    consider(result.x);
    consider(start.features);
  }
  if (!best) {
    // Every score was non-finite (a degenerate model): fall back to the first space-filling candidate.
    const features = space.round(candidates[0] ?? space.fromUnit(new Float64Array(dim).fill(0.5)));
    return { features, unit: space.toUnit(features), value: Number.NEGATIVE_INFINITY };
  }
  return best;
}

/**
 * A (1+λ) search from `start` with a step that shrinks from 0.05 to 0.002 of the cube: each round tries 8
 * Gaussian moves of the continuous coordinates, repaired onto the feasible set, and keeps the best.
 */
function localSearch(
  acquisition: AcquisitionFunction,
  space: FeatureSpace,
  start: Float64Array,
  repair: (unit: Float64Array) => Float64Array,
  rng: Rng,
  lo: (j: number) => number,
  hi: (j: number) => number,
): Float64Array {
  let best = start;
  let bestValue = acquisition(start);
  let unit = space.toUnit(start);
  const rounds = 30;
  for (let round = 0; round < rounds; round++) {
    const scale = 0.05 * (0.002 / 0.05) ** (round / (rounds - 1));
    for (let k = 0; k < 8; k++) {
      const moved = Float64Array.from(unit, (u, j) =>
        space.categorical[j] ? u : Math.min(hi(j), Math.max(lo(j), u + scale * rng.normal())),
      );
      const features = space.fromUnit(repair(moved));
      const value = acquisition(features);
      if (value > bestValue) {
        best = features;
        bestValue = value;
      }
    }
    unit = space.toUnit(best);
  }
  return best;
}
