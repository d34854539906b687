import type { Rng } from '../../contracts/index.ts';
import { ModelFitError } from '../errors.ts';
import { matern52, matern52Slope, scaledDistance } from './kernel.ts';
import {
  choleskyInPlace,
  choleskyInverse,
  choleskyWithJitter,
  jitterSteps,
  solveLower,
  solveUpperT,
} from './linalg.ts';
import { minimiseBox } from './optimise.ts';

/**
 * Gaussian-process regression with an ARD Matérn-5/2 kernel, homoscedastic noise and standardised outcomes.
 * Inputs are expected in (roughly) the unit cube: the planner normalises them before they get here.
 *
 * Hyperparameters θ = [log ℓ_1 … log ℓ_D, log s², log(σ²_n − minNoise)] are fitted by MAP (multi-start box
 * L-BFGS on the analytic gradient) under these priors: ℓ ~ Gamma(3, 6), BoTorch's classic default, whose short
 * lengthscales (mode 1/3 of the cube) keep the model uncertain away from data; log σ²_n ~ N(−8, 2²), wide
 * enough for noisy lab measurements (−4) and for deterministic simulations (−16); log s² ~ N(0, 1) on the
 * standardised outcomes. On Branin and Hartmann-6 these beat the dimension-scaled log-normal lengthscale prior
 * of Hvarfner et al. (2024), which is built for much higher dimensions (bench/planners).
 */

/** Prior and bound settings; exported so tests and the planner agree on them. */
export const GP_DEFAULTS = {
  /** Smallest noise variance, in standardised units: keeps noise-free data numerically well-posed. */
  minNoise: 1e-9,
  signalPrior: { mean: 0, sd: 1 },
  noisePrior: { mean: -8, sd: 2 },
  lengthscalePrior: { shape: 3, rate: 6 },
} as const;

/** Options of {@link GaussianProcess.fit}. */
export interface GpFitOptions {
  /** Draws the random restarts. */
  rng: Rng;
  /**
   * Random restarts from the prior. With any, the prior mode is a start too; with none and a warm start, the
   * warm start is the only one. @default 0 with a warm start, else 2
   */
  restarts?: number;
  /** θ to start from, usually the previous fit's. */
  warmStart?: ArrayLike<number>;
  /** L-BFGS iterations per start. @default 50 */
  maxIterations?: number;
  /** Skips fitting and uses `warmStart` as is (for conditioning on fantasies). @default false */
  fixed?: boolean;
}

/** A posterior prediction in standardised outcome units, with gradients when asked for. */
export interface GpPrediction {
  mean: number;
  variance: number;
}

/** Observations that the short probe runs of a multi-start fit see at most (see {@link GaussianProcess.fit}). */
const PROBE_SUBSET = 160;

/** {@link negLogPosterior} on `size` evenly spaced observations of the n given. */
function subsetObjective(
  x: Float64Array,
  n: number,
  dim: number,
  ys: Float64Array,
  size: number,
): ReturnType<typeof negLogPosterior> {
  const xs = new Float64Array(size * dim);
  const ysub = new Float64Array(size);
  for (let s = 0; s < size; s++) {
    const a = Math.floor((s * n) / size);
    xs.set(x.subarray(a * dim, (a + 1) * dim), s * dim);
    ysub[s] = ys[a] as number;
  }
  return negLogPosterior(xs, size, dim, ysub);
}

/** The prior mode of θ for `dim` inputs. */
export function priorMode(dim: number): Float64Array {
  const { shape, rate } = GP_DEFAULTS.lengthscalePrior;
  const theta = new Float64Array(dim + 2).fill(Math.log(shape / rate));
  theta[dim] = GP_DEFAULTS.signalPrior.mean;
  theta[dim + 1] = GP_DEFAULTS.noisePrior.mean;
  return theta;
}

