/** Base of the ASL compiler's errors. */
export class AslError extends Error {
  override name = 'AslError';
}

/**
 * A machine uses a construct outside the compiler's strict profile (DESIGN §5), or a construct the compiler
 * needs a JSONata twin or a cloud binding for and none was given. Names the state and the construct.
 */
export class AslCompileError extends AslError {
  override name = 'AslCompileError';
  constructor(
    /** The machine's id. */
    readonly machine: string,
    /** The state's path, dot-separated (`running`, `parent.child`), or `(root)`. */
    readonly state: string,
    /** The construct, e.g. `inline guard function`, `parallel state`, `assign to deviceId`. */
    readonly construct: string,
    /** What was wrong and what is expected instead. */
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`cannot compile ${machine} state "${state}": ${construct}: ${detail}`, options);
  }
}

/** An experiment execution name past Step Functions' 80 characters: the campaign id leaves too little room. */
export class ExecutionNameError extends AslError {
  override name = 'ExecutionNameError';
}
