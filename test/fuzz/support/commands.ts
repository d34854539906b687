import fc from 'fast-check';
import type { DeviceKind } from '../../../devices/index.ts';

/** How many random cases a property runs: the CI size, or the full size under `npm run test:chaos`. */
export function runs(ci: number, full: number): number {
  return process.env.LABLOOP_CHAOS === 'full' ? full : ci;
}

/**
 * Numbers a planner, a bug or an attacker might send: inside the range, on and just past its edges, and every
 * IEEE oddity (NaN, ±Infinity, -0, subnormals, huge), plus values that are not numbers at all.
 */
export function wildNumber(min: number, max: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 10, arbitrary: fc.double({ min, max, noNaN: true }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(min, max, min - 1e-9, max + 1e-9, min * 0.99, max * 1.01, 0, -0, -min, -max),
    },
    { weight: 2, arbitrary: fc.double() },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        1e308,
        -1e308,
        5e-324,
        Number.MAX_SAFE_INTEGER + 2,
        2 ** 53,
      ),
    },
    {
      weight: 1,
      arbitrary: fc.oneof(fc.constant(null), fc.boolean(), fc.constant(String(max)), fc.constant({})),
    },
  );
}

/** A record whose fields are each present or missing, plus sometimes fields nobody asked for. */
function withMissingAndExtra(
  fields: Record<string, fc.Arbitrary<unknown>>,
): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      fc.record(fields, { requiredKeys: [] }),
      fc.option(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }), {
        freq: 3,
      }),
    )
    .map(([known, extra]) => ({ ...(extra ?? {}), ...known }));
}

const label = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('plate-1', 'spec.7', 'P_2') },
  { weight: 1, arbitrary: fc.string({ maxLength: 70 }) },
);
const well = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('A1', 'H12', 'D7') },
  { weight: 1, arbitrary: fc.constantFrom('I1', 'A13', 'a1', '', 7) },
);
const reservoir = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('red', 'yellow', 'blue', 'water') },
  { weight: 1, arbitrary: fc.constantFrom('Red', '', '__proto__', 'constructor', 'x'.repeat(40)) },
);

/** Random `parameters` for every command of a kind, one generator per command. */
export const parameterArbitraries: Record<
  DeviceKind,
  Record<string, fc.Arbitrary<Record<string, unknown>>>
> = {
  'liquid-handler': {
    mix: withMissingAndExtra({
      plate: label,
      well,
      volumes: fc.oneof(
        { weight: 8, arbitrary: fc.dictionary(reservoir, wildNumber(1, 400), { minKeys: 0, maxKeys: 4 }) },
        {
          weight: 1,
          arbitrary: fc.oneof(fc.constant(null), fc.array(fc.nat(), { maxLength: 2 }), fc.constant(50)),
        },
      ),
    }),
    refill: withMissingAndExtra({ reservoir }),
  },
  'plate-reader': { measure: withMissingAndExtra({ plate: label, well }) },
  'printer-3d': {
    print: withMissingAndExtra({
      specimen: label,
      strutThickness: wildNumber(0.4, 3),
      cellSize: wildNumber(2, 20),
      nozzleTemperature: wildNumber(180, 260),
    }),
  },
  'mechanical-tester': {
    compress: withMissingAndExtra({
      specimen: label,
      maxForce: wildNumber(10, 20_000),
      strain: wildNumber(5, 80),
    }),
  },
};

/** A command name of the kind, or sometimes one it does not have. */
export function commandFor(
  kind: DeviceKind,
): fc.Arbitrary<{ command: string; parameters: Record<string, unknown> }> {
  const known = Object.entries(parameterArbitraries[kind]).map(([command, parameters]) =>
    parameters.map((p) => ({ command, parameters: p })),
  );
  return fc.oneof(
    { weight: 20, arbitrary: fc.oneof(...known) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('toString', 'constructor', 'emergencystop', 'MIX', ''), fc.constant({}))
        .map(([command, parameters]) => ({ command, parameters })),
    },
  );
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const within = (v: unknown, min: number, max: number) => finite(v) && v >= min && v <= max;

/**
 * The safe operating envelopes, restated from the device documentation (not read from the catalogue, so the
 * test does not check the code against itself): the parameters a driver may ever be handed.
 */
export function insideEnvelope(command: string, p: Record<string, unknown>): boolean {
  switch (command) {
    case 'mix': {
      const volumes = p.volumes;
      if (volumes === null || typeof volumes !== 'object' || Array.isArray(volumes)) return false;
      const values = Object.values(volumes);
      const each = values.every((v) => finite(v) && (v === 0 || within(v, 1, 1000)));
      const sum = values.reduce((a: number, b) => a + (b as number), 0);
      return each && within(sum, 1, 300);
    }
    case 'print':
      return (
        within(p.strutThickness, 0.4, 3) && within(p.cellSize, 2, 20) && within(p.nozzleTemperature, 180, 260)
      );
    case 'compress':
      return within(p.maxForce, 10, 20_000) && within(p.strain, 5, 80);
    case 'refill':
    case 'measure':
      return true;
    default:
      return false;
  }
}

/** The parameter names a command may carry, to check that a refusal names one of them. */
export const FIELD_NAMES = [
  'plate',
  'well',
  'volumes',
  'reservoir',
  'specimen',
  'strutThickness',
  'cellSize',
  'nozzleTemperature',
  'maxForce',
  'strain',
];

/** The faults a refused command may carry: all typed, all from the device contract. */
export const REFUSAL_CODES = ['InvalidParameters', 'OutsideEnvelope', 'UnknownCommand'];

/**
 * Whether a refusal names what was wrong: a parameter, the command field (as a path, `command: …`), or the
 * unknown command's name. The `(command <id>, device <id>)` suffix every fault carries does not count.
 */
export function namesAField(message: string, command: string): boolean {
  const text = message.replace(/\(command [^()]*, device [^()]*\)$/, '');
  return (
    FIELD_NAMES.some((field) => text.includes(field)) ||
    /(^|[ ;:])command: /.test(text) ||
    text.includes(`unknown command ${JSON.stringify(command)}`)
  );
}
