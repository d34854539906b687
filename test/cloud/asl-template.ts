import jsonata from 'jsonata';
import type { Rng } from '../../contracts/index.ts';
import { stepFunctionsFunctions } from '../../workflows/asl/index.ts';

/** An error as Step Functions reports it: `Error` is the name `Retry`/`Catch` match on. */
export class StatesError extends Error {
  override name = 'StatesError';
  constructor(
    readonly error: string,
    override readonly cause: string | undefined,
  ) {
    super(`${error}${cause === undefined ? '' : `: ${cause}`}`);
  }
  /** The `$states.errorOutput` of this error. */
  get errorOutput(): { Error: string; Cause?: string } {
    return this.cause === undefined ? { Error: this.error } : { Error: this.error, Cause: this.cause };
  }
}

/** Variables visible to a state: its own scope, then the scopes around it (a Map iteration reads its parent's). */
export class Scope {
  readonly values = new Map<string, unknown>();
  constructor(readonly parent?: Scope) {}
  all(): Record<string, unknown> {
    return { ...(this.parent?.all() ?? {}), ...Object.fromEntries(this.values) };
  }
}

const compiled = new Map<string, ReturnType<typeof jsonata>>();
const EXPRESSION = /^\{%([\s\S]*)%\}$/;

/**
 * Evaluates a JSONata-mode field the way Step Functions does: strings `{% … %}` are expressions, objects and
 * arrays are templates whose strings may be expressions, anything else is a literal. An expression that gives
 * nothing (undefined) is a `States.QueryEvaluationError`, as in Step Functions.
 */
export async function evaluateField(
  template: unknown,
  scope: Scope,
  states: Record<string, unknown>,
  rng: Rng,
  where: string,
): Promise<unknown> {
  if (typeof template === 'string') {
    const match = EXPRESSION.exec(template);
    if (!match) return template;
    const source = match[1] as string;
    let expr = compiled.get(source);
    if (!expr) {
      try {
        expr = jsonata(source);
      } catch (error) {
        throw new StatesError(
          'States.QueryEvaluationError',
          `${where}: does not parse: ${(error as Error).message}`,
        );
      }
      compiled.set(source, expr);
    }
    let value: unknown;
    try {
      value = await expr.evaluate({}, { ...stepFunctionsFunctions(rng), ...scope.all(), states });
    } catch (error) {
      throw new StatesError('States.QueryEvaluationError', `${where}: ${(error as Error).message}`);
    }
    if (value === undefined)
      throw new StatesError(
        'States.QueryEvaluationError',
        `${where}: the expression returned nothing (undefined)`,
      );
    return normalise(value);
  }
  if (Array.isArray(template))
    return Promise.all(template.map((item, i) => evaluateField(item, scope, states, rng, `${where}[${i}]`)));
  if (template !== null && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(template))
      out[key] = await evaluateField(value, scope, states, rng, `${where}.${key}`);
    return out;
  }
  return template;
}

/** JSONata results can carry its internal markers (sequences); state data is plain JSON. */
export function normalise(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** Evaluates an `Assign` block: every value against the variables before it, then all applied at once. */
export async function applyAssign(
  assign: unknown,
  scope: Scope,
  states: Record<string, unknown>,
  rng: Rng,
  where: string,
): Promise<void> {
  if (assign === undefined) return;
  const values = (await evaluateField(assign, scope, states, rng, `${where}.Assign`)) as Record<
    string,
    unknown
  >;
  for (const [key, value] of Object.entries(values)) scope.values.set(key, value);
}

/** Whether a retrier's or catcher's `ErrorEquals` matches an error name. */
export function matches(errorEquals: readonly string[], error: string): boolean {
  return errorEquals.some(
    (name) =>
      name === error ||
      name === 'States.ALL' ||
      (name === 'States.TaskFailed' && error !== 'States.Timeout' && error !== 'States.HeartbeatTimeout'),
  );
}