/** Negative log prior of θ (up to a constant), adding its gradient into `gradient`. */
function negLogPrior(theta: Float64Array, dim: number, gradient: Float64Array): number {
  let value = 0;
  const term = (i: number, mean: number, sd: number) => {
    const z = ((theta[i] as number) - mean) / sd;
    value += 0.5 * z * z;
    gradient[i] = (gradient[i] as number) + z / sd;
  };
  // Gamma(a, b) on ℓ, written for θ = log ℓ: −log p(θ) = −a·θ + b·e^θ (the Jacobian ℓ included).
  const { shape, rate } = GP_DEFAULTS.lengthscalePrior;
  for (let i = 0; i < dim; i++) {
    const l = Math.exp(theta[i] as number);
    value += -shape * (theta[i] as number) + rate * l;
    gradient[i] = (gradient[i] as number) - shape + rate * l;
  }
  term(dim, GP_DEFAULTS.signalPrior.mean, GP_DEFAULTS.signalPrior.sd);
  term(dim + 1, GP_DEFAULTS.noisePrior.mean, GP_DEFAULTS.noisePrior.sd);
  return value;
}

/** A fitted GP: immutable; {@link GaussianProcess.condition} returns a new one with extra data. */
export class GaussianProcess {
  private readonly invSqLengthscales: Float64Array;
  private readonly signal: number;
  private readonly scratch: { kStar: Float64Array; slope: Float64Array; v: Float64Array; w: Float64Array };

  private constructor(
    /** Training inputs, row-major n×dim. */
    readonly x: Float64Array,
    readonly n: number,
    readonly dim: number,
    /** Raw outcomes. */
    readonly y: Float64Array,
    readonly yMean: number,
    readonly yStd: number,
    readonly theta: Float64Array,
    private readonly factor: Float64Array,
    private readonly alpha: Float64Array,
    /** Jitter that the Cholesky factorisation needed, in standardised units. */
    readonly jitter: number,
  ) {
    this.invSqLengthscales = Float64Array.from({ length: dim }, (_, i) =>
      Math.exp(-2 * (theta[i] as number)),
    );
    this.signal = Math.exp(theta[dim] as number);
    this.scratch = {
      kStar: new Float64Array(n),
      slope: new Float64Array(n),
      v: new Float64Array(n),
      w: new Float64Array(n),
    };
  }

  /** Noise variance in standardised units. */
  get noise(): number {
    return GP_DEFAULTS.minNoise + Math.exp(this.theta[this.dim + 1] as number);
  }

  /** Lengthscales in input units. */
  get lengthscales(): number[] {
    return Array.from(this.theta.subarray(0, this.dim), Math.exp);
  }

  /** Signal variance in standardised units. */
  get signalVariance(): number {
    return this.signal;
  }

