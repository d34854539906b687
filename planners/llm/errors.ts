import { PlannerError } from '../errors.ts';

/**
 * The LLM's answer cannot be used at all: a refusal, an empty or truncated message, text that holds no JSON,
 * or JSON of the wrong shape. The remote planner records the message and proposes from its fallback.
 * Single bad proposals inside a usable answer are not errors: they are rejected one by one with a reason.
 */
export class LlmAnswerError extends PlannerError {
  override readonly name = 'LlmAnswerError';
  constructor(
    message: string,
    /** The start of what the model said, for the decision log. */
    readonly excerpt: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
