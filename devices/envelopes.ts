// No Zod here: the policy-gate Lambda reads the catalogue's envelopes through this module (ADR 0006).
import type { EnvelopeRule } from '../contracts/device.ts';

/** Most liquid one well holds, in µL. */
export const WELL_CAPACITY = 300;

/** An envelope rule with `EnvelopeRuleSchema`'s defaults (`aggregate: 'each'`, `allowZero: false`) filled in. */
function rule(r: {
  parameter: string;
  unit: string;
  min?: number;
  max?: number;
  aggregate?: EnvelopeRule['aggregate'];
  allowZero?: boolean;
}): EnvelopeRule {
  // The schema's key order, so a descriptor built from the catalogue serialises as it always did.
  return {
    parameter: r.parameter,
    unit: r.unit,
    ...(r.min === undefined ? {} : { min: r.min }),
    ...(r.max === undefined ? {} : { max: r.max }),
    aggregate: r.aggregate ?? 'each',
    allowZero: r.allowZero ?? false,
  };
}

/**
 * The safe operating envelope of every command of every device kind labloop knows: what the catalogue
 * (`catalogue.ts`) gives each command, the device agent enforces and the policy gate checks before any device of
 * the kind is online. Plain data, so it can be read without the catalogue's parameter schemas.
 */
export const catalogueEnvelopes = {
  'liquid-handler': {
    mix: [
      rule({ parameter: 'volumes.*', unit: 'µL', min: 1, max: 1000, allowZero: true }),
      rule({ parameter: 'volumes.*', unit: 'µL', min: 1, max: WELL_CAPACITY, aggregate: 'sum' }),
    ],
    refill: [],
  },
  'plate-reader': { measure: [] },
  'printer-3d': {
    print: [
      // The nozzle is 0.4 mm: a thinner strut cannot be extruded; above 3 mm the part warps on cooling.
      rule({ parameter: 'strutThickness', unit: 'mm', min: 0.4, max: 3 }),
      // Cells under 2 mm close up with ooze; above 20 mm a 20 mm specimen is less than one cell.
      rule({ parameter: 'cellSize', unit: 'mm', min: 2, max: 20 }),
      // PLA-class filament: under 180 °C it does not melt through, above 260 °C it degrades.
      rule({ parameter: 'nozzleTemperature', unit: '°C', min: 180, max: 260 }),
    ],
  },
  'mechanical-tester': {
    compress: [
      // The load cell is rated 20 kN.
      rule({ parameter: 'maxForce', unit: 'N', min: 10, max: 20_000 }),
      // Past 80 % the platens would touch the compacted specimen's debris.
      rule({ parameter: 'strain', unit: '%', min: 5, max: 80 }),
    ],
  },
} as const satisfies Record<string, Record<string, readonly EnvelopeRule[]>>;

/**
 * The catalogue's envelope of a kind's command, or `undefined` for a kind or command labloop does not know.
 *
 * @example
 * cataloguedEnvelope('liquid-handler', 'mix') // the per-reservoir and per-well volume limits
 */
export function cataloguedEnvelope(kind: string, command: string): readonly EnvelopeRule[] | undefined {
  if (!Object.hasOwn(catalogueEnvelopes, kind)) return undefined;
  const commands = catalogueEnvelopes[kind as keyof typeof catalogueEnvelopes] as Record<
    string,
    readonly EnvelopeRule[]
  >;
  return Object.hasOwn(commands, command) ? commands[command] : undefined;
}