  /**
   * Fits a GP to `points` (each of length `dim`) and raw outcomes `y`, maximising the marginal likelihood
   * times the prior from several starts.
   *
   * @throws {ModelFitError} when no start gives a factorable covariance matrix.
   */
  static fit(
    points: readonly ArrayLike<number>[],
    y: ArrayLike<number>,
    options: GpFitOptions,
  ): GaussianProcess {
    const n = points.length;
    if (n === 0) throw new ModelFitError('cannot fit a GP to 0 observations');
    const dim = points[0]?.length ?? 0;
    const x = new Float64Array(n * dim);
    points.forEach((p, a) => {
      for (let i = 0; i < dim; i++) x[a * dim + i] = p[i] as number;
    });
    const raw = Float64Array.from(y);
    let mean = 0;
    for (const v of raw) mean += v;
    mean /= n;
    let variance = 0;
    for (const v of raw) variance += (v - mean) ** 2;
    variance = n > 1 ? variance / (n - 1) : 0;
    // All-equal outcomes have no scale; 1 keeps the standardised data at 0 and the model well defined.
    const std = variance > 1e-24 * Math.max(1, mean * mean) ? Math.sqrt(variance) : 1;
    const ys = raw.map((v) => (v - mean) / std);

    let best: { theta: Float64Array; value: number } | undefined;
    if (options.fixed && options.warmStart) {
      best = { theta: Float64Array.from(options.warmStart), value: 0 };
    } else {
      const objective = negLogPosterior(x, n, dim, ys);
      const starts: Float64Array[] = [];
      const warm = options.warmStart !== undefined && options.warmStart.length === dim + 2;
      if (warm) starts.push(Float64Array.from(options.warmStart as ArrayLike<number>));
      // A warm start is usually near the optimum already: alone, it costs a few evaluations. Restarts from the
      // prior guard against a local optimum; the caller asks for them now and then.
      const restarts = options.restarts ?? (warm ? 0 : 2);
      if (!warm || restarts > 0) starts.push(priorMode(dim));
      for (let r = 0; r < restarts; r++) {
        const theta = priorMode(dim);
        for (let i = 0; i < dim; i++) theta[i] = (theta[i] as number) + options.rng.normal();
        theta[dim] = GP_DEFAULTS.signalPrior.mean + GP_DEFAULTS.signalPrior.sd * options.rng.normal();
        theta[dim + 1] = GP_DEFAULTS.noisePrior.mean + GP_DEFAULTS.noisePrior.sd * options.rng.normal();
        starts.push(theta);
      }
      // Bounds keep θ where the kernel matrix stays meaningful (lengthscales between 1e-3 and 1e3 of the cube).
      const lower = new Float64Array(dim + 2).fill(Math.log(1e-3));
      const upper = new Float64Array(dim + 2).fill(Math.log(1e3));
      lower[dim] = Math.log(1e-3);
      upper[dim] = Math.log(1e3);
      lower[dim + 1] = Math.log(1e-9);
      upper[dim + 1] = Math.log(10);
      // A relative value tolerance of 1e-6 is ~2e-4 nats at n = 500: far inside the posterior spread of θ, and
      // it stops a warm-started fit after the few iterations that matter.
      const settings = { lower, upper, gradientTolerance: 1e-3, valueTolerance: 1e-6 };
      const maxIterations = options.maxIterations ?? 50;
      // With several starts, each gets a short run and only the most promising is run to convergence: most
      // of the cost of a multi-start fit is in starts that end up worse. Past PROBE_SUBSET observations the
      // short runs see an evenly spaced subset of them (O(m³) instead of O(n³) per evaluation), which ranks
      // the starts as well as the whole set does; the run to convergence sees everything.
      const probe = starts.length > 1 ? Math.min(10, maxIterations) : maxIterations;
      const fitFrom = (probeObjective: typeof objective) => {
        let found: { theta: Float64Array; value: number } | undefined;
        for (const start of starts) {
          // The warm start sits near the optimum: a long first step would only be backtracked.
          const result = minimiseBox(probeObjective, start, {
            ...settings,
            value: (theta) => probeObjective(theta),
            maxIterations: probe,
            ...(warm && start === starts[0] ? { firstStep: 0.02 } : {}),
          });
          if (Number.isFinite(result.value) && (!found || result.value < found.value))
            found = { theta: result.x, value: result.value };
        }
        if (!found || probe >= maxIterations) return found;
        const result = minimiseBox(objective, found.theta, {
          ...settings,
          value: (theta) => objective(theta),
          maxIterations: maxIterations - probe,
        });
        if (!Number.isFinite(result.value)) return probeObjective === objective ? found : undefined;
        return probeObjective !== objective || result.value <= found.value
          ? { theta: result.x, value: result.value }
          : found;
      };
      // A subset's best start that the whole set cannot factor (very unlikely) falls back to full probes.
      if (starts.length > 1 && n > PROBE_SUBSET) best = fitFrom(subsetObjective(x, n, dim, ys, PROBE_SUBSET));
      best ??= fitFrom(objective);
      if (!best)
        throw new ModelFitError(`GP fit failed from all ${starts.length} starts (n = ${n}, dim = ${dim})`);
    }
    return GaussianProcess.build(x, n, dim, raw, mean, std, best.theta);
  }

