import { createRng, type Rng } from '../contracts/random.ts';
import type { PlannerSpec } from './planner.ts';
import { SamplingPlanner } from './sampling-planner.ts';
import type { RandomPlannerState } from './state.ts';

/**
 * Proposes points uniformly at random over the unit cube (so uniformly over each continuous range, its log for
 * log-scale parameters, and equally over integer values and choices), from the spec's seed.
 */
export class RandomPlanner extends SamplingPlanner {
  readonly strategy = 'random';
  private readonly rng: Rng;

  constructor(spec: PlannerSpec, saved?: Pick<RandomPlannerState, 'rng' | 'observations'>) {
    super(spec, saved?.observations);
    this.rng = createRng(saved?.rng ?? spec.seed);
  }

  protected draw(): number[] {
    return Array.from({ length: this.encoding.dimension }, () => this.rng.next());
  }

  toJSON(): RandomPlannerState {
    return { ...this.baseState(), strategy: 'random', rng: [...this.rng.state()] };
  }
}
