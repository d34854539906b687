import type { z as classic } from 'zod';
import * as z from 'zod/mini';
import { formatIssues } from '../../contracts/errors.ts';
import { ConfigError } from '../errors.ts';

/** The environment every function reads: the table and the lab whose IoT topics it uses. */
export const BaseConfigSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(3)),
  LAB_ID: z._default(z.string().check(z.minLength(1)), 'local-lab'),
});

/** Parses `env` with `schema` once, at cold start; a bad environment fails the function before any event. */
export function parseConfig<S extends z.ZodMiniType>(
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  const parsed = schema.safeParse(env, { reportInput: true });
  if (!parsed.success)
    throw new ConfigError(
      `invalid function environment:\n${formatIssues(parsed.error as unknown as classic.ZodError)
        .map((l) => `  - ${l}`)
        .join('\n')}`,
    );
  return parsed.data;
}