  private static build(
    x: Float64Array,
    n: number,
    dim: number,
    raw: Float64Array,
    mean: number,
    std: number,
    theta: Float64Array,
  ): GaussianProcess {
    const k = covariance(x, n, dim, theta);
    const { factor, jitter } = choleskyWithJitter(k, n);
    const ys = raw.map((v) => (v - mean) / std);
    const alpha = solveUpperT(factor, n, solveLower(factor, n, ys));
    return new GaussianProcess(x, n, dim, raw, mean, std, theta, factor, alpha, jitter);
  }

  /**
   * A GP with the same hyperparameters and standardisation, conditioned on extra (fantasy) observations given
   * in standardised units (those of {@link GaussianProcess.predict}): used for batch proposals, where pending
   * points are believed to return the posterior mean.
   */
  condition(points: readonly ArrayLike<number>[], standardised: ArrayLike<number>): GaussianProcess {
    const { n, dim } = this;
    const m = points.length;
    const total = n + m;
    const x = new Float64Array(total * dim);
    x.set(this.x);
    points.forEach((p, a) => {
      for (let i = 0; i < dim; i++) x[(n + a) * dim + i] = p[i] as number;
    });
    const raw = new Float64Array(total);
    raw.set(this.y);
    raw.set(
      Float64Array.from(standardised, (v) => v * this.yStd + this.yMean),
      n,
    );
    // Extend the factor by m rows (O(n²m)) instead of factoring the whole matrix again (O(n³)): the first n
    // rows of the new factor are the old ones. The new rows get the same jitter as the old diagonal.
    const factor = new Float64Array(total * total);
    for (let a = 0; a < n; a++) factor.set(this.factor.subarray(a * n, a * n + a + 1), a * total);
    const diagonal = this.signal + this.noise + this.jitter;
    for (let a = n; a < total; a++) {
      for (let b = 0; b < a; b++)
        factor[a * total + b] =
          this.signal *
          matern52(scaledDistance(x.subarray(a * dim, (a + 1) * dim), x, b, dim, this.invSqLengthscales));
      factor[a * total + a] = diagonal;
    }
    if (!choleskyInPlace(factor, total, n))
      return GaussianProcess.build(x, total, dim, raw, this.yMean, this.yStd, this.theta);
    const ys = raw.map((v) => (v - this.yMean) / this.yStd);
    const alpha = solveUpperT(factor, total, solveLower(factor, total, ys));
    return new GaussianProcess(
      x,
      total,
      dim,
      raw,
      this.yMean,
      this.yStd,
      this.theta,
      factor,
      alpha,
      this.jitter,
    );
  }

  /**
   * Posterior mean at training point `a` in standardised units, in O(1): μ = K_f·α = y − (σ²_n + jitter)·α,
   * the same number {@link GaussianProcess.predict} gives there.
   */
  trainingMean(a: number): number {
    const ys = ((this.y[a] as number) - this.yMean) / this.yStd;
    return ys - (this.noise + this.jitter) * (this.alpha[a] as number);
  }

