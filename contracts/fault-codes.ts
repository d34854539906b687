/**
 * The stable error names of the device contract. They are public: Step Functions `Retry`/`Catch` match on
 * them and third-party devices send them. Devices may add their own PascalCase codes.
 */
export const FaultCodes = {
  /** The command's deadline passed before the device received it. Not retryable with the same id. */
  CommandExpired: 'CommandExpired',
  /** Parameters failed the command's schema. */
  InvalidParameters: 'InvalidParameters',
  /** A parameter is outside the device's safe operating envelope. */
  OutsideEnvelope: 'OutsideEnvelope',
  /** The device has no such command. */
  UnknownCommand: 'UnknownCommand',
  /** The device is executing another command. Retryable. */
  DeviceBusy: 'DeviceBusy',
  /** The device crashed while executing this command and cannot tell whether it acted. Needs a human. */
  OutcomeUnknown: 'OutcomeUnknown',
  /** The orchestrator heard nothing before the step's timeout. */
  StepTimeout: 'StepTimeout',
  /** No device of the needed kind came online in time. */
  NoDeviceAvailable: 'NoDeviceAvailable',
  /** An emergency stop aborted or refused this command. */
  EmergencyStop: 'EmergencyStop',
  /** The device is halted by an emergency stop and takes no commands until it is reset. */
  DeviceHalted: 'DeviceHalted',
  /**
   * An `interrupt` (pause now, abort) stopped the command. Retryable when starting the step again is safe: the
   * command had not started, or its capability is resumable; otherwise the sample is spoilt.
   */
  Interrupted: 'Interrupted',
  /** The driver threw something that is not a typed fault. */
  DriverError: 'DriverError',
} as const;
export type FaultCode = (typeof FaultCodes)[keyof typeof FaultCodes];
