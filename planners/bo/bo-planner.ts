import type { Objective, ParameterValues } from '../../contracts/index.ts';
import { createRng, type Rng } from '../../contracts/random.ts';
import {
  type ConstraintMap,
  createConstrainedDecoder,
  createConstraintMap,
  isFeasible,
  outcomeConstraints,
} from '../constraints.ts';
import { checkAsk, checkTold } from '../observations.ts';
import type { Observation, Planner, PlannerSpec, Proposal } from '../planner.ts';
import { SobolSequence } from '../sobol.ts';
import type { BoPlannerState, TrustRegionState } from '../state.ts';
import {
  type AcquisitionKind,
  createAcquisition,
  escapeBasin,
  type FeasibilityModel,
  incumbent,
} from './acquisition.ts';
import { createFeatureSpace, type FeatureSpace, type UnitBox } from './features.ts';
import { GaussianProcess } from './gp.ts';
import { nondominated } from './hypervolume-improvement.ts';
import { proposeByHypervolume } from './multi-objective.ts';
import { optimiseAcquisition } from './optimise-acquisition.ts';
import { warpOutcomes } from './outcome.ts';
import {
  incumbentBox,
  initialTrustRegion,
  LOCAL_REFINEMENT_MAX_DIMENSION,
  TRUST_REGION_MIN_DIMENSION,
  trustRegionBox,
  updateTrustRegion,
} from './trust-region.ts';

/** Settings of the model-based part, from the spec's `planner` section with defaults applied. */
export interface BoSettings {
  initial: number;
  acquisition: AcquisitionKind;
  beta: number;
}

/**
 * The default size of the initial design for `d` parameters: max(2(d + 1), min(40, d² + 4)), i.e. 8 for 2
 * parameters, 20 for 4, 40 from 6 on. A small design lets the model start early in low dimension; from about
 * 5 parameters a larger space-filling design is what keeps the search out of local optima (Hartmann-6: 5 of
 * 10 seeds reach the global basin within 100 evaluations with 40 initial points, 2 of 10 with 14).
 */
export function defaultInitial(d: number): number {
  return Math.max(2 * (d + 1), Math.min(40, d * d + 4));
}

/** The spec's BO settings with their documented defaults. */
export function boSettings(spec: PlannerSpec): BoSettings {
  return {
    initial: spec.planner.initial ?? defaultInitial(spec.space.length),
    acquisition: spec.planner.acquisition ?? 'logei',
    beta: spec.planner.beta ?? 4,
  };
}

/**
 * Turns observations into one number to maximise. One objective: its value, negated when minimised.
 * Three or more (two go to {@link proposeByHypervolume}): ParEGO (Knowles 2006), an augmented Chebyshev
 * scalarisation of the objectives normalised to [0, 1] with `weights` drawn afresh for each proposal, so
 * successive proposals aim at different parts of the Pareto front.
 */
export function scalarise(
  observations: readonly Observation[],
  objectives: readonly Objective[],
  weights: readonly number[],
): number[] {
  const oriented = objectives.map((o) =>
    observations.map((obs) => (o.goal === 'minimise' ? -1 : 1) * (obs.values[o.name] as number)),
  );
  if (objectives.length === 1) return oriented[0] ?? [];
  const normalised = oriented.map((vs) => {
    const lo = Math.min(...vs);
    const hi = Math.max(...vs);
    return vs.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0.5));
  });
  return observations.map((_, a) => {
    let worst = Number.POSITIVE_INFINITY;
    let sum = 0;
    normalised.forEach((vs, i) => {
      const term = (weights[i] as number) * (vs[a] as number);
      worst = Math.min(worst, term);
      sum += term;
    });
    return worst + 0.05 * sum;
  });
}

function simplexWeights(rng: Rng, count: number): number[] {
  const raw = Array.from({ length: count }, () => -Math.log(1 - rng.next()));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => v / total);
}

