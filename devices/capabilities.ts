import { z } from 'zod';
import { type Capability, type EnvelopeRule, EnvelopeRuleSchema } from '../contracts/index.ts';

/**
 * One command a device kind accepts: what it does, a Zod schema of its parameters (units in each field's
 * `unit` metadata), the safe operating envelope the agent enforces before the driver sees it, and whether
 * an interrupted run can be resumed.
 */
export interface CommandSpec<P extends z.ZodType = z.ZodType> {
  description: string;
  parameters: P;
  envelope: readonly EnvelopeRule[];
  resumable: boolean;
}

/** Command name → {@link CommandSpec}: everything a device kind can be asked to do. */
export type CapabilityCatalogue = Record<string, CommandSpec>;

/** The parameters a driver receives for command `K` of catalogue `C`, after parsing (defaults applied). */
export type CommandParameters<C extends CapabilityCatalogue, K extends keyof C> = z.output<
  C[K]['parameters']
>;

/**
 * Keeps the literal types of a catalogue, so drivers get typed parameters per command.
 *
 * @example
 * const thermostat = defineCatalogue({
 *   setTemperature: {
 *     description: 'Holds the chamber at a temperature.',
 *     parameters: z.object({ temperature: z.number().meta({ unit: '°C' }) }),
 *     envelope: [envelopeRule({ parameter: 'temperature', unit: '°C', min: 4, max: 90 })],
 *     resumable: true,
 *   },
 * });
 */
export function defineCatalogue<C extends CapabilityCatalogue>(catalogue: C): C {
  return catalogue;
}

/**
 * Builds an {@link EnvelopeRule} with the schema's defaults (`aggregate: 'each'`, `allowZero: false`).
 *
 * @example
 * envelopeRule({ parameter: 'volumes.*', unit: 'µL', min: 1, max: 1000, allowZero: true })
 */
export function envelopeRule(rule: z.input<typeof EnvelopeRuleSchema>): EnvelopeRule {
  return EnvelopeRuleSchema.parse(rule);
}

/**
 * Turns a catalogue into the `capabilities` of a `DeviceDescriptor`: each parameter schema becomes JSON
 * Schema (input side, so fields with defaults are optional), keeping `unit` and `description` metadata.
 */
export function describeCapabilities(catalogue: CapabilityCatalogue): Capability[] {
  return Object.entries(catalogue).map(([command, spec]) => ({
    command,
    description: spec.description,
    parameters: z.toJSONSchema(spec.parameters, { io: 'input', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >,
    envelope: [...spec.envelope],
    resumable: spec.resumable,
  }));
}
