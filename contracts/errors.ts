import type { z } from 'zod';
import type * as zm from 'zod/mini';

/**
 * A payload that crossed a boundary did not match its schema.
 *
 * `issues` lists every bad field as `path: what was wrong (got …)`, so a person can fix all of them at once.
 */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  constructor(
    /** What was being parsed, e.g. `campaign file examples/colour.yaml`. */
    readonly subject: string,
    /** One line per bad field. */
    readonly issues: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`invalid ${subject}:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`, options);
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    // JSON.parse reads nesting that JSON.stringify cannot write back (a 16 KB body nests 8,192 levels): the
    // issue still names the field and says what it is.
    if (!(error instanceof RangeError)) throw error;
    return `${Array.isArray(value) ? 'an array' : 'an object'} nested too deep to show`;
  }
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** A Zod issue path as `a.b[2].c`, or `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join('');
}

/** Turns Zod issues into `path: message (got …)` lines. */
export function formatIssues(error: Pick<z.ZodError, 'issues'>): string[] {
  return error.issues.map((issue) => {
    const got = 'input' in issue ? ` (got ${describeValue(issue.input)})` : '';
    return `${formatPath(issue.path)}: ${issue.message}${got}`;
  });
}

/**
 * Parses `data` with `schema`, or throws a {@link ContractError} naming every bad field.
 *
 * @example
 * const command = parseWith(DeviceCommandSchema, JSON.parse(text), `command on ${topic}`);
 */
export function parseWith<S extends z.ZodType | zm.ZodMiniType>(
  schema: S,
  data: unknown,
  subject: string,
): z.output<S> {
  const parsed = schema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw new ContractError(subject, formatIssues(parsed.error), { cause: parsed.error });
  return parsed.data as z.output<S>;
}
