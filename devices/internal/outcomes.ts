import { type Clock, type DeviceCommand, type Fault, FaultCodes } from '../../contracts/index.ts';
import { DeviceFaultError } from '../errors.ts';
import type { CommandJournal } from '../journal.ts';

/**
 * Closes every `begin` that has no `finish` with an `OutcomeUnknown` fault and returns their commandIds.
 * A begin with no finish is a crash mid-action: the device cannot know whether it acted, so the command is
 * answered as unknown from now on and never re-executed.
 */
export function closeUnfinished(journal: CommandJournal, deviceId: string, clock: Clock): string[] {
  const unknown: string[] = [];
  for (const entry of [...journal.entries()]) {
    if (entry.type !== 'begin' || journal.find(entry.commandId)?.finish) continue;
    journal.append({
      type: 'finish',
      commandId: entry.commandId,
      at: clock.now(),
      outcome: {
        type: 'fault',
        error: {
          code: FaultCodes.OutcomeUnknown,
          message: `device ${deviceId} restarted while executing ${entry.command}; whether it acted is unknown (command ${entry.commandId})`,
          retryable: false,
        },
      },
    });
    unknown.push(entry.commandId);
  }
  return unknown;
}

/** A typed driver fault keeps its code; anything else a driver throws becomes `DriverError`. */
export function toFault(error: unknown, command: DeviceCommand, deviceId: string): Fault {
  if (error instanceof DeviceFaultError)
    return { code: error.code, message: error.message, retryable: error.retryable };
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: FaultCodes.DriverError,
    message: `driver failed on ${command.command}: ${message} (command ${command.commandId}, device ${deviceId})`,
    retryable: false,
  };
}
