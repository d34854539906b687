import type { DesignSpace, Objective, Parameter, ParameterValues } from '../../contracts/index.ts';
import type { Observation } from '../planner.ts';
import type { ChatCompletionRequest, ChatMessage } from './chat.ts';

/** What the LLM is told for one `ask`. */
export interface LlmPlanningInput {
  space: DesignSpace;
  objectives: readonly Objective[];
  observations: readonly Observation[];
  pending: readonly ParameterValues[];
  count: number;
}

/** How the prompt and request are built. */
export interface LlmPromptOptions {
  /** The chat model, e.g. `gpt-4o-mini`, `Qwen2.5-72B-Instruct`. */
  model: string;
  /**
   * Most observations shown. Beyond it the prompt shows the best quarter (by the first objective) and the
   * latest rest, and says so, so long campaigns keep a bounded prompt. @default 100
   */
  maxHistory?: number;
  /** Passed as `seed`, for endpoints that honour it. */
  seed?: number;
  /** Merged into the request last (`temperature`, `max_tokens`, `response_format`, …). */
  options?: Record<string, unknown>;
}

const SYSTEM = `You plan experiments for a self-driving laboratory. Each experiment sets every parameter of the design space, and the lab measures the objectives.
Propose experiments likely to improve the objectives: exploit what worked, and explore regions not yet tested.
Answer with one JSON object and nothing else, of this form:
{"proposals": [{"parameters": {"<parameter name>": <value>, ...}, "rationale": "<one short sentence>"}]}
Rules:
- give exactly the number of proposals asked for;
- set every parameter of the design space and no others;
- continuous and integer parameters are JSON numbers within their bounds, bounds included; integers are whole numbers;
- categorical parameters are one of the listed choices, as a JSON string;
- never repeat a point already observed or pending, and never propose the same point twice.`;

function describeParameter(p: Parameter): string {
  switch (p.type) {
    case 'continuous': {
      const unit = p.unit ? ` ${p.unit}` : '';
      const scale =
        p.scale === 'log' ? 'log scale: spread proposals over orders of magnitude' : 'linear scale';
      return `- ${p.name}: continuous number from ${p.low} to ${p.high}${unit} (${scale})`;
    }
    case 'integer':
      return `- ${p.name}: integer from ${p.low} to ${p.high}${p.unit ? ` ${p.unit}` : ''}`;
    case 'categorical':
      return `- ${p.name}: categorical, one of ${p.choices.map((c) => JSON.stringify(c)).join(', ')}`;
  }
}

function describeObjective(o: Objective): string {
  const unit = o.unit ? ` (${o.unit})` : '';
  const target = o.target === undefined ? '' : `; target ${o.target}`;
  return `- ${o.name}${unit}: ${o.goal}${target}`;
}

function cell(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** The observations to show, in their original order, and a note when some are left out. */
export function selectHistory(
  observations: readonly Observation[],
  objectives: readonly Objective[],
  maxHistory: number,
): { shown: Observation[]; note: string } {
  const total = observations.length;
  if (total <= maxHistory) return { shown: [...observations], note: `${total} so far` };
  const first = objectives[0];
  const sign = first?.goal === 'minimise' ? 1 : -1;
  const bestCount = Math.max(1, Math.floor(maxHistory / 4));
  const byBest = observations
    .map((o, i) => ({ i, v: first === undefined ? 0 : (o.values[first.name] ?? 0) }))
    .sort((a, b) => sign * (a.v - b.v) || a.i - b.i)
    .slice(0, bestCount)
    .map((e) => e.i);
  const keep = new Set(byBest);
  for (let i = total - 1; i >= 0 && keep.size < maxHistory; i--) keep.add(i);
  const shown = [...keep].sort((a, b) => a - b).map((i) => observations[i] as Observation);
  return {
    shown,
    note: `${total} so far; showing ${shown.length}: the ${bestCount} best by ${first?.name ?? 'value'} and the latest`,
  };
}

/**
 * The chat messages for one `ask`: a system message with the answer format and rules, and a user message
 * with the design space (names, types, bounds, units, scales), the objectives, the observations as a table,
 * the pending points and how many proposals are wanted.
 */
export function buildPlanningMessages(input: LlmPlanningInput, maxHistory = 100): ChatMessage[] {
  const names = input.space.map((p) => p.name);
  const objectiveNames = input.objectives.map((o) => o.name);
  const { shown, note } = selectHistory(input.observations, input.objectives, maxHistory);
  const lines: string[] = ['Design space:', ...input.space.map(describeParameter), '', 'Objectives:'];
  lines.push(...input.objectives.map(describeObjective), '');
  lines.push(`Observations (${note}):`);
  if (shown.length === 0) lines.push('none yet: start by covering the design space broadly.');
  else {
    lines.push([...names, ...objectiveNames].join(','));
    for (const o of shown)
      lines.push(
        [...names.map((n) => cell(o.parameters[n])), ...objectiveNames.map((n) => cell(o.values[n]))].join(
          ',',
        ),
      );
  }
  if (input.pending.length > 0) {
    lines.push('', 'Pending (being measured now; do not repeat):', names.join(','));
    for (const p of input.pending) lines.push(names.map((n) => cell(p[n])).join(','));
  }
  lines.push(
    '',
    `Propose ${input.count} new experiment${input.count === 1 ? '' : 's'} as {"proposals": [...]} with exactly ${input.count} entr${input.count === 1 ? 'y' : 'ies'}.`,
  );
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: lines.join('\n') },
  ];
}

/**
 * The chat completions request for one `ask`: JSON mode, a low temperature, the seed, then the route's
 * `options` on top.
 *
 * @example
 * const request = buildChatRequest({ space, objectives, observations, pending: [], count: 2 }, { model: 'gpt-4o-mini' });
 */
export function buildChatRequest(input: LlmPlanningInput, options: LlmPromptOptions): ChatCompletionRequest {
  return {
    model: options.model,
    messages: buildPlanningMessages(input, options.maxHistory),
    temperature: 0.2,
    response_format: { type: 'json_object' },
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...options.options,
  };
}
