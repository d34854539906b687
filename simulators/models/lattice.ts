/**
 * Hidden ground truth of the 3D-printing campaign: a 20 mm cubic lattice printed in PLA-class filament,
 * then compressed. Pure functions, no noise (the simulators add seeded noise).
 *
 * The physics is Gibson–Ashby-like and deliberately imperfect, like a real process:
 * - relative density ρ of a cubic strut lattice: 3x² − 2x³ with x = strut thickness / cell size (solid at x ≥ 1);
 * - plateau stress ∝ ρ^1.5 (bending-dominated cells), modulus ∝ ρ²;
 * - struts near the 0.4 mm nozzle width print with defects; cells larger than ~⅓ of the specimen leave
 *   edge struts unsupported; both knock the strength down;
 * - interlayer bonding peaks at an interior nozzle temperature (too cold: poor fusion; too hot: degradation)
 *   and scales strength and ductility;
 * - dense lattices fail brittlely soon after yield, so the energy absorbed peaks at an intermediate density.
 * The toughness optimum is therefore interior in all three parameters (see lattice.test.ts).
 */

/** Edge of the cubic specimen, mm. */
export const SPECIMEN_SIZE = 20;
/** Specimen volume, mm³. */
export const SPECIMEN_VOLUME = SPECIMEN_SIZE ** 3;
/** Loaded face of the specimen, mm². */
export const SPECIMEN_AREA = SPECIMEN_SIZE ** 2;
/** Filament density, g/mm³ (1.24 g/cm³). */
export const MATERIAL_DENSITY = 1.24e-3;
/** Solid filament strength and modulus, MPa. */
const SOLID_STRENGTH = 60;
const SOLID_MODULUS = 3000;
/** Nozzle temperature of the best interlayer bonding, °C. Hidden from planners. */
export const BEST_BONDING_TEMPERATURE = 226;

/** The geometry and process parameters of one printed specimen. */
export interface LatticeDesign {
  /** mm */
  strutThickness: number;
  /** mm */
  cellSize: number;
  /** °C */
  nozzleTemperature: number;
}

/** Relative density (0–1) of a cubic lattice with square struts. */
export function relativeDensity(strutThickness: number, cellSize: number): number {
  const x = Math.min(Math.max(strutThickness / cellSize, 0), 1);
  return 3 * x * x - 2 * x * x * x;
}

/** Interlayer bonding quality (0.35–1): a Gaussian bump around {@link BEST_BONDING_TEMPERATURE}. */
export function bondingQuality(nozzleTemperature: number): number {
  return 0.35 + 0.65 * Math.exp(-(((nozzleTemperature - BEST_BONDING_TEMPERATURE) / 18) ** 2));
}

/** What printing a design gives: ρ, mass (g) and print time (s). */
export interface PrintOutcome {
  relativeDensity: number;
  mass: number;
  printTime: number;
}

/** Mass follows the material printed; time is a fixed 20 min of setup and shell plus 40 min per unit density. */
export function printOutcome(design: LatticeDesign): PrintOutcome {
  const rho = relativeDensity(design.strutThickness, design.cellSize);
  return {
    relativeDensity: rho,
    mass: rho * SPECIMEN_VOLUME * MATERIAL_DENSITY,
    printTime: (20 + 40 * rho) * 60,
  };
}

/** How a compression test is run. */
export interface CompressionSettings {
  /** % of the specimen height to compress. */
  strain: number;
  /** N; the crosshead stops when the force reaches it. */
  maxForce: number;
}

/** What a compression test measures (before noise). */
export interface CompressionResponse {
  /** Energy absorbed up to the end of the test, J. */
  toughness: number;
  /** Highest force seen, N. */
  peakForce: number;
  /** Whether struts fractured before the test ended. */
  fractured: boolean;
  /** Why the test ended. */
  stoppedBy: 'strain' | 'force';
}

/** The mechanical constants of one specimen, derived once from its design. */
function material(design: LatticeDesign) {
  const rho = relativeDensity(design.strutThickness, design.cellSize);
  const printQuality = 1 - 0.6 * Math.exp(-(design.strutThickness - 0.4) / 0.5);
  const support = 1 / (1 + (design.cellSize / 10) ** 3);
  const bonding = bondingQuality(design.nozzleTemperature);
  const plateau = 0.3 * SOLID_STRENGTH * rho ** 1.5 * printQuality * support * bonding;
  const modulus = Math.max(SOLID_MODULUS * rho ** 2 * printQuality, 1e-9);
  const yieldStrain = Math.min(plateau / modulus, 0.05);
  const ductility = 1 / (1 + Math.exp((rho - 0.3) / 0.06));
  return {
    plateau,
    yieldStrain,
    densification: Math.max(0.1, 1 - 1.4 * rho),
    fracture: yieldStrain * (1 + 40 * bonding ** 2 * ductility),
  };
}

/** Engineering stress (MPa) at strain `e` (0–1) of a specimen with constants `m`. */
function stressAt(m: ReturnType<typeof material>, e: number): number {
  if (e > m.fracture) return 0.02 * m.plateau;
  if (e < m.yieldStrain) return (m.plateau * e) / m.yieldStrain;
  const hardened = m.plateau * (1 + 0.2 * (Math.min(e, m.densification) - m.yieldStrain));
  return e < m.densification ? hardened : hardened * (1 + ((e - m.densification) / 0.1) ** 2);
}

/**
 * Compresses a specimen: integrates the stress–strain curve (MPa × mm³ = mJ) up to the strain limit or
 * until the force reaches `maxForce`.
 */
export function compressionResponse(
  design: LatticeDesign,
  settings: CompressionSettings,
): CompressionResponse {
  const m = material(design);
  const end = settings.strain / 100;
  const steps = 400;
  const de = end / steps;
  let energy = 0;
  let peak = 0;
  let previous = 0;
  let stoppedBy: CompressionResponse['stoppedBy'] = 'strain';
  let reached = 0;
  for (let i = 1; i <= steps; i++) {
    const e = i * de;
    const stress = stressAt(m, e);
    if (stress * SPECIMEN_AREA >= settings.maxForce) {
      // The crosshead stops at the force limit: count the part of the step up to it.
      const limit = settings.maxForce / SPECIMEN_AREA;
      const fraction = (limit - previous) / (stress - previous);
      energy += ((previous + limit) / 2) * de * fraction;
      peak = Math.max(peak, limit);
      stoppedBy = 'force';
      reached = e - de + de * fraction;
      break;
    }
    energy += ((previous + stress) / 2) * de;
    peak = Math.max(peak, stress);
    previous = stress;
    reached = e;
  }
  return {
    toughness: (energy * SPECIMEN_VOLUME) / 1000,
    peakForce: peak * SPECIMEN_AREA,
    fractured: reached > m.fracture,
    stoppedBy,
  };
}
