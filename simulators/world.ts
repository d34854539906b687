import type { LatticeDesign } from './models/lattice.ts';

/** What a simulated well holds: reservoir name → µL, and which command filled it. */
export interface WellContents {
  volumes: Record<string, number>;
  filledBy: string;
}

/** A printed specimen: its design, its measured mass (g) and which command printed it. */
export interface Specimen {
  id: string;
  design: LatticeDesign;
  mass: number;
  printedBy: string;
}

/** A plain-JSON view of the world, for comparing a rebuilt world with the original. */
export interface WorldSnapshot {
  wells: Record<string, WellContents>;
  specimens: Record<string, Specimen>;
  tested: Record<string, string>;
}

/**
 * The in-memory lab the simulated instruments share: the plate reader reads what the liquid handler
 * mixed, the tester breaks what the printer printed. It holds only what finished physical actions
 * produced, so replaying every device journal's finished actions into an empty world rebuilds it (see
 * each simulator's `restore`). Every change is keyed by the commandId that made it, so a replay is
 * idempotent and the order in which devices replay does not matter.
 */
export class SimulatedWorld {
  private readonly wells = new Map<string, WellContents>();
  private readonly plates = new Set<string>();
  private readonly specimens = new Map<string, Specimen>();
  /** Specimen id → commandId of the test that broke it; kept apart from `specimens` so order is free. */
  private readonly tested = new Map<string, string>();

  /** The contents of a well, or `undefined` when nothing was dispensed into it. */
  well(plate: string, well: string): WellContents | undefined {
    return this.wells.get(`${plate}/${well}`);
  }

  /** Whether any liquid handler has dispensed into this plate (a plate exists once it is used). */
  hasPlate(plate: string): boolean {
    return this.plates.has(plate);
  }

  /** Records a mixed well. Returns false (and changes nothing) when another command already filled it. */
  fillWell(plate: string, well: string, contents: WellContents): boolean {
    const key = `${plate}/${well}`;
    const existing = this.wells.get(key);
    if (existing !== undefined) return existing.filledBy === contents.filledBy;
    this.wells.set(key, { volumes: { ...contents.volumes }, filledBy: contents.filledBy });
    this.plates.add(plate);
    return true;
  }

  specimen(id: string): Specimen | undefined {
    return this.specimens.get(id);
  }

  /** Records a printed specimen. Returns false (and changes nothing) when another command printed that id. */
  addSpecimen(specimen: Specimen): boolean {
    const existing = this.specimens.get(specimen.id);
    if (existing !== undefined) return existing.printedBy === specimen.printedBy;
    this.specimens.set(specimen.id, { ...specimen, design: { ...specimen.design } });
    return true;
  }

  /** The commandId of the test that broke a specimen, or `undefined` if it is untested. */
  testedBy(id: string): string | undefined {
    return this.tested.get(id);
  }

  /** Records a specimen as tested. Returns false when another command already tested it. */
  markTested(id: string, commandId: string): boolean {
    const existing = this.tested.get(id);
    if (existing !== undefined) return existing === commandId;
    this.tested.set(id, commandId);
    return true;
  }

  snapshot(): WorldSnapshot {
    const sorted = <T>(map: Map<string, T>) =>
      Object.fromEntries([...map.entries()].sort(([a], [b]) => a.localeCompare(b))) as Record<string, T>;
    return structuredClone({
      wells: sorted(this.wells),
      specimens: sorted(this.specimens),
      tested: sorted(this.tested),
    });
  }
}
