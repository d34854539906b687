import { EMERGENCY_STOP, INTERRUPT, RESET, type ReservedCommand } from '../../../devices/index.ts';

/**
 * The reserved command a command id belongs to (`emergencyStop/<lab>/<device>/<ms>`,
 * `interrupt/<lab>/<device>/<target>`), if it is one.
 */
export function reservedCommandOf(commandId: string): ReservedCommand | undefined {
  return ([EMERGENCY_STOP, RESET, INTERRUPT] as const).find((reserved) =>
    commandId.startsWith(`${reserved}/`),
  );
}

/** Experiment and step of a workflow command id (`<experimentId>/<step>/<attempt>`), if it is one. */
export function stepOf(commandId: string): { experimentId: string; step: string } | undefined {
  const parts = commandId.split('/');
  if (parts.length !== 3 || !/^\d+$/.test(parts[2] as string) || reservedCommandOf(commandId))
    return undefined;
  return { experimentId: parts[0] as string, step: parts[1] as string };
}
