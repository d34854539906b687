import { type ParameterValues, parseWith } from '../../../contracts/index.ts';
import { type PlannerSpecInput, PlannerSpecSchema } from '../../planner.ts';
import { RandomPlanner } from '../../random-planner.ts';
import { PLAN_PROTOCOL, type PlanRequest, PlanRequestSchema, type PlanResponse } from '../protocol.ts';

/**
 * An honest planning endpoint for tests: it checks the request against the protocol and proposes `count`
 * random points of the space, seeded from the request, with a prediction for each objective.
 */
export async function honestPlan(body: unknown, computeSeconds = 2): Promise<PlanResponse> {
  const request: PlanRequest = parseWith(PlanRequestSchema, body, 'plan request');
  const spec: PlannerSpecInput = {
    space: request.space,
    objectives: request.objectives,
    planner: { strategy: 'random' },
    seed: request.seed,
  };
  const planner = new RandomPlanner(parseWith(PlannerSpecSchema, spec, 'spec'));
  const proposals = await planner.ask(request.count, request.pending as ParameterValues[]);
  return {
    protocol: PLAN_PROTOCOL,
    requestId: request.requestId,
    proposals: proposals.map((p) => ({
      parameters: p.parameters,
      predictions: Object.fromEntries(request.objectives.map((o) => [o.name, { mean: 0.5, sd: 0.1 }])),
    })),
    model: { name: 'fake-gp', version: '1' },
    usage: { computeSeconds },
  };
}