/**
 * Bayesian optimisation: `initial` scrambled Sobol points, then a GP surrogate (ARD Matérn-5/2, MAP
 * hyperparameters) and LogEI or UCB maximised over the mixed space, inside a TuRBO trust region from 10
 * parameters on. Two objectives: expected hypervolume improvement on one GP per objective; three or more:
 * LogEI on a ParEGO scalarisation. A batch, and any pending points, are handled by the Kriging believer: each
 * chosen or pending point is added to the model as if it returned the posterior mean, which shrinks the
 * uncertainty there and pushes the next point elsewhere.
 */
export class BoPlanner implements Planner {
  readonly strategy = 'bo';
  readonly settings: BoSettings;
  private readonly features: FeatureSpace;
  private readonly sobol: SobolSequence;
  private readonly rng: Rng;
  private theta: number[] | null;
  private readonly objectiveThetas: (number[] | null)[];
  private trustRegion: TrustRegionState | null;
  private readonly told: Observation[];
  private readonly decode: (unit: ArrayLike<number>) => ParameterValues;
  private readonly constraintMap: ConstraintMap;

  constructor(
    readonly spec: PlannerSpec,
    saved?: Omit<BoPlannerState, 'spec' | 'strategy'>,
  ) {
    this.settings = boSettings(spec);
    this.features = createFeatureSpace(spec.space);
    this.decode = createConstrainedDecoder(spec.space, spec.constraints);
    this.constraintMap = createConstraintMap(spec.space, spec.constraints);
    this.rng = createRng(saved?.rng ?? spec.seed);
    this.sobol = saved
      ? SobolSequence.restore(saved.sobol)
      : SobolSequence.create(spec.space.length, { rng: createRng(spec.seed ^ 0x5bd1e995) });
    this.theta = saved?.theta ? [...saved.theta] : null;
    this.objectiveThetas = (saved?.objectiveThetas ?? []).map((t) => (t ? [...t] : null));
    this.trustRegion =
      spec.space.length >= TRUST_REGION_MIN_DIMENSION ? (saved?.trustRegion ?? initialTrustRegion()) : null;
    this.told = saved ? saved.observations.map((o) => ({ ...o })) : [];
  }

  get observations(): readonly Observation[] {
    return this.told;
  }

