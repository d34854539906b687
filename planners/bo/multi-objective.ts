import type { Rng } from '../../contracts/index.ts';
import type { AcquisitionFunction, FeasibilityModel } from './acquisition.ts';
import { withFeasibility } from './acquisition.ts';
import { GaussianProcess } from './gp.ts';
import { createLogEhvi, inferReference, nondominated } from './hypervolume-improvement.ts';

/** What {@link proposeByHypervolume} needs of the planner. */
export interface HypervolumeContext {
  /** Observed points in the GP's input space. */
  inputs: readonly Float64Array[];
  /** Per objective, the observed values oriented so that larger is better. */
  values: readonly [readonly number[], readonly number[]];
  /** Whether each observation met the outcome constraints (only those count towards the front). */
  feasible: readonly boolean[];
  /** Models of the outcome constraints. */
  feasibility: readonly FeasibilityModel[];
  /** Points being measured or already proposed in this batch, in the GP's input space. */
  pending: readonly Float64Array[];
  count: number;
  rng: Rng;
  /** Each objective's last hyperparameters (warm starts); replaced by the new ones. */
  thetas: (number[] | null)[];
  /** Whether the fits also restart from the prior. */
  restarts: boolean;
  /** Maximises an acquisition function over the design space around the given unit-cube points. */
  search(acquisition: AcquisitionFunction): Float64Array;
}

/**
 * Proposes `count` points for two objectives by expected hypervolume improvement (EHVI), one at a time
 * (sequential greedy, as BoTorch's qEHVI optimises a batch): after each choice, and for every pending point
 * first, both GPs are conditioned on their posterior means there and those means join the front, so the next
 * point of the batch aims at a part of the front the earlier ones do not already cover. The front is the
 * posterior mean at each feasible observation (noise-aware, as qNEHVI's), and the reference point is inferred
 * from it ({@link inferReference}).
 */
export function proposeByHypervolume(context: HypervolumeContext): Float64Array[] {
  const { inputs, values, feasible } = context;
  let models = values.map((v, j) => {
    const theta = context.thetas[j];
    const gp = GaussianProcess.fit(inputs, v, {
      rng: context.rng,
      ...(theta && theta.length === (inputs[0]?.length ?? 0) + 2 ? { warmStart: theta } : {}),
      ...(context.restarts ? { restarts: 2 } : {}),
    });
    context.thetas[j] = Array.from(gp.theta);
    return gp;
  }) as [GaussianProcess, GaussianProcess];
  const posterior = (gp: GaussianProcess, a: number) => gp.yMean + gp.yStd * gp.trainingMean(a);
  const observed = inputs.map((_, a) => [posterior(models[0], a), posterior(models[1], a)]);
  const points = observed.filter((_, a) => feasible[a]);
  let feasibility = context.feasibility;
  const believe = (x: Float64Array) => {
    const believed = models.map((gp) => gp.predict(x).mean) as [number, number];
    points.push(
      believed.map((m, j) => (models[j] as GaussianProcess).yMean + (models[j] as GaussianProcess).yStd * m),
    );
    models = models.map((gp, j) => gp.condition([x], [believed[j] as number])) as [
      GaussianProcess,
      GaussianProcess,
    ];
    feasibility = feasibility.map(({ gp, threshold }) => ({
      gp: gp.condition([x], [gp.predict(x).mean]),
      threshold,
    }));
  };
  // The reference stays where the observations put it for the whole batch.
  const reference = inferReference(nondominated(points.length > 0 ? points : observed), observed);
  for (const x of context.pending) believe(x);
  const chosen: Float64Array[] = [];
  while (chosen.length < context.count) {
    const acquisition = createLogEhvi({ models, front: nondominated(points), reference });
    const x = context.search(withFeasibility(acquisition, feasibility));
    chosen.push(x);
    if (chosen.length < context.count) believe(x);
  }
  return chosen;
}
