import { z } from 'zod';
import { formatIssues } from '../../contracts/index.ts';
import { ConfigError } from '../errors.ts';

/** The environment every function reads: the table, the lab's IoT topics, Powertools' settings. */
export const BaseConfigSchema = z.object({
  TABLE_NAME: z.string().min(3),
  LAB_ID: z.string().min(1).default('local-lab'),
});

/** Parses `env` with `schema` once, at cold start; a bad environment fails the function before any event. */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  const parsed = schema.safeParse(env, { reportInput: true });
  if (!parsed.success)
    throw new ConfigError(
      `invalid function environment:\n${formatIssues(parsed.error)
        .map((l) => `  - ${l}`)
        .join('\n')}`,
    );
  return parsed.data;
}
