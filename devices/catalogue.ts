import { z } from 'zod';
import { type CapabilityCatalogue, defineCatalogue } from './capabilities.ts';
import { catalogueEnvelopes } from './envelopes.ts';
import { CatalogueError } from './errors.ts';

export { WELL_CAPACITY } from './envelopes.ts';

/** The 96 wells of an SBS plate, `A1` … `H12`, row-major. */
export const WELLS = Object.freeze(
  ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'].flatMap((row) =>
    Array.from({ length: 12 }, (_, i) => `${row}${i + 1}`),
  ),
) as readonly string[];

/** A well of a 96-well plate. */
export const WellSchema = z.enum(WELLS as [string, ...string[]]).meta({ description: 'well, A1 … H12' });

/** A labware or specimen label: letters, digits, `.`, `_`, `-`. */
export const LabelSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1–64 letters, digits, ".", "_" or "-"');

/** A reservoir name on a liquid handler, e.g. `red`. */
export const ReservoirNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be lowercase letters, digits and -, starting with a letter');

/** liquid-handler: dispenses reservoirs into plate wells. */
export const liquidHandlerCatalogue = defineCatalogue({
  mix: {
    description: 'Dispenses each reservoir volume into one empty well of a plate and mixes it.',
    parameters: z.object({
      plate: LabelSchema.meta({ description: 'plate label' }),
      well: WellSchema,
      volumes: z
        .record(ReservoirNameSchema, z.number().nonnegative().meta({ unit: 'µL' }))
        .meta({ description: 'reservoir → volume to dispense, µL; 0 skips the reservoir' }),
    }),
    envelope: catalogueEnvelopes['liquid-handler'].mix,
    resumable: false,
  },
  refill: {
    description: 'Fills one reservoir to its capacity. Safe to repeat.',
    parameters: z.object({ reservoir: ReservoirNameSchema }),
    envelope: catalogueEnvelopes['liquid-handler'].refill,
    resumable: true,
  },
});

/** plate-reader: transmitted-light absorbance reader. */
export const plateReaderCatalogue = defineCatalogue({
  measure: {
    description:
      'Measures the light a well transmits at 620, 540 and 450 nm, reported as r, g, b fractions 0–1.',
    parameters: z.object({ plate: LabelSchema.meta({ description: 'plate label' }), well: WellSchema }),
    envelope: catalogueEnvelopes['plate-reader'].measure,
    resumable: true,
  },
});

/** printer-3d: fused-filament printer that prints cubic lattice specimens (20 mm cubes). */
export const printer3dCatalogue = defineCatalogue({
  print: {
    description: 'Prints a 20 mm cubic lattice specimen with the given strut thickness and cell size.',
    parameters: z.object({
      specimen: LabelSchema.meta({ description: 'label of the specimen to print; printed once' }),
      strutThickness: z.number().positive().meta({ unit: 'mm' }),
      cellSize: z.number().positive().meta({ unit: 'mm' }),
      nozzleTemperature: z.number().meta({ unit: '°C' }),
    }),
    envelope: catalogueEnvelopes['printer-3d'].print,
    resumable: false,
  },
});

/** mechanical-tester: uniaxial compression frame with a 20 kN load cell. */
export const mechanicalTesterCatalogue = defineCatalogue({
  compress: {
    description:
      'Compresses a printed specimen to a strain (or until the force limit) and reports the energy absorbed and the peak force.',
    parameters: z.object({
      specimen: LabelSchema.meta({ description: 'label of a printed specimen; each is tested once' }),
      maxForce: z.number().positive().default(20_000).meta({ unit: 'N', description: 'stops at this force' }),
      strain: z.number().positive().default(60).meta({ unit: '%', description: 'compression to reach' }),
    }),
    envelope: catalogueEnvelopes['mechanical-tester'].compress,
    resumable: false,
  },
});

/** A device kind of the catalogue: its commands and what "safe" means for it (used by emergency stop). */
export interface DeviceKindSpec<C extends CapabilityCatalogue = CapabilityCatalogue> {
  kind: string;
  commands: C;
  /** The state an emergency stop puts the instrument in, as a technician would check it. */
  safeState: string;
}

/** Every device kind labloop knows, by slug. */
export const deviceKinds = {
  'liquid-handler': {
    kind: 'liquid-handler',
    commands: liquidHandlerCatalogue,
    safeState: 'pumps stopped, head parked over the waste position, no tip loaded',
  },
  'plate-reader': {
    kind: 'plate-reader',
    commands: plateReaderCatalogue,
    safeState: 'lamp off, plate carrier retracted and door unlocked',
  },
  'printer-3d': {
    kind: 'printer-3d',
    commands: printer3dCatalogue,
    safeState: 'motion stopped, nozzle and bed heaters off, nozzle raised clear of the part',
  },
  'mechanical-tester': {
    kind: 'mechanical-tester',
    commands: mechanicalTesterCatalogue,
    safeState: 'crosshead stopped and raised, load released to zero',
  },
} as const satisfies Record<string, DeviceKindSpec>;

/** A device kind slug the catalogue knows. */
export type DeviceKind = keyof typeof deviceKinds;

/**
 * Returns the catalogue entry of a kind, or throws {@link CatalogueError} listing the known kinds.
 *
 * @example
 * deviceKind('printer-3d').commands.print.envelope
 */
export function deviceKind(kind: string): DeviceKindSpec {
  if (!Object.hasOwn(deviceKinds, kind))
    throw new CatalogueError(
      `unknown device kind ${JSON.stringify(kind)}; expected one of ${Object.keys(deviceKinds).join(', ')}`,
    );
  return deviceKinds[kind as DeviceKind];
}
