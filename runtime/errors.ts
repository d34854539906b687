/** Base of the runtime's errors. */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/** The MQTT broker could not be started or reached. */
export class BrokerError extends RuntimeError {
  override name = 'BrokerError';
}

/** A run directory is missing, incomplete or belongs to something else. */
export class RunDirectoryError extends RuntimeError {
  override name = 'RunDirectoryError';
}

/** The store's file is unreadable or its contents contradict themselves. */
export class StoreError extends RuntimeError {
  override name = 'StoreError';
}

/** An operator action that is not allowed now (resume a running campaign, approve a proposal nobody asked about). */
export class OperatorActionError extends RuntimeError {
  override name = 'OperatorActionError';
}

/** A credentials file is missing, unreadable, not private to its owner, or would overwrite another. */
export class CredentialsError extends RuntimeError {
  override name = 'CredentialsError';
}
