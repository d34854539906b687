import { createHash } from 'node:crypto';
import jsonata from 'jsonata';
import type { Rng } from '../../contracts/index.ts';
import { faultOf } from '../index.ts';

/**
 * The functions Step Functions adds to JSONata 2.0.6 (`$parse` replaces `$eval`), for evaluating emitted
 * expressions outside AWS. `$uuid` and `$random` draw from the given generator, so runs repeat.
 */
export function stepFunctionsFunctions(rng: Rng): Record<string, (...args: never[]) => unknown> {
  const hex = (n: number) =>
    Array.from({ length: n }, () => rng.int(16).toString(16))
      .join('')
      .toLowerCase();
  return {
    parse: (text: string) => JSON.parse(text),
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[rng.int(4)]}${hex(3)}-${hex(12)}`,
    random: () => rng.next(),
    hash: (value: string, algorithm = 'SHA-256') =>
      createHash(algorithm.replace('-', '').toLowerCase()).update(value).digest('hex'),
    partition: (array: unknown[], size: number) =>
      Array.from({ length: Math.ceil(array.length / size) }, (_, i) => array.slice(i * size, (i + 1) * size)),
    range: (start: number, end: number, step = 1) =>
      Array.from({ length: Math.max(0, Math.ceil((end - start) / step)) }, (_, i) => start + i * step),
  };
}

interface AstNode {
  type?: string;
  value?: unknown;
  [key: string]: unknown;
}

/**
 * The `$variables` an expression reads or binds (not the functions it calls), found in its syntax tree.
 *
 * @example
 * variablesOf('$proposed >= $budget.experiments') // Set { 'proposed', 'budget' }
 */
export function variablesOf(expression: string): Set<string> {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as AstNode;
    if (n.type === 'variable' && typeof n.value === 'string' && n.value !== '') found.add(n.value);
    for (const [key, child] of Object.entries(n)) {
      // A function call's procedure is a variable node naming the function, not a data variable.
      if (n.type === 'function' && key === 'procedure') continue;
      walk(child);
    }
  };
  walk(jsonata(expression).ast());
  return found;
}

/**
 * The `$event` an expression sees when the machine runs locally: a done event's `output`, an error event's
 * `error` as `{ name, message, fault }` (the fault as data, {@link faultOf}), an operator event as it is.
 * The compiler builds the same shape in ASL from `$states.result`, `$states.errorOutput` and a callback's output.
 */
export function localEventBinding(event: { type: string; [key: string]: unknown }): Record<string, unknown> {
  if ('error' in event) {
    const error = event.error;
    return {
      type: event.type,
      error: {
        name: error instanceof Error ? error.name : 'Error',
        message: error instanceof Error ? error.message : String(error),
        fault: faultOf(error),
      },
    };
  }
  return { ...event };
}

/**
 * JSONata that turns a Step Functions error output (`{ Error, Cause }`) into the local `$event.error` shape.
 * `Cause` is a Lambda's `{ errorType, errorMessage }`, a callback's fault JSON, or plain text.
 */
export function errorEventExpression(errorOutput: string): string {
  return `(
  $eo := ${errorOutput};
  $c := $eo.Cause;
  $p := ($type($c) = 'string' and $substring($c, 0, 1) = '{') ? $parse($c) : {};
  $m := $p.errorMessage;
  $f := ($type($m) = 'string' and $substring($m, 0, 1) = '{') ? $parse($m) : $p;
  {
    "type": "error",
    "error": {
      "name": $exists($p.errorType) ? $p.errorType : $eo.Error,
      "message": $exists($m) ? $m : ($exists($f.message) ? $f.message : ($exists($c) ? $c : $eo.Error)),
      "fault": {
        "code": $exists($f.code) ? $f.code : $eo.Error,
        "message": $exists($f.message) ? $f.message : ($exists($m) ? $m : ($exists($c) ? $c : $eo.Error)),
        "retryable": $f.retryable = true
      }
    }
  }
)`;
}

/**
 * Evaluates a twin expression locally, as the machine's TypeScript would see it: context keys as variables,
 * the event as `$event` (already shaped by {@link localEventBinding}).
 */
export async function evaluateTwin(
  expression: string,
  variables: Record<string, unknown>,
  rng: Rng,
): Promise<unknown> {
  return jsonata(expression).evaluate({}, { ...stepFunctionsFunctions(rng), ...variables });
}