  async ask(count: number, pending: readonly ParameterValues[] = []): Promise<Proposal[]> {
    checkAsk(this.spec.space, count, pending);
    const encoding = this.features.encoding;
    const proposals: Proposal[] = [];
    // The initial design is the first `initial` proposals; the model also needs two distinct observations.
    // Observations told from elsewhere (an imported data set) count towards it.
    const initialDone =
      this.sobol.position >= this.settings.initial || this.told.length >= this.settings.initial;
    while (proposals.length < count && (!initialDone || this.told.length < 2))
      proposals.push({ parameters: this.decode(this.sobol.next()) });
    if (proposals.length === count) return proposals;

    const inputs = this.told.map((o) => this.features.fromUnit(encoding.encode(o.parameters)));
    // Early fits, cheap and easily trapped by a handful of points, and every tenth fit after them, look
    // beyond the warm start for a better optimum of the hyperparameters.
    const restarts = this.told.length < 40 || this.told.length % 10 === 0;
    if (this.spec.objectives.length === 2)
      return this.askHypervolume(count, pending, proposals, inputs, restarts);
    const { scalar, y, fitted } = this.fitScalarised(inputs, restarts);
    const outcomes = outcomeConstraints(this.spec.constraints);
    const feasible = this.told.map((o) => isFeasible(o.values, outcomes));
    const isFeasibleAt = (a: number) => feasible[a] === true;
    const acquisitionOptions = {
      kind: this.settings.acquisition,
      best: incumbent(fitted, this.told.length, isFeasibleAt),
      beta: this.settings.beta,
    };
    const feasibilityModels = this.feasibilityModels(inputs);
    let feasibility = feasibilityModels;

    let model = fitted;
    const believe = (points: Float64Array[]) => {
      if (points.length === 0) return;
      model = model.condition(
        points,
        points.map((p) => model.predict(p).mean),
      );
      feasibility = feasibility.map(({ gp, threshold }) => ({
        gp: gp.condition(
          points,
          points.map((p) => gp.predict(p).mean),
        ),
        threshold,
      }));
    };
    const believeAll = () =>
      believe(
        [...pending, ...proposals.map((p) => p.parameters)].map((v) =>
          this.features.fromUnit(encoding.encode(v)),
        ),
      );
    believeAll();
    // Three or more objectives: each proposal of a batch gets its own ParEGO weights (as qParEGO does), so one
    // batch spreads along the Pareto front instead of crowding one part of it.
    const multiObjective = this.spec.objectives.length > 1;
    const firstModelled = proposals.length;

    // Search around the best few observations as well as the whole space (or the trust region).
    const ranked = y.map((v, a) => ({ v, a })).sort((p, q) => q.v - p.v);
    const around = ranked
      .slice(0, 3)
      .map(({ a }) => encoding.encode((this.told[a] as Observation).parameters));
    let box: UnitBox | undefined;
    if (this.trustRegion) {
      this.trustRegion = updateTrustRegion(this.trustRegion, scalar, this.spec.space.length, count);
      const centre = around[0] as Float64Array;
      box = trustRegionBox(this.features, centre, fitted.lengthscales, this.trustRegion.length);
      around.splice(1);
    }
    const refineLocally = !box && !multiObjective && this.spec.space.length <= LOCAL_REFINEMENT_MAX_DIMENSION;
    const refineAt = ranked.find(({ a }) => isFeasibleAt(a))?.a;
    while (proposals.length < count) {
      if (multiObjective && proposals.length > firstModelled) {
        model = this.fitScalarised(inputs, false).fitted;
        acquisitionOptions.best = incumbent(model, this.told.length, isFeasibleAt);
        feasibility = feasibilityModels;
        believeAll();
      }
      let acquisition = createAcquisition(model, { ...acquisitionOptions, feasibility });
      // Every other proposal looks outside the incumbent's basin, so a run that found a local optimum early
      // keeps searching for a better one while the other half refines it; the trust region (10 or more
      // parameters) has its own restarts instead. Up to 3 parameters (one objective), one proposal in three
      // escapes and the other two refine the best feasible observation inside a box one lengthscale wide:
      // there the initial design and the escapes already cover the space, and a global LogEI spends its
      // proposals on the prior variance at the edges instead of the last digits of the optimum.
      const incumbentAt = ranked[0]?.a;
      const turn = (this.told.length + proposals.length) % (refineLocally ? 3 : 2);
      if (!box && incumbentAt !== undefined && turn === 0)
        acquisition = escapeBasin(acquisition, inputs[incumbentAt] as Float64Array, fitted.lengthscales);
      const searchBox =
        refineLocally && turn !== 0 && refineAt !== undefined
          ? incumbentBox(
              this.features,
              encoding.encode((this.told[refineAt] as Observation).parameters),
              fitted.lengthscales,
            )
          : box;
      const optimum = optimiseAcquisition(acquisition, this.features, {
        rng: this.rng,
        around,
        ...(searchBox ? { box: searchBox } : {}),
        ...(this.constraintMap.active ? { repair: (u: Float64Array) => this.repair(u) } : {}),
      });
      const parameters = encoding.decode(optimum.unit);
      proposals.push({
        parameters: this.constraintMap.active ? this.constraintMap.project(parameters) : parameters,
      });
      if (proposals.length < count && !multiObjective) believe([optimum.features]);
    }
    return proposals;
  }

