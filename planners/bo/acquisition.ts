import type { GaussianProcess } from './gp.ts';
import { logH, logNormalCdf } from './normal.ts';

/** Which acquisition function ranks candidate points. */
export type AcquisitionKind = 'logei' | 'ucb';

/** Options of {@link createAcquisition}. */
export interface AcquisitionOptions {
  kind: AcquisitionKind;
  /**
   * Incumbent in the GP's standardised units (LogEI): the best posterior mean at an observed point that meets
   * the outcome constraints; −Infinity when none does, and then only the probability of feasibility counts.
   */
  best: number;
  /** Models of outcome constraints (LogEI only): the acquisition adds log P(constraint holds) for each. */
  feasibility?: readonly FeasibilityModel[];
  /** Exploration weight β of UCB, μ + √β·σ. @default 4 */
  beta?: number;
}

/** A GP of a constrained outcome, oriented so the constraint holds where the outcome is ≥ `threshold`. */
export interface FeasibilityModel {
  gp: GaussianProcess;
  /** The bound in the GP's standardised units. */
  threshold: number;
}

/**
 * An acquisition function of a GP in its input space, to be maximised: returns the value at `x` and, when
 * `gradient` is given, writes d value / dx into it.
 */
export type AcquisitionFunction = (x: Float64Array, gradient?: Float64Array) => number;

/**
 * Builds LogEI or UCB on `gp`. LogEI is log E[max(f(x) − best, 0)] = log σ + log h((μ − best)/σ), computed in
 * log space so it stays finite and has a useful gradient where EI underflows (Ament et al., NeurIPS 2023).
 * Using the best posterior mean rather than the best noisy observation as `best` makes it noise-aware: one
 * lucky noisy measurement does not freeze the search.
 *
 * @example
 * const acq = createAcquisition(gp, { kind: 'logei', best: incumbent(gp) });
 * const value = acq(Float64Array.from([0.2, 0.7]));
 */
export function createAcquisition(gp: GaussianProcess, options: AcquisitionOptions): AcquisitionFunction {
  const dim = gp.dim;
  const dMean = new Float64Array(dim);
  const dVar = new Float64Array(dim);
  const sqrtBeta = Math.sqrt(options.beta ?? 4);
  return (x, gradient) => {
    const { mean, variance } = gradient ? gp.predict(x, dMean, dVar) : gp.predict(x);
    const sigma = Math.sqrt(variance);
    if (options.kind === 'ucb') {
      if (gradient)
        for (let i = 0; i < dim; i++)
          gradient[i] = (dMean[i] as number) + (sqrtBeta * (dVar[i] as number)) / (2 * sigma);
      return mean + sqrtBeta * sigma;
    }
    let value = 0;
    if (Number.isFinite(options.best)) {
      const z = (mean - options.best) / sigma;
      const h = logH(z);
      if (gradient)
        for (let i = 0; i < dim; i++) {
          const dSigma = (dVar[i] as number) / (2 * sigma);
          const dz = ((dMean[i] as number) - z * dSigma) / sigma;
          gradient[i] = h.gradient * dz + dSigma / sigma;
        }
      value = h.value + Math.log(sigma);
    } else if (gradient) gradient.fill(0);
    for (const model of options.feasibility ?? []) value += logFeasibility(model, x, gradient);
    return value;
  };
}

/**
 * `acquisition` (a log-scale one) plus log P(every outcome constraint holds), with the gradient: constrained
 * expected (hypervolume) improvement.
 */
export function withFeasibility(
  acquisition: AcquisitionFunction,
  feasibility: readonly FeasibilityModel[],
): AcquisitionFunction {
  if (feasibility.length === 0) return acquisition;
  return (x, gradient) => {
    let value = acquisition(x, gradient);
    for (const model of feasibility) value += logFeasibility(model, x, gradient);
    return value;
  };
}

/** log P(g(x) ≥ threshold) under the constraint's GP, adding its gradient into `gradient`. */
function logFeasibility(model: FeasibilityModel, x: Float64Array, gradient?: Float64Array): number {
  const dim = model.gp.dim;
  const dMean = new Float64Array(dim);
  const dVar = new Float64Array(dim);
  const { mean, variance } = gradient ? model.gp.predict(x, dMean, dVar) : model.gp.predict(x);
  const sigma = Math.sqrt(variance);
  const z = (mean - model.threshold) / sigma;
  const p = logNormalCdf(z);
  if (gradient)
    for (let i = 0; i < dim; i++) {
      const dSigma = (dVar[i] as number) / (2 * sigma);
      gradient[i] = (gradient[i] as number) + (p.gradient * ((dMean[i] as number) - z * dSigma)) / sigma;
    }
  return p.value;
}

/**
 * The noise-aware incumbent: the largest posterior mean over the GP's first `count` training points (the real
 * observations, not fantasies) for which `feasible` holds, in standardised units; −Infinity when none does.
 */
export function incumbent(
  gp: GaussianProcess,
  count = gp.n,
  feasible: (index: number) => boolean = () => true,
): number {
  let best = Number.NEGATIVE_INFINITY;
  for (let a = 0; a < count; a++) if (feasible(a)) best = Math.max(best, gp.trainingMean(a));
  return best;
}

/**
 * A local-optimum escape: `acquisition` plus log(1 − exp(−r²/2)), r the distance to `centre` (the incumbent) in
 * units of the GP's `lengthscales`. It is −∞ at the incumbent and fades within about two lengthscales, so the
 * maximiser looks for the most promising point outside the basin already exploited. The `bo` planner uses it
 * for every other proposal (one in three up to 3 parameters): on Hartmann-6 (10 seeds, 100 evaluations) it
 * takes 3 of the 4 runs that plain LogEI leaves in the 0.12-regret local optimum to the global one.
 */
export function escapeBasin(
  acquisition: AcquisitionFunction,
  centre: ArrayLike<number>,
  lengthscales: readonly number[],
): AcquisitionFunction {
  const inv = lengthscales.map((l) => 1 / (l * l));
  return (x, gradient) => {
    const value = acquisition(x, gradient);
    let r2 = 0;
    for (let i = 0; i < x.length; i++)
      r2 += ((x[i] as number) - (centre[i] as number)) ** 2 * (inv[i] as number);
    const near = Math.exp(-r2 / 2);
    if (gradient)
      for (let i = 0; i < x.length; i++)
        gradient[i] =
          (gradient[i] as number) +
          (near / (1 - near)) * ((x[i] as number) - (centre[i] as number)) * (inv[i] as number);
    return value + Math.log1p(-near);
  };
}
