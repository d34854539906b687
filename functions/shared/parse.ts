import type { z } from 'zod';
import type * as zm from 'zod/mini';
import { ContractError, formatIssues } from '../../contracts/errors.ts';

/**
 * Parses `data` with a zod/mini schema, or throws the contracts' {@link ContractError} naming every bad field:
 * the same error and message a classic schema gives through `parseWith`, from a Lambda-sized bundle.
 */
export function parseMini<S extends zm.ZodMiniType>(schema: S, data: unknown, subject: string): zm.output<S> {
  const parsed = schema.safeParse(data, { reportInput: true });
  if (!parsed.success)
    throw new ContractError(subject, formatIssues(parsed.error as unknown as z.ZodError), {
      cause: parsed.error,
    });
  return parsed.data;
}
