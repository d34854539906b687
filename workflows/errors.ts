/** A JSONata expression of a campaign's protocol failed to compile or to evaluate. */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  constructor(
    readonly where: string,
    readonly expression: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${where}: ${message} (expression: ${expression})`, options);
  }
}

/** An actor the machine needs was not provided by the runtime. */
export class MissingActorError extends Error {
  override readonly name = 'MissingActorError';
  constructor(readonly actor: string) {
    super(
      `the workflow needs the actor "${actor}"; provide it with machine.provide({ actors: { ${actor}: … } })`,
    );
  }
}