  /**
   * Posterior of the latent function at `point` in standardised units. With `meanGradient` and
   * `varianceGradient` (length dim) it also writes their gradients with respect to the point.
   */
  predict(
    point: ArrayLike<number>,
    meanGradient?: Float64Array,
    varianceGradient?: Float64Array,
  ): GpPrediction {
    const { n, dim, x } = this;
    // Scratch space of this model: predict runs to completion before the next call, so it is never shared.
    const kStar = this.scratch.kStar;
    const slope = this.scratch.slope;
    const withGradient = meanGradient !== undefined && varianceGradient !== undefined;
    let mean = 0;
    for (let a = 0; a < n; a++) {
      const r = scaledDistance(point, x, a, dim, this.invSqLengthscales);
      const k = this.signal * matern52(r);
      kStar[a] = k;
      mean += k * (this.alpha[a] as number);
      if (withGradient) slope[a] = this.signal * matern52Slope(r);
    }
    const v = solveLower(this.factor, n, kStar, this.scratch.v);
    let explained = 0;
    for (let a = 0; a < n; a++) explained += (v[a] as number) ** 2;
    const variance = Math.max(this.signal - explained, 1e-12 * this.signal);
    if (withGradient) {
      const w = solveUpperT(this.factor, n, v, this.scratch.w);
      meanGradient.fill(0);
      varianceGradient.fill(0);
      for (let a = 0; a < n; a++) {
        const sa = slope[a] as number;
        const alphaA = this.alpha[a] as number;
        const wA = w[a] as number;
        const base = a * dim;
        for (let i = 0; i < dim; i++) {
          // dk/dx_i = −slope·(x_i − x_ai)/ℓ_i²
          const dk =
            -sa * ((point[i] as number) - (x[base + i] as number)) * (this.invSqLengthscales[i] as number);
          meanGradient[i] = (meanGradient[i] as number) + alphaA * dk;
          varianceGradient[i] = (varianceGradient[i] as number) - 2 * wA * dk;
        }
      }
    }
    return { mean, variance };
  }
}

/** Kernel matrix of the training inputs plus the noise variance on the diagonal. */
function covariance(x: Float64Array, n: number, dim: number, theta: Float64Array): Float64Array {
  const inv = Float64Array.from({ length: dim }, (_, i) => Math.exp(-2 * (theta[i] as number)));
  const signal = Math.exp(theta[dim] as number);
  const noise = GP_DEFAULTS.minNoise + Math.exp(theta[dim + 1] as number);
  const k = new Float64Array(n * n);
  const row = new Float64Array(dim);
  for (let a = 0; a < n; a++) {
    k[a * n + a] = signal + noise;
    for (let i = 0; i < dim; i++) row[i] = x[a * dim + i] as number;
    for (let b = 0; b < a; b++) {
      const v = signal * matern52(scaledDistance(row, x, b, dim, inv));
      k[a * n + b] = v;
      k[b * n + a] = v;
    }
  }
  return k;
}

/**
 * The negative log marginal likelihood plus negative log prior of standardised outcomes `ys`, as a function of
 * θ with its analytic gradient: ∂/∂θ_j = ½·tr((K⁻¹ − ααᵀ)·∂K/∂θ_j) + prior terms. Each evaluation factors K
 * once (with jitter only when it must) and takes the gradient from the same factor; the n×n buffers are
 * allocated once per fit, not per evaluation. Without `gradient` it stops after the factor (the value alone,
 * a third of the work), and a gradient asked for next at the same θ starts from that factor.
 */
