import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWith } from '../contracts/index.ts';
import { type AuditVerdict, genesisHash, verifyAuditLog } from './audit-log.ts';
import { RunDirectoryError } from './errors.ts';
import { RunMetaSchema } from './run-directory.ts';
import { Store } from './store.ts';

/**
 * Verifies a run directory's audit log (`events.jsonl`) against its hash chain and the head anchored in its
 * store. Reads only; opens the store read-only in effect (no writes).
 */
export function verifyRun(dir: string): AuditVerdict & { anchoredSeq: number | undefined } {
  const metaFile = join(dir, 'meta.json');
  const eventsFile = join(dir, 'events.jsonl');
  if (!existsSync(metaFile) || !existsSync(eventsFile))
    throw new RunDirectoryError(
      `${dir} is not a labloop run directory: meta.json or events.jsonl is missing`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(metaFile, 'utf8'));
  } catch (error) {
    throw new RunDirectoryError(`${metaFile} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const meta = parseWith(RunMetaSchema, raw, metaFile);
  let anchor: { seq: number; hash: string } | undefined;
  if (existsSync(join(dir, 'store.sqlite'))) {
    const store = new Store(join(dir, 'store.sqlite'));
    anchor = store.auditAnchor(meta.campaignId);
    store.close();
  }
  return {
    ...verifyAuditLog(readFileSync(eventsFile, 'utf8'), genesisHash(meta.campaignId), anchor),
    anchoredSeq: anchor?.seq,
  };
}
