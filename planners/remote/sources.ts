import type { DesignSpace, Objective, ParameterValues } from '../../contracts/index.ts';
import { buildChatRequest, ChatCompletionSchema, completionUsage, readLlmAnswer } from '../llm/index.ts';
import type { Observation } from '../planner.ts';
import type { InferenceClient } from './client.ts';
import { PLAN_PROTOCOL, type PlanPrediction, type PlanRequest, PlanResponseSchema } from './protocol.ts';

/** Everything one `ask` sends out. */
export interface PlanningContext {
  requestId: string;
  seed: number;
  space: DesignSpace;
  objectives: readonly Objective[];
  observations: readonly Observation[];
  pending: readonly ParameterValues[];
  count: number;
}

/** What a source proposed, unchecked. */
export interface SourceAnswer {
  candidates: unknown[];
  /** Per candidate, the model's predictions when it gave any. */
  predictions?: Array<Record<string, PlanPrediction> | undefined>;
  /** Per candidate, a short explanation (an LLM's rationale). */
  notes?: Array<string | undefined>;
  /** What the endpoint says it used. */
  model?: Record<string, unknown>;
}

/**
 * Something remote that proposes points: a planning endpoint or an LLM. It throws an `EndpointError` when
 * the call fails, or an `LlmAnswerError` when an answer is unusable as a whole.
 */
export interface ProposalSource {
  propose(context: PlanningContext, signal?: AbortSignal): Promise<SourceAnswer>;
}

/** The plan request for one ask. */
export function planRequest(
  context: PlanningContext,
  model?: string,
  options?: Record<string, unknown>,
): PlanRequest {
  return {
    protocol: PLAN_PROTOCOL,
    requestId: context.requestId,
    space: context.space,
    objectives: [...context.objectives],
    observations: context.observations.map((o) => ({ parameters: o.parameters, values: o.values })),
    pending: [...context.pending],
    count: context.count,
    seed: context.seed,
    ...(model === undefined && options === undefined
      ? {}
      : {
          model: {
            ...(model === undefined ? {} : { kind: model }),
            ...(options === undefined ? {} : { options }),
          },
        }),
  };
}

/** A planning endpoint that speaks labloop's plan protocol (`http`, `kserve` and `sagemaker` adapters). */
export class PlanEndpointSource implements ProposalSource {
  constructor(
    private readonly client: InferenceClient,
    private readonly model?: string,
    private readonly options?: Record<string, unknown>,
  ) {}

  async propose(context: PlanningContext, signal?: AbortSignal): Promise<SourceAnswer> {
    const { value } = await this.client.call(
      planRequest(context, this.model, this.options),
      PlanResponseSchema,
      {
        subject: `plan request ${context.requestId}`,
        usage: (response) => response.usage ?? {},
        ...(signal === undefined ? {} : { signal }),
      },
    );
    return {
      candidates: value.proposals.map((p) => p.parameters),
      predictions: value.proposals.map((p) => p.predictions),
      ...(value.model === undefined ? {} : { model: value.model }),
    };
  }
}

/** An LLM behind an OpenAI-compatible chat endpoint, prompted with the design space and the history. */
export class LlmSource implements ProposalSource {
  constructor(
    private readonly client: InferenceClient,
    private readonly settings: { model: string; options?: Record<string, unknown>; maxHistory?: number },
  ) {}

  async propose(context: PlanningContext, signal?: AbortSignal): Promise<SourceAnswer> {
    const request = buildChatRequest(context, {
      model: this.settings.model,
      seed: context.seed,
      ...(this.settings.maxHistory === undefined ? {} : { maxHistory: this.settings.maxHistory }),
      ...(this.settings.options === undefined ? {} : { options: this.settings.options }),
    });
    const { value } = await this.client.call(request, ChatCompletionSchema, {
      subject: `chat request ${context.requestId}`,
      usage: completionUsage,
      ...(signal === undefined ? {} : { signal }),
    });
    const answer = readLlmAnswer(value);
    return {
      candidates: answer.candidates,
      notes: answer.rationales,
      model: { name: value.model ?? this.settings.model },
    };
  }
}
