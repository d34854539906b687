import { z } from 'zod';
import { createRng, type ParameterValues } from '../contracts/index.ts';
import { createConstrainedDecoder, outcomeConstraints } from './constraints.ts';
import { PlannerStateError } from './errors.ts';
import { checkAsk, checkObservations } from './observations.ts';
import {
  type Observation,
  ObservationSchema,
  type Planner,
  type PlannerSpec,
  PlannerSpecSchema,
  type Proposal,
} from './planner.ts';
import { SobolSequence, SobolStateSchema } from './sobol.ts';
import { createSpaceEncoding, type SpaceEncoding } from './space.ts';

/** The saved state of a `sobol` planner: the scrambled sequence and how far it has gone. */
export const SobolPlannerStateSchema = z.object({
  spec: PlannerSpecSchema,
  strategy: z.literal('sobol'),
  sobol: SobolStateSchema,
  observations: z.array(ObservationSchema),
});
export type SobolPlannerState = z.infer<typeof SobolPlannerStateSchema>;

/**
 * Proposes the points of a scrambled Sobol sequence seeded from the spec: space-filling, so `n` points cover
 * the space more evenly than `n` random ones. Pending points do not change the sequence.
 */
export class SobolPlanner implements Planner {
  readonly strategy = 'sobol';
  private readonly encoding: SpaceEncoding;
  private readonly decode: (unit: ArrayLike<number>) => ParameterValues;
  private readonly sequence: SobolSequence;
  private readonly told: Observation[];

  constructor(
    readonly spec: PlannerSpec,
    saved?: Pick<SobolPlannerState, 'sobol' | 'observations'>,
  ) {
    this.encoding = createSpaceEncoding(spec.space);
    this.decode = createConstrainedDecoder(spec.space, spec.constraints);
    if (saved && saved.sobol.dimension !== this.encoding.dimension)
      throw new PlannerStateError(
        `saved Sobol sequence has ${saved.sobol.dimension} dimensions, expected ${this.encoding.dimension} (one per parameter)`,
      );
    this.sequence = saved
      ? SobolSequence.restore(saved.sobol)
      : SobolSequence.create(this.encoding.dimension, { rng: createRng(spec.seed) });
    this.told = saved ? saved.observations.map((o) => ({ ...o })) : [];
  }

  get observations(): readonly Observation[] {
    return this.told;
  }

  async ask(count: number, pending: readonly ParameterValues[] = []): Promise<Proposal[]> {
    checkAsk(this.spec.space, count, pending);
    return Array.from({ length: count }, () => ({ parameters: this.decode(this.sequence.next()) }));
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

  toJSON(): SobolPlannerState {
    return {
      spec: this.spec,
      strategy: 'sobol',
      sobol: this.sequence.state(),
      observations: [...this.told],
    };
  }
}
