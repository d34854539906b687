import { EMERGENCY_STOP, RESET } from '../../../devices/index.ts';

/** The reserved command a command id belongs to (`emergencyStop/<lab>/<device>/<ms>`), if it is one. */
export function reservedCommandOf(commandId: string): typeof EMERGENCY_STOP | typeof RESET | undefined {
  if (commandId.startsWith(`${EMERGENCY_STOP}/`)) return EMERGENCY_STOP;
  if (commandId.startsWith(`${RESET}/`)) return RESET;
  return undefined;
}

/** Experiment and step of a workflow command id (`<experimentId>/<step>/<attempt>`), if it is one. */
export function stepOf(commandId: string): { experimentId: string; step: string } | undefined {
  const parts = commandId.split('/');
  if (parts.length !== 3 || !/^\d+$/.test(parts[2] as string) || reservedCommandOf(commandId))
    return undefined;
  return { experimentId: parts[0] as string, step: parts[1] as string };
}
