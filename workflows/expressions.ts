import jsonata from 'jsonata';
import { ExpressionError } from './errors.ts';

type Compiled = ReturnType<typeof jsonata>;
const cache = new Map<string, Compiled>();

function compile(expression: string, where: string): Compiled {
  let compiled = cache.get(expression);
  if (!compiled) {
    try {
      compiled = jsonata(expression);
    } catch (error) {
      throw new ExpressionError(where, expression, `does not parse: ${(error as Error).message}`, {
        cause: error,
      });
    }
    cache.set(expression, compiled);
  }
  return compiled;
}

/**
 * Checks that a JSONata expression parses; returns the parser's message when it does not. Campaign files are
 * checked with this before anything runs.
 */
export function expressionSyntaxError(expression: string): string | undefined {
  try {
    compile(expression, 'check');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Evaluates a JSONata expression (jsonata 2.0.6, the version AWS Step Functions implements) against `input`.
 * The same strings run here and, compiled to ASL, in Step Functions.
 *
 * @example
 * await evaluate('{ "volume": proposal.red * 2 }', { proposal: { red: 10 } }, 'step mix') // { volume: 20 }
 */
export async function evaluate(expression: string, input: unknown, where: string): Promise<unknown> {
  const compiled = compile(expression, where);
  try {
    return await compiled.evaluate(input);
  } catch (error) {
    throw new ExpressionError(where, expression, `failed: ${(error as Error).message}`, { cause: error });
  }
}
