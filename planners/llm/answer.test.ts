import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLlmAnswer } from './answer.ts';
import type { ChatCompletion } from './chat.ts';
import { LlmAnswerError } from './errors.ts';

const completion = (
  content: string | null,
  extra: Partial<ChatCompletion['choices'][number]> = {},
): ChatCompletion => ({
  choices: [{ message: { role: 'assistant', content }, finish_reason: 'stop', ...extra }],
});

describe('readLlmAnswer', () => {
  it('reads {"proposals": [...]} with rationales', () => {
    const answer = readLlmAnswer(
      completion(
        '{"proposals": [{"parameters": {"T": 50}, "rationale": "centre"}, {"parameters": {"T": 70}}]}',
      ),
    );
    expect(answer).toEqual({ candidates: [{ T: 50 }, { T: 70 }], rationales: ['centre', undefined] });
  });

  it('finds the JSON inside fences or prose, and accepts bare arrays and flat entries', () => {
    expect(
      readLlmAnswer(completion('Sure!\n```json\n{"proposals": [{"parameters": {"T": 50}}]}\n```')).candidates,
    ).toEqual([{ T: 50 }]);
    expect(
      readLlmAnswer(completion('Here you go: [{"T": 40, "rationale": "low"}] — good luck')).candidates,
    ).toEqual([{ T: 40 }]);
    expect(readLlmAnswer(completion('{"proposals": [{"T": 60}, 7]}')).candidates).toEqual([{ T: 60 }, 7]);
  });

  it.each([
    [
      'a refusal',
      completion(null, { message: { content: null, refusal: 'I cannot help with chemistry.' } }),
      'the model refused: I cannot help with chemistry.',
    ],
    ['no content', completion(''), 'no content (finish_reason "stop")'],
    [
      'text without JSON',
      completion('I suggest trying 50 °C next.'),
      'holds no JSON: I suggest trying 50 °C next.',
    ],
    [
      'a reply cut off',
      completion('{"proposals": [{"parameters": {"T": 5', { finish_reason: 'length' }),
      'cut off at the token limit',
    ],
    [
      'JSON of another shape',
      completion('{"experiments": []}'),
      'no "proposals" array, got keys ["experiments"]',
    ],
  ])('throws an LlmAnswerError for %s', (_, c, message) => {
    expect(() => readLlmAnswer(c)).toThrow(LlmAnswerError);
    expect(() => readLlmAnswer(c)).toThrow(message);
  });

  it('either reads an answer or throws an LlmAnswerError, for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.json().map((j) => `Answer:\n\`\`\`json\n${j}\n\`\`\``),
        ),
        (text) => {
          try {
            const answer = readLlmAnswer(completion(text));
            expect(answer.candidates.length).toBe(answer.rationales.length);
          } catch (error) {
            expect(error).toBeInstanceOf(LlmAnswerError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