  /**
   * Two objectives: a batch by expected hypervolume improvement ({@link proposeByHypervolume}), searched around
   * up to three observations of the Pareto front (its two ends and its middle).
   */
  private askHypervolume(
    count: number,
    pending: readonly ParameterValues[],
    proposals: Proposal[],
    inputs: Float64Array[],
    restarts: boolean,
  ): Proposal[] {
    const { encoding } = this.features;
    const objectives = this.spec.objectives as [Objective, Objective];
    const values = objectives.map((o) =>
      this.told.map((obs) => (o.goal === 'minimise' ? -1 : 1) * (obs.values[o.name] as number)),
    ) as [number[], number[]];
    const outcomes = outcomeConstraints(this.spec.constraints);
    const feasible = this.told.map((o) => isFeasible(o.values, outcomes));
    const onFront = nondominated(values[0].map((v, a) => [v, values[1][a] as number, a]));
    const around = [0, Math.floor(onFront.length / 2), onFront.length - 1]
      .filter((i, k, all) => i >= 0 && all.indexOf(i) === k)
      .map((i) =>
        encoding.encode((this.told[(onFront[i] as number[])[2] as number] as Observation).parameters),
      );
    const chosen = proposeByHypervolume({
      inputs,
      values,
      feasible,
      feasibility: this.feasibilityModels(inputs),
      pending: [...pending, ...proposals.map((p) => p.parameters)].map((v) =>
        this.features.fromUnit(encoding.encode(v)),
      ),
      count: count - proposals.length,
      rng: this.rng,
      thetas: this.objectiveThetas,
      restarts,
      search: (acquisition) =>
        optimiseAcquisition(acquisition, this.features, {
          rng: this.rng,
          around,
          ...(this.constraintMap.active ? { repair: (u: Float64Array) => this.repair(u) } : {}),
        }).features,
    });
    for (const x of chosen) {
      const parameters = encoding.decode(this.features.toUnit(x));
      proposals.push({
        parameters: this.constraintMap.active ? this.constraintMap.project(parameters) : parameters,
      });
    }
    return proposals;
  }

  /**
   * Scalarises the observations with fresh weights (several objectives), warps them and fits the GP, warm-started
   * from the last fit's hyperparameters, which it then keeps.
   */
  private fitScalarised(
    inputs: readonly Float64Array[],
    restarts: boolean,
  ): { scalar: number[]; y: number[]; fitted: GaussianProcess } {
    const weights = simplexWeights(this.rng, this.spec.objectives.length);
    const scalar = scalarise(this.told, this.spec.objectives, weights);
    const y = warpOutcomes(scalar).values;
    const fitted = GaussianProcess.fit(inputs, y, {
      rng: this.rng,
      ...(this.theta && this.theta.length === this.features.width + 2 ? { warmStart: this.theta } : {}),
      ...(restarts ? { restarts: 2 } : {}),
    });
    this.theta = Array.from(fitted.theta);
    return { scalar, y, fitted };
  }

  tell(observations: readonly Observation[]): void {
    this.told.push(...checkTold(this.spec, observations));
  }

  /** A unit-cube point moved onto the sum constraints. */
  private repair(unit: Float64Array): Float64Array {
    const { encoding } = this.features;
    return encoding.encode(this.constraintMap.project(encoding.decode(unit)));
  }

  /**
   * One GP per bound of each outcome constraint, on the measured outcome oriented so that the bound holds
   * above the threshold (Gardner et al. 2014, constrained EI). Hyperparameters are fitted afresh each ask.
   */
  private feasibilityModels(inputs: Float64Array[]): FeasibilityModel[] {
    const models: FeasibilityModel[] = [];
    for (const c of outcomeConstraints(this.spec.constraints)) {
      const values = this.told.map((o) => o.values[c.name] as number);
      const bounds: Array<[number, number]> = [];
      if (c.atLeast !== undefined) bounds.push([1, c.atLeast]);
      if (c.atMost !== undefined) bounds.push([-1, -c.atMost]);
      for (const [sign, bound] of bounds) {
        const gp = GaussianProcess.fit(
          inputs,
          values.map((v) => sign * v),
          { rng: this.rng },
        );
        models.push({ gp, threshold: (bound - gp.yMean) / gp.yStd });
      }
    }
    return models;
  }

  toJSON(): BoPlannerState {
    return {
      spec: this.spec,
      strategy: 'bo',
      sobol: this.sobol.state(),
      rng: [...this.rng.state()],
      theta: this.theta ? [...this.theta] : null,
      trustRegion: this.trustRegion ? { ...this.trustRegion } : null,
      objectiveThetas: this.objectiveThetas.map((t) => (t ? [...t] : null)),
      observations: [...this.told],
    };
  }
}
