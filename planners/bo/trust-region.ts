import type { TrustRegionState } from '../state.ts';
import type { FeatureSpace, UnitBox } from './features.ts';

/**
 * A TuRBO-style trust region (Eriksson et al., "Scalable global optimization via local Bayesian optimization",
 * NeurIPS 2019). In 10 or more dimensions a global GP spreads its few observations thin and the acquisition
 * function chases the boundary; searching a box around the incumbent that grows after successes and shrinks
 * after failures keeps the search where the model is informed.
 */

/** Parameters from which the `bo` planner uses a trust region. */
export const TRUST_REGION_MIN_DIMENSION = 10;

/** Trust-region constants from the TuRBO paper, edge lengths in unit-cube units. */
export const TRUST_REGION = { initial: 0.8, min: 2 ** -7, max: 1.6, successTolerance: 3 } as const;

/** A fresh trust region. */
export function initialTrustRegion(): TrustRegionState {
  return { length: TRUST_REGION.initial, successes: 0, failures: 0, best: null, seen: 0, restarts: 0 };
}

/**
 * Accounts for the observations after `state.seen` in `values` (all observations so far, to be maximised),
 * one batch of `batch` points at a time: a batch that improves the best by more than 1e-3·|best| is a
 * success. Three successes double the edge; max(4, d)/batch failures halve it; below 2^-7 it restarts at 0.8.
 */
export function updateTrustRegion(
  state: TrustRegionState,
  values: readonly number[],
  dimension: number,
  batch: number,
): TrustRegionState {
  if (values.length <= state.seen) return state;
  const next = { ...state };
  const fresh = values.slice(state.seen);
  const freshBest = Math.max(...fresh);
  if (next.best === null) {
    next.best = Math.max(...values);
  } else {
    if (freshBest > next.best + 1e-3 * Math.abs(next.best)) {
      next.successes++;
      next.failures = 0;
    } else {
      next.failures++;
      next.successes = 0;
    }
    next.best = Math.max(next.best, freshBest);
  }
  next.seen = values.length;
  const failureTolerance = Math.ceil(Math.max(4 / batch, dimension / batch));
  if (next.successes >= TRUST_REGION.successTolerance) {
    next.length = Math.min(TRUST_REGION.max, 2 * next.length);
    next.successes = 0;
  } else if (next.failures >= failureTolerance) {
    next.length /= 2;
    next.failures = 0;
  }
  if (next.length < TRUST_REGION.min) {
    next.length = TRUST_REGION.initial;
    next.restarts++;
  }
  return next;
}

/**
 * The box around `centre` (unit-cube point of the incumbent): edge `length·w_j` per continuous or integer
 * parameter, with weights w_j ∝ the GP's lengthscales (geometric mean 1), so the box is longer where the
 * function changes slowly. Categorical parameters are not restricted.
 */
export function trustRegionBox(
  space: FeatureSpace,
  centre: ArrayLike<number>,
  lengthscales: readonly number[],
  length: number,
): UnitBox {
  const d = space.offsets.length;
  const numeric = space.offsets.map((offset, j) =>
    space.categorical[j] ? undefined : (lengthscales[offset] ?? 1),
  );
  const logs = numeric.filter((l): l is number => l !== undefined).map(Math.log);
  const geoMean = logs.length > 0 ? Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length) : 1;
  const lower = new Float64Array(d);
  const upper = new Float64Array(d).fill(1);
  numeric.forEach((l, j) => {
    if (l === undefined) return;
    const half = (length * (l / geoMean)) / 2;
    const c = centre[j] as number;
    lower[j] = Math.max(0, c - half);
    upper[j] = Math.min(1, c + half);
  });
  return { lower, upper };
}

/**
 * Parameters up to which the `bo` planner (one objective) spends two proposals in three on refining the
 * incumbent inside {@link incumbentBox} and the third on escaping its basin, instead of alternating escape
 * with a global search.
 */
export const LOCAL_REFINEMENT_MAX_DIMENSION = 3;

/**
 * The box around `centre` (unit-cube point of the incumbent) one GP lengthscale wide per continuous or integer
 * parameter, `centre ± lengthscale/2` clipped to the cube: the neighbourhood where the model is anchored by the
 * incumbent (Matérn-5/2 correlation ≥ 0.83 along each axis), so LogEI inside it refines the optimum instead of
 * chasing the prior variance at the edges of the space. Categorical parameters are not restricted.
 */
export function incumbentBox(
  space: FeatureSpace,
  centre: ArrayLike<number>,
  lengthscales: readonly number[],
): UnitBox {
  const d = space.offsets.length;
  const lower = new Float64Array(d);
  const upper = new Float64Array(d).fill(1);
  space.offsets.forEach((offset, j) => {
    if (space.categorical[j]) return;
    const half = (lengthscales[offset] ?? 1) / 2;
    const c = centre[j] as number;
    lower[j] = Math.max(0, c - half);
    upper[j] = Math.min(1, c + half);
  });
  return { lower, upper };
}
