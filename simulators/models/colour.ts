/**
 * Hidden ground truth of the colour-mixing campaign: what a transmitted-light plate reader sees through a
 * well of dyes. Pure functions, no noise (the plate reader adds seeded noise).
 *
 * Beer–Lambert over a fixed optical path: absorbance at each wavelength is Σ εᵢ·cᵢ, with cᵢ the volume
 * fraction of dye stock i in the well (water dilutes). Dyes aggregate at high concentration, which
 * flattens their absorbance: the effective concentration is c / (1 + k·c). A little stray light reaches
 * the detector whatever the absorbance.
 */

/** Transmitted light at 620 nm (r), 540 nm (g) and 450 nm (b), each 0–1. */
export interface Rgb {
  r: number;
  g: number;
  b: number;
}

/** A dye's absorbance per unit volume fraction of stock, at the reader's path length, and its aggregation. */
interface Dye {
  absorbance: Rgb;
  aggregation: number;
}

/** The dyes the liquid handler holds. Water (and any reservoir not listed) only dilutes. */
const DYES: Readonly<Record<string, Dye>> = {
  // Red dye absorbs green strongly and blue partly.
  red: { absorbance: { r: 0.12, g: 3.2, b: 1.6 }, aggregation: 0.8 },
  // Yellow absorbs blue.
  yellow: { absorbance: { r: 0.05, g: 0.45, b: 3.4 }, aggregation: 0.3 },
  // Blue absorbs red and some green.
  blue: { absorbance: { r: 3.4, g: 1.1, b: 0.15 }, aggregation: 1.2 },
};

/** Fraction of the lamp that reaches the detector without crossing the liquid. */
const STRAY_LIGHT = 0.005;

/** Volume fractions of each reservoir in a mixture given in µL. Throws on an empty mixture. */
export function fractions(volumes: Readonly<Record<string, number>>): Record<string, number> {
  const total = Object.values(volumes).reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new RangeError(`a mixture needs a positive total volume, got ${total} µL`);
  return Object.fromEntries(Object.entries(volumes).map(([name, v]) => [name, v / total]));
}

/** The light a well with these reservoir volumes (µL) transmits, noise-free. */
export function transmittedLight(volumes: Readonly<Record<string, number>>): Rgb {
  const absorbance: Rgb = { r: 0, g: 0, b: 0 };
  for (const [name, c] of Object.entries(fractions(volumes))) {
    const dye = DYES[name];
    if (dye === undefined) continue;
    const effective = c / (1 + dye.aggregation * c);
    absorbance.r += dye.absorbance.r * effective;
    absorbance.g += dye.absorbance.g * effective;
    absorbance.b += dye.absorbance.b * effective;
  }
  const seen = (a: number) => STRAY_LIGHT + (1 - STRAY_LIGHT) * 10 ** -a;
  return { r: seen(absorbance.r), g: seen(absorbance.g), b: seen(absorbance.b) };
}

/** Euclidean distance between two colours, the objective of the colour-mixing example. */
export function colourDistance(a: Rgb, b: Rgb): number {
  return Math.hypot(a.r - b.r, a.g - b.g, a.b - b.b);
}

/**
 * The mixture (µL, 200 µL in all) that produces {@link COLOUR_TARGET}: every reservoir is used, so the
 * target lies strictly inside the mixture simplex; no mixture that leaves a reservoir out comes within
 * 0.05 of it (checked in colour.test.ts).
 */
export const COLOUR_TARGET_MIXTURE: Readonly<Record<string, number>> = Object.freeze({
  red: 30,
  yellow: 50,
  blue: 20,
  water: 100,
});

/** The colour the example campaign aims for: {@link transmittedLight} of {@link COLOUR_TARGET_MIXTURE}, rounded. */
export const COLOUR_TARGET: Readonly<Rgb> = Object.freeze({ r: 0.469, g: 0.237, b: 0.1 });
