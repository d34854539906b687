import { z } from 'zod';
import { type ParameterValues, type RemoteRoute, seedFrom } from '../../contracts/index.ts';
import { LlmAnswerError } from '../llm/index.ts';
import { checkAsk } from '../observations.ts';
import {
  type Observation,
  type Planner,
  type PlannerSpec,
  PlannerSpecSchema,
  type PlannerState,
  type Proposal,
} from '../planner.ts';
import type { InferenceClient } from './client.ts';
import { type CostTotals, CostTotalsSchema, diffTotals } from './cost.ts';
import { EndpointError } from './errors.ts';
import { PlanPredictionSchema } from './protocol.ts';
import { chooseRoute } from './routing.ts';
import { screenProposals } from './screen.ts';
import type { ProposalSource, SourceAnswer } from './sources.ts';

/** Rejections recorded per decision; the rest are only counted, so a lying endpoint cannot bloat the state. */
const MAX_RECORDED_REJECTIONS = 20;
/** Decisions kept in the saved state: the latest ones. */
const MAX_DECISIONS = 200;

/** Why one `ask` was answered the way it was: the provenance of its proposals. */
export const RouteDecisionSchema = z.object({
  /** 1-based number of the ask. */
  ask: z.int().min(1),
  requestId: z.string(),
  count: z.int().min(1),
  /** Index of the route taken, or null when the ask stayed local. */
  route: z.int().nullable(),
  target: z.string().nullable(),
  /** What the routing policy decided and why. */
  reason: z.string(),
  /** Proposals the endpoint offered, usable or not. */
  offered: z.int().nonnegative(),
  /** Proposals taken from the endpoint: the first `fromRemote` of the answer; the rest came from the local planner. */
  fromRemote: z.int().nonnegative(),
  fromLocal: z.int().nonnegative(),
  /** The endpoint's proposals that were not used, and why (the first 20). */
  rejected: z.array(z.object({ parameters: z.unknown(), reason: z.string() })),
  rejectedCount: z.int().nonnegative(),
  /** Why the endpoint's answer was not used at all, when it was not. */
  failure: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }).nullable(),
  cost: z.number().nonnegative(),
  attempts: z.int().nonnegative(),
  /** s of endpoint time billed. */
  seconds: z.number().nonnegative(),
  model: z.record(z.string(), z.unknown()).optional(),
  /** Per proposal taken from the endpoint, its predictions (null when none). */
  predictions: z.array(z.record(z.string(), PlanPredictionSchema).nullable()).optional(),
  /** Per proposal taken from the endpoint, the model's rationale (null when none). */
  notes: z.array(z.string().nullable()).optional(),
});
export type RouteDecision = z.infer<typeof RouteDecisionSchema>;

/** The saved state of a planner with remote routes. */
export const RemotePlannerStateSchema = z.object({
  spec: PlannerSpecSchema,
  strategy: z.literal('remote'),
  /** The local fallback planner's own saved state. */
  local: z.looseObject({ strategy: z.string(), spec: z.unknown() }),
  asks: z.int().nonnegative(),
  /** Per route, the cost totals of its calls. */
  routes: z.array(CostTotalsSchema),
  decisions: z.array(RouteDecisionSchema),
});
export type RemotePlannerState = z.infer<typeof RemotePlannerStateSchema>;

/** One route with the client that calls its endpoint and the source that speaks its format. */
export interface RouteBinding {
  route: RemoteRoute;
  client: InferenceClient;
  source: ProposalSource;
}

/** The routes of a spec's `planner.remote`, as a list. */
export function routesOf(spec: PlannerSpec): RemoteRoute[] {
  const remote = spec.planner.remote;
  return remote === undefined ? [] : Array.isArray(remote) ? remote : [remote];
}

/** The spec of the local fallback planner: the same, without `remote`. */
export function localSpecOf(spec: PlannerSpec): PlannerSpec {
  const { remote: _, ...planner } = spec.planner;
  return { ...spec, planner };
}

function describeFailure(error: unknown): RouteDecision['failure'] {
  if (error instanceof EndpointError) return error.toData();
  if (error instanceof LlmAnswerError) return { code: error.name, message: error.message, retryable: false };
  return null;
}

/**
 * A planner that sends some asks to remote endpoints (GPU models behind SageMaker, KServe or HTTPS, or an
 * LLM) and answers the rest with a local planner. Per ask, the routing policy picks a route; the endpoint's
 * proposals are screened (inside the design space, not duplicated, not beyond `count`); what is missing, or
 * everything when the endpoint fails, comes from the local planner. Every ask's decision, with reasons and
 * cost, is kept in `decisions` and in the saved state.
 *
 * Build one with `createPlanner` (a spec with `planner.remote`) or `createRemotePlanner`.
 */
