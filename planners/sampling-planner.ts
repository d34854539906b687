import type { ParameterValues } from '../contracts/index.ts';
import { createConstrainedDecoder } from './constraints.ts';
import { checkAsk, checkTold } from './observations.ts';
import type { Observation, Planner, PlannerSpec, PlannerState, Proposal } from './planner.ts';
import { createSpaceEncoding, type SpaceEncoding } from './space.ts';

/**
 * The skeleton of the planners that do not learn from what they are told (`random`, `sobol`): each draws
 * unit-cube points from its own source ({@link SamplingPlanner.draw}), decoded onto the design space with its
 * sum constraints. Observations are still checked and kept, so the state is complete and a planner can be
 * swapped for a model-based one mid-campaign.
 */
export abstract class SamplingPlanner implements Planner {
  abstract readonly strategy: string;
  protected readonly encoding: SpaceEncoding;
  private readonly decode: (unit: ArrayLike<number>) => ParameterValues;
  private readonly told: Observation[];

  constructor(
    readonly spec: PlannerSpec,
    observations: readonly Observation[] = [],
  ) {
    this.encoding = createSpaceEncoding(spec.space);
    this.decode = createConstrainedDecoder(spec.space, spec.constraints);
    this.told = observations.map((o) => ({ ...o }));
  }

  get observations(): readonly Observation[] {
    return this.told;
  }

  /** The next point of the unit cube, one coordinate per parameter. */
  protected abstract draw(): ArrayLike<number>;

  /** Pending points do not change what is drawn. */
  async ask(count: number, pending: readonly ParameterValues[] = []): Promise<Proposal[]> {
    checkAsk(this.spec.space, count, pending);
    return Array.from({ length: count }, () => ({ parameters: this.decode(this.draw()) }));
  }

  tell(observations: readonly Observation[]): void {
    this.told.push(...checkTold(this.spec, observations));
  }

  /** The shared part of the saved state. */
  protected baseState(): { spec: PlannerSpec; observations: Observation[] } {
    return { spec: this.spec, observations: [...this.told] };
  }

  abstract toJSON(): PlannerState;
}
