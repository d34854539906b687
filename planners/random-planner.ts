import { z } from 'zod';
import { createRng, type ParameterValues, type Rng } from '../contracts/index.ts';
import { createConstrainedDecoder, outcomeConstraints } from './constraints.ts';
import { checkAsk, checkObservations } from './observations.ts';
import {
  type Observation,
  ObservationSchema,
  type Planner,
  type PlannerSpec,
  PlannerSpecSchema,
  type Proposal,
} from './planner.ts';
import { createSpaceEncoding, type SpaceEncoding } from './space.ts';

/** The saved state of a `random` planner. */
export const RandomPlannerStateSchema = z.object({
  spec: PlannerSpecSchema,
  strategy: z.literal('random'),
  rng: z.tuple([z.int(), z.int(), z.int(), z.int()]),
  observations: z.array(ObservationSchema),
});
export type RandomPlannerState = z.infer<typeof RandomPlannerStateSchema>;

/**
 * Proposes points uniformly at random over the unit cube (so uniformly over each continuous range, its log for
 * log-scale parameters, and equally over integer values and choices), from the spec's seed.
 */
export class RandomPlanner implements Planner {
  readonly strategy = 'random';
  private readonly encoding: SpaceEncoding;
  private readonly decode: (unit: ArrayLike<number>) => ParameterValues;
  private readonly rng: Rng;
  private readonly told: Observation[];

  constructor(
    readonly spec: PlannerSpec,
    saved?: Pick<RandomPlannerState, 'rng' | 'observations'>,
  ) {
    this.encoding = createSpaceEncoding(spec.space);
    this.decode = createConstrainedDecoder(spec.space, spec.constraints);
    this.rng = createRng(saved?.rng ?? spec.seed);
    this.told = saved ? saved.observations.map((o) => ({ ...o })) : [];
  }

  get observations(): readonly Observation[] {
    return this.told;
  }

  async ask(count: number, pending: readonly ParameterValues[] = []): Promise<Proposal[]> {
    checkAsk(this.spec.space, count, pending);
    return Array.from({ length: count }, () => {
      const unit = Array.from({ length: this.encoding.dimension }, () => this.rng.next());
      return { parameters: this.decode(unit) };
    });
  }

  tell(observations: readonly Observation[]): void {
    this.told.push(
      ...checkObservations(
        this.spec.space,
        this.spec.objectives,
        observations,
        outcomeConstraints(this.spec.constraints),
      ),
    );
  }

  toJSON(): RandomPlannerState {
    return { spec: this.spec, strategy: 'random', rng: [...this.rng.state()], observations: [...this.told] };
  }
}
