// No imports: the campaign-api Lambda names reserved commands through this module (ADR 0006).

/** Reserved command: halt now and go to the safe state (see the MQTT contract). */
export const EMERGENCY_STOP = 'emergencyStop';
/** Reserved command: clear a halt after a person has checked the instrument. */
export const RESET = 'reset';
/** Reserved command: stop one queued or running command now, without halting the device (pause now, abort). */
export const INTERRUPT = 'interrupt';
/** The reserved commands, which are in no catalogue. */
export type ReservedCommand = typeof EMERGENCY_STOP | typeof RESET | typeof INTERRUPT;
