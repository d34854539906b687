/** The command line was wrong: unknown flag, missing argument, bad value. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
