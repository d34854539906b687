import { createRng } from '../contracts/random.ts';
import { PlannerStateError } from './errors.ts';
import type { PlannerSpec } from './planner.ts';
import { SamplingPlanner } from './sampling-planner.ts';
import { SobolSequence } from './sobol.ts';
import type { SobolPlannerState } from './state.ts';

/**
 * Proposes the points of a scrambled Sobol sequence seeded from the spec: space-filling, so `n` points cover
 * the space more evenly than `n` random ones. Pending points do not change the sequence.
 */
export class SobolPlanner extends SamplingPlanner {
  readonly strategy = 'sobol';
  private readonly sequence: SobolSequence;

  constructor(spec: PlannerSpec, saved?: Pick<SobolPlannerState, 'sobol' | 'observations'>) {
    super(spec, saved?.observations);
    if (saved && saved.sobol.dimension !== this.encoding.dimension)
      throw new PlannerStateError(
        `saved Sobol sequence has ${saved.sobol.dimension} dimensions, expected ${this.encoding.dimension} (one per parameter)`,
      );
    this.sequence = saved
      ? SobolSequence.restore(saved.sobol)
      : SobolSequence.create(this.encoding.dimension, { rng: createRng(spec.seed) });
  }

  protected draw(): Float64Array {
    return this.sequence.next();
  }

  toJSON(): SobolPlannerState {
    return { ...this.baseState(), strategy: 'sobol', sobol: this.sequence.state() };
  }
}
