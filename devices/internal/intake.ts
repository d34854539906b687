import {
  type DeviceCommand,
  DeviceCommandSchema,
  envelopeViolations,
  type Fault,
  FaultCodes,
  formatIssues,
} from '../../contracts/index.ts';
import type { CapabilityCatalogue } from '../capabilities.ts';

/** What the agent should do with one received payload, decided without side effects. */
export type IntakeDecision =
  /** The payload names a commandId but is not a valid command for this device. */
  | { action: 'refuse'; commandId: string; fault: Fault }
  /** A valid command whose parameters have been parsed (defaults applied). */
  | { action: 'accept'; command: DeviceCommand; parameters: Record<string, unknown> };

/** Reads the commandId of a payload before anything else, so even a bad command can be answered. */
export function readCommandId(text: string): { commandId: string; data: unknown } | { reason: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { reason: `payload is not JSON (${(error as Error).message}): ${preview(text)}` };
  }
  const id =
    data !== null && typeof data === 'object' ? (data as { commandId?: unknown }).commandId : undefined;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200)
    return {
      reason: `payload has no commandId string of 1–200 characters, got ${preview(JSON.stringify(id))}`,
    };
  return { commandId: id, data };
}

/**
 * Checks a command against the command schema, this device, the catalogue's parameter schema and the
 * safe operating envelope, in that order; the first failure names every bad field it found.
 * Expiry is not checked here: it depends on the clock and is journalled.
 */
export function checkCommand(
  commandId: string,
  data: unknown,
  deviceId: string,
  catalogue: CapabilityCatalogue,
): IntakeDecision {
  const where = `(command ${commandId}, device ${deviceId})`;
  const refuse = (code: string, message: string): IntakeDecision => ({
    action: 'refuse',
    commandId,
    fault: { code, message: `${message} ${where}`, retryable: false },
  });
  const parsed = DeviceCommandSchema.safeParse(data, { reportInput: true });
  if (!parsed.success)
    return refuse(
      FaultCodes.InvalidParameters,
      `command is malformed: ${formatIssues(parsed.error).join('; ')}`,
    );
  const command = parsed.data;
  if (command.deviceId !== deviceId)
    return refuse(
      FaultCodes.InvalidParameters,
      `command is addressed to device ${JSON.stringify(command.deviceId)}, expected ${JSON.stringify(deviceId)}`,
    );
  const spec = Object.hasOwn(catalogue, command.command) ? catalogue[command.command] : undefined;
  if (spec === undefined)
    return refuse(
      FaultCodes.UnknownCommand,
      `unknown command ${JSON.stringify(command.command)}; expected one of ${Object.keys(catalogue).join(', ')}`,
    );
  const parameters = spec.parameters.safeParse(command.parameters, { reportInput: true });
  if (!parameters.success)
    return refuse(
      FaultCodes.InvalidParameters,
      `parameters of ${command.command} are invalid: ${formatIssues(parameters.error).join('; ')}`,
    );
  const violations = envelopeViolations(spec.envelope, parameters.data);
  if (violations.length > 0)
    return refuse(
      FaultCodes.OutsideEnvelope,
      `${command.command} is outside the safe operating envelope: ${violations.join('; ')}`,
    );
  return { action: 'accept', command, parameters: parameters.data as Record<string, unknown> };
}

function preview(text: string | undefined): string {
  if (text === undefined) return 'nothing';
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