export class RemotePlanner implements Planner {
  readonly strategy = 'remote';
  private asks: number;
  private readonly log: RouteDecision[];

  constructor(
    readonly spec: PlannerSpec,
    /** The local fallback; it is told every observation. */
    readonly local: Planner,
    private readonly bindings: readonly RouteBinding[],
    private readonly check?: (parameters: ParameterValues) => string | undefined,
    saved?: Pick<RemotePlannerState, 'asks' | 'decisions'>,
  ) {
    this.asks = saved?.asks ?? 0;
    this.log = saved ? [...saved.decisions] : [];
  }

  get observations(): readonly Observation[] {
    return this.local.observations;
  }

  /** Every recorded decision, oldest first (the latest 200). */
  get decisions(): readonly RouteDecision[] {
    return this.log;
  }

  /** Per route, the cost totals of its calls. */
  get routeTotals(): CostTotals[] {
    return this.bindings.map((b) => b.client.totals);
  }

  async ask(count: number, pending: readonly ParameterValues[] = []): Promise<Proposal[]> {
    checkAsk(this.spec.space, count, pending);
    this.asks++;
    const requestId = `${this.spec.seed}-${this.asks}-${seedFrom('ask', this.spec.seed, this.asks).toString(16)}`;
    const observations = this.local.observations;
    const choice = chooseRoute(
      this.bindings.map((b) => b.route),
      {
        observations: observations.length,
        dimensions: this.spec.space.length,
        objectives: this.spec.objectives.length,
        count,
      },
      this.routeTotals.map((t) => t.cost),
    );
    const binding = choice.route === undefined ? undefined : this.bindings[choice.route];
    const decision: RouteDecision = {
      ask: this.asks,
      requestId,
      count,
      route: choice.route ?? null,
      target: binding?.client.target ?? null,
      reason: choice.reason,
      offered: 0,
      fromRemote: 0,
      fromLocal: 0,
      rejected: [],
      rejectedCount: 0,
      failure: null,
      cost: 0,
      attempts: 0,
      seconds: 0,
    };
    const taken: ParameterValues[] = [];
    if (binding !== undefined) {
      const before = binding.client.totals;
      let answer: SourceAnswer | undefined;
      try {
        answer = await binding.source.propose({
          requestId,
          seed: seedFrom('remote', this.spec.seed, this.asks),
          space: this.spec.space,
          objectives: this.spec.objectives,
          observations,
          pending,
          count,
        });
      } catch (error) {
        decision.failure = describeFailure(error);
        if (decision.failure === null) throw error;
      }
      const spent = diffTotals(binding.client.totals, before);
      decision.cost = spent.cost;
      decision.attempts = spent.attempts;
      decision.seconds = spent.seconds;
      if (answer !== undefined) this.take(answer, { observations, pending, count }, decision, taken);
    }
    const proposals: Proposal[] = taken.map((parameters) => ({ parameters }));
    if (taken.length < count) {
      const filled = await this.local.ask(count - taken.length, [...pending, ...taken]);
      decision.fromLocal = filled.length;
      proposals.push(...filled);
    }
    this.log.push(decision);
    if (this.log.length > MAX_DECISIONS) this.log.splice(0, this.log.length - MAX_DECISIONS);
    return proposals;
  }

  private take(
    answer: SourceAnswer,
    context: { observations: readonly Observation[]; pending: readonly ParameterValues[]; count: number },
    decision: RouteDecision,
    taken: ParameterValues[],
  ): void {
    const screened = screenProposals(this.spec.space, answer.candidates, {
      ...context,
      ...(this.check === undefined ? {} : { check: this.check }),
    });
    taken.push(...screened.accepted.map((a) => a.parameters));
    decision.offered = answer.candidates.length;
    decision.fromRemote = screened.accepted.length;
    decision.rejectedCount = screened.rejected.length;
    decision.rejected = screened.rejected.slice(0, MAX_RECORDED_REJECTIONS);
    if (answer.model !== undefined) decision.model = answer.model;
    if (answer.predictions?.some((p) => p !== undefined))
      decision.predictions = screened.accepted.map((a) => answer.predictions?.[a.index] ?? null);
    if (answer.notes?.some((n) => n !== undefined))
      decision.notes = screened.accepted.map((a) => answer.notes?.[a.index] ?? null);
  }

  tell(observations: readonly Observation[]): void {
    this.local.tell(observations);
  }

  toJSON(): RemotePlannerState {
    return {
      spec: this.spec,
      strategy: 'remote',
      local: this.local.toJSON() as PlannerState & { spec: unknown },
      asks: this.asks,
      routes: this.routeTotals,
      decisions: [...this.log],
    };
  }
}
