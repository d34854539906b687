import type { ChatCompletion } from './chat.ts';
import { LlmAnswerError } from './errors.ts';

/** The proposals found in an LLM's answer, unchecked: the caller screens each against the design space. */
export interface LlmAnswer {
  /** Each proposal's parameter values, as the model wrote them. */
  candidates: unknown[];
  /** Each proposal's rationale, when given. */
  rationales: Array<string | undefined>;
}

function excerptOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}…` : flat;
}

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * The first JSON value in `text`: the whole text, else a fenced code block, else the span from the first
 * `{` or `[` to the last matching bracket. Models asked for bare JSON still wrap it in prose or fences.
 */
export function extractJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const whole = tryJson(text.trim());
  if (whole.ok) return whole;
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  if (fenced?.[1] !== undefined) {
    const inner = tryJson(fenced[1].trim());
    if (inner.ok) return inner;
  }
  // The outermost value starts at whichever bracket comes first.
  const spans = (
    [
      ['{', '}'],
      ['[', ']'],
    ] as const
  )
    .map(([open, close]) => ({ start: text.indexOf(open), end: text.lastIndexOf(close) }))
    .filter((span) => span.start !== -1 && span.end > span.start)
    .sort((a, b) => a.start - b.start);
  for (const { start, end } of spans) {
    const span = tryJson(text.slice(start, end + 1));
    if (span.ok) return span;
  }
  return { ok: false };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Reads the proposals out of a chat completion. Accepts `{"proposals": [...]}` or a bare array, each entry
 * `{"parameters": {...}, "rationale": "..."}` or a bare object of parameter values. Throws an
 * {@link LlmAnswerError} when the answer holds nothing usable: a refusal, no content, a reply cut off at the
 * token limit, no JSON, or JSON of another shape.
 */
export function readLlmAnswer(completion: ChatCompletion): LlmAnswer {
  const choice = completion.choices[0];
  const message = choice?.message;
  const content = message?.content ?? '';
  if (typeof message?.refusal === 'string' && message.refusal.length > 0)
    throw new LlmAnswerError(`the model refused: ${excerptOf(message.refusal)}`, excerptOf(message.refusal));
  if (content.trim().length === 0)
    throw new LlmAnswerError(
      `the model answered with no content (finish_reason ${JSON.stringify(choice?.finish_reason ?? null)})`,
      '',
    );
  const json = extractJson(content);
  if (!json.ok) {
    const cut = choice?.finish_reason === 'length' ? ' (cut off at the token limit: raise max_tokens)' : '';
    throw new LlmAnswerError(
      `the model's answer holds no JSON${cut}: ${excerptOf(content)}`,
      excerptOf(content),
    );
  }
  const list = Array.isArray(json.value)
    ? json.value
    : isRecord(json.value) && Array.isArray(json.value.proposals)
      ? json.value.proposals
      : undefined;
  if (list === undefined)
    throw new LlmAnswerError(
      `the model's JSON has no "proposals" array, got keys ${isRecord(json.value) ? JSON.stringify(Object.keys(json.value)) : typeof json.value}`,
      excerptOf(content),
    );
  const candidates: unknown[] = [];
  const rationales: Array<string | undefined> = [];
  for (const entry of list) {
    if (isRecord(entry) && isRecord(entry.parameters)) {
      candidates.push(entry.parameters);
      rationales.push(typeof entry.rationale === 'string' ? entry.rationale : undefined);
    } else if (isRecord(entry)) {
      const { rationale, ...parameters } = entry;
      candidates.push(parameters);
      rationales.push(typeof rationale === 'string' ? rationale : undefined);
    } else {
      candidates.push(entry);
      rationales.push(undefined);
    }
  }
  return { candidates, rationales };
}
