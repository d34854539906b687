import { z } from 'zod';

/** One message of a chat. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The body of an OpenAI-compatible `POST /chat/completions` request, as labloop sends it. */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  seed?: number;
  response_format?: { type: 'json_object' };
  /** Further fields from the route's `options` (`max_tokens`, `top_p`, …). */
  [option: string]: unknown;
}

/**
 * The part of an OpenAI-compatible chat completion labloop reads. Servers differ in what else they send
 * (OpenAI, vLLM, llama.cpp, Ollama), so unknown fields are allowed and ignored.
 */
export const ChatCompletionSchema = z.object({
  id: z.string().optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({
          role: z.string().optional(),
          content: z.string().nullable().optional(),
          refusal: z.string().nullable().optional(),
        }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1, 'a chat completion needs at least one choice'),
  usage: z
    .object({
      prompt_tokens: z.number().nonnegative().optional(),
      completion_tokens: z.number().nonnegative().optional(),
    })
    .nullable()
    .optional(),
});
export type ChatCompletion = z.infer<typeof ChatCompletionSchema>;

/** The tokens a completion reports, in the client's `Usage` shape. */
export function completionUsage(completion: ChatCompletion): { inputTokens?: number; outputTokens?: number } {
  const usage = completion.usage;
  if (usage === null || usage === undefined) return {};
  return {
    ...(usage.prompt_tokens === undefined ? {} : { inputTokens: usage.prompt_tokens }),
    ...(usage.completion_tokens === undefined ? {} : { outputTokens: usage.completion_tokens }),
  };
}