export function negLogPosterior(
  x: Float64Array,
  n: number,
  dim: number,
  ys: Float64Array,
): (theta: Float64Array, gradient?: Float64Array) => number {
  // Squared coordinate differences per pair (a > b), computed once for every evaluation.
  const pairs = (n * (n - 1)) / 2;
  const diff2 = new Float64Array(pairs * dim);
  for (let a = 0, p = 0; a < n; a++)
    for (let b = 0; b < a; b++, p++)
      for (let i = 0; i < dim; i++)
        diff2[p * dim + i] = ((x[a * dim + i] as number) - (x[b * dim + i] as number)) ** 2;
  const kf = new Float64Array(pairs);
  const slope = new Float64Array(pairs);
  const inv = new Float64Array(dim);
  const factor = new Float64Array(n * n);
  const kinv = new Float64Array(n * n);
  const work = new Float64Array(n * n);
  const alpha = new Float64Array(n);
  const jitters = jitterSteps(1e-6);
  // θ of the factor in the buffers, and its value: a gradient asked for at the same θ reuses them.
  const factoredAt = new Float64Array(dim + 2).fill(Number.NaN);
  let factoredValue = Number.NaN;
  const priorScratch = new Float64Array(dim + 2);

  /** Fills the kernel, its factor and α at θ; returns the value (prior included), +∞ where K is indefinite. */
  function factorAt(theta: Float64Array): number {
    factoredAt.set(theta);
    for (let i = 0; i < dim; i++) inv[i] = Math.exp(-2 * (theta[i] as number));
    const signal = Math.exp(theta[dim] as number);
    const noiseExtra = Math.exp(theta[dim + 1] as number);
    const diagonal = signal + GP_DEFAULTS.minNoise + noiseExtra;
    for (let p = 0; p < pairs; p++) {
      let r2 = 0;
      const base = p * dim;
      for (let i = 0; i < dim; i++) r2 += (diff2[base + i] as number) * (inv[i] as number);
      const r = Math.sqrt(r2);
      kf[p] = signal * matern52(r);
      slope[p] = signal * matern52Slope(r);
    }
    let factored = false;
    for (const relative of jitters) {
      for (let a = 0, p = 0; a < n; a++) {
        const row = a * n;
        factor.set(kf.subarray(p, p + a), row);
        p += a;
        factor[row + a] = diagonal * (1 + relative);
      }
      if (choleskyInPlace(factor, n)) {
        factored = true;
        break;
      }
    }
    // An indefinite matrix at this θ is a region the optimiser must step back from, not a failure of the fit.
    if (!factored) {
      factoredValue = Number.POSITIVE_INFINITY;
      return factoredValue;
    }
    solveUpperT(factor, n, solveLower(factor, n, ys, alpha), alpha);
    let value = 0.5 * n * Math.log(2 * Math.PI);
    for (let a = 0; a < n; a++)
      value += 0.5 * (ys[a] as number) * (alpha[a] as number) + Math.log(factor[a * n + a] as number);
    factoredValue = value + negLogPrior(theta, dim, priorScratch);
    return factoredValue;
  }

  return (theta, gradient) => {
    let same = true;
    for (let j = 0; j < dim + 2; j++) same &&= theta[j] === factoredAt[j];
    const value = same ? factoredValue : factorAt(theta);
    if (!gradient || !Number.isFinite(value)) return value;
    gradient.fill(0);
    const signal = Math.exp(theta[dim] as number);
    const noiseExtra = Math.exp(theta[dim + 1] as number);
    choleskyInverse(factor, n, kinv, work, true);
    // W = K⁻¹ − ααᵀ; only its diagonal and lower triangle are needed.
    let traceW = 0;
    for (let a = 0; a < n; a++) traceW += (kinv[a * n + a] as number) - (alpha[a] as number) ** 2;
    let signalGrad = 0.5 * traceW * signal;
    // Σ_pairs w·slope·diff², per coordinate, scaled by 1/ℓ² once at the end.
    const lengthGrad = work.subarray(0, dim).fill(0);
    for (let a = 0, p = 0; a < n; a++) {
      const alphaA = alpha[a] as number;
      const row = a * n;
      for (let b = 0; b < a; b++, p++) {
        const w = (kinv[row + b] as number) - alphaA * (alpha[b] as number);
        signalGrad += w * (kf[p] as number);
        const ws = w * (slope[p] as number);
        const base = p * dim;
        for (let i = 0; i < dim; i++)
          lengthGrad[i] = (lengthGrad[i] as number) + ws * (diff2[base + i] as number);
      }
    }
    for (let i = 0; i < dim; i++) gradient[i] = (lengthGrad[i] as number) * (inv[i] as number);
    gradient[dim] = signalGrad;
    gradient[dim + 1] = 0.5 * traceW * noiseExtra;
    negLogPrior(theta, dim, gradient);
    return value;
  };
}
