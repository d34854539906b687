import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { type Campaign, type Clock, parseWith, type RunEventBody } from '../contracts/index.ts';
import { type Actor, AuditLog, type AuditRecord, genesisHash } from './audit-log.ts';
import { RunDirectoryError } from './errors.ts';

/** `meta.json`: what a run directory is and how it was started, enough to resume it. */
export const RunMetaSchema = z.object({
  campaignId: z.string(),
  seed: z.int(),
  createdAt: z.int(),
  labloopVersion: z.string(),
});
export type RunMeta = z.infer<typeof RunMetaSchema>;

const csvCell = (value: unknown): string => {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** A row of `results.csv`. */
export interface ResultRow {
  experimentId: string;
  index: number;
  batch: number;
  status: string;
  parameters: Record<string, unknown>;
  values: Record<string, number>;
  detail: string;
}

/**
 * Everything needed to understand, resume and replay one campaign, in one folder:
 * `campaign.yaml` (the file as given), `meta.json`, `store.sqlite`, `events.jsonl` (append-only run events),
 * `results.csv` (one row per decided experiment, written from the store when a run ends) and `journals/` (simulated devices' action journals).
 */
export class RunDirectory {
  /** `events.jsonl`: the campaign's hash-chained audit log. */
  readonly log: AuditLog;

  private constructor(
    readonly dir: string,
    readonly meta: RunMeta,
    clock: Clock,
  ) {
    this.log = new AuditLog(this.eventsFile, genesisHash(meta.campaignId), clock);
  }

  /** Creates `root/<campaignId>/` with the campaign file and meta. */
  static create(root: string, meta: RunMeta, campaignSource: string, clock: Clock): RunDirectory {
    const dir = resolve(root, meta.campaignId);
    if (existsSync(dir))
      throw new RunDirectoryError(
        `run directory ${dir} already exists; choose another campaign id or remove it`,
      );
    mkdirSync(join(dir, 'journals'), { recursive: true });
    writeFileSync(join(dir, 'campaign.yaml'), campaignSource);
    writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
    return new RunDirectory(dir, meta, clock);
  }

  /** Opens an existing run directory, checking it has what a resume needs. */
  static open(dir: string, clock: Clock): RunDirectory {
    const full = resolve(dir);
    for (const file of ['meta.json', 'campaign.yaml', 'store.sqlite'])
      if (!existsSync(join(full, file)))
        throw new RunDirectoryError(
          `${full} is not a labloop run directory: ${file} is missing (expected what \`labloop run\` creates)`,
        );
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(join(full, 'meta.json'), 'utf8'));
    } catch (error) {
      throw new RunDirectoryError(`${full}/meta.json is not JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new RunDirectory(full, parseWith(RunMetaSchema, raw, `${full}/meta.json`), clock);
  }

  get storeFile(): string {
    return join(this.dir, 'store.sqlite');
  }
  get eventsFile(): string {
    return join(this.dir, 'events.jsonl');
  }
  get resultsFile(): string {
    return join(this.dir, 'results.csv');
  }
  get journalDir(): string {
    return join(this.dir, 'journals');
  }

  campaignSource(): string {
    return readFileSync(join(this.dir, 'campaign.yaml'), 'utf8');
  }

  /** Appends one event to the audit log (`events.jsonl`), saying who caused it and, where it helps, why. */
  append(event: RunEventBody, at: number, who: Actor, why?: string): AuditRecord {
    return this.log.append(event, at, who, why);
  }

  /** Writes `results.csv` afresh from the store's rows: one line per decided experiment, in index order. */
  writeResults(campaign: Campaign, rows: readonly ResultRow[]): void {
    const params = campaign.space.map((p) => p.name);
    const objectives = campaign.objectives.map((o) => o.name);
    const lines = [['experiment', 'index', 'batch', 'status', ...params, ...objectives, 'detail'].join(',')];
    for (const row of rows)
      lines.push(
        [
          row.experimentId,
          row.index,
          row.batch,
          row.status,
          ...params.map((p) => row.parameters[p]),
          ...objectives.map((o) => row.values[o]),
          row.detail,
        ]
          .map(csvCell)
          .join(','),
      );
    writeFileSync(this.resultsFile, `${lines.join('\n')}\n`);
  }

  close(): void {
    this.log.close();
  }
}
