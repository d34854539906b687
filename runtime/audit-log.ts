import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import type { Clock, RunEvent, RunEventBody } from '../contracts/index.ts';
import { RunDirectoryError } from './errors.ts';

/** Who did something: `runtime`, `planner:<strategy>`, `gate`, `device:<id>`, `operator:<name>`. */
export type Actor = string;

/** One record of the audit log as written: the event, who caused it, why, and its place in the hash chain. */
export type AuditRecord = RunEvent & { who: Actor; why?: string; prev: string; hash: string };

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The hash the first record chains to, so two campaigns' logs cannot be spliced together. */
export function genesisHash(campaignId: string): string {
  return sha256(`labloop audit log of ${campaignId}`);
}

function hashOf(record: Omit<AuditRecord, 'hash'>): string {
  return sha256(JSON.stringify(record));
}

/**
 * An append-only, hash-chained log (`events.jsonl`): every record carries the hash of the one before it and
 * its own hash over its content, so any edit, deletion, insertion or reordering breaks the chain
 * ({@link verifyAuditLog}). A torn last line (the process died mid-write) is cut off when the log is opened and
 * the cut is itself recorded.
 */
export class AuditLog {
  private fd: number | undefined;
  private seq = 0;
  private last: string;
  private readonly listeners = new Set<(record: AuditRecord) => void>();

  constructor(
    readonly file: string,
    genesis: string,
    clock: Clock,
  ) {
    this.last = genesis;
    if (!existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    const lines = text.slice(0, end).split('\n').filter(Boolean);
    const tail = lines.at(-1);
    if (tail) {
      let record: AuditRecord;
      try {
        record = JSON.parse(tail) as AuditRecord;
      } catch (error) {
        throw new RunDirectoryError(
          `${file} line ${lines.length} is not an audit record (${(error as Error).message}); the log was edited or damaged: run \`labloop audit verify\` on the run directory`,
          { cause: error },
        );
      }
      this.seq = record.seq;
      this.last = record.hash;
    }
    if (end < text.length) {
      truncateSync(file, Buffer.byteLength(text.slice(0, end)));
      this.append(
        { type: 'log.repaired', droppedBytes: Buffer.byteLength(text.slice(end)) },
        clock.now(),
        'runtime',
        'the last line was torn by a crash',
      );
    }
  }

  /** Calls `listener` with every record appended from now on; returns a function that stops it. */
  subscribe(listener: (record: AuditRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Appends one record and returns it. */
  append(event: RunEventBody, at: number, who: Actor, why?: string): AuditRecord {
    this.fd ??= openSync(this.file, 'a');
    const unsigned = {
      seq: this.seq + 1,
      at,
      who,
      ...(why === undefined ? {} : { why }),
      ...event,
      prev: this.last,
    } as Omit<AuditRecord, 'hash'>;
    const record = { ...unsigned, hash: hashOf(unsigned) } as AuditRecord;
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    this.seq = record.seq;
    this.last = record.hash;
    for (const listener of this.listeners) listener(record);
    return record;
  }

  /** The last record's sequence number and hash: an anchor to keep elsewhere, so truncation is detectable. */
  head(): { seq: number; hash: string } {
    return { seq: this.seq, hash: this.last };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The verdict of {@link verifyAuditLog}. */
export type AuditVerdict =
  | { ok: true; records: number }
  | { ok: false; records: number; line: number; seq: number | undefined; reason: string };

/**
 * Checks a hash-chained log: every line parses, sequence numbers count up from 1, each record's `prev` is the
 * hash of the one before (the first's is the genesis hash), each record's hash matches its content, and — given
 * an anchor kept elsewhere (the store) — the log reaches the anchored record unchanged. Reports the first bad
 * record.
 */
export function verifyAuditLog(
  text: string,
  genesis: string,
  anchor?: { seq: number; hash: string },
): AuditVerdict {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let prev = genesis;
  let anchored = anchor === undefined;
  for (let i = 0; i < lines.length; i++) {
    const fail = (reason: string, seq?: number): AuditVerdict => ({
      ok: false,
      records: i,
      line: i + 1,
      seq,
      reason,
    });
    let record: AuditRecord;
    try {
      record = JSON.parse(lines[i] as string) as AuditRecord;
    } catch {
      return fail('not valid JSON');
    }
    if (typeof record !== 'object' || record === null || typeof record.hash !== 'string')
      return fail('not an audit record');
    if (record.seq !== i + 1)
      return fail(
        `sequence number ${record.seq} where ${i + 1} was expected (a record was deleted, inserted or moved)`,
        record.seq,
      );
    if (record.prev !== prev)
      return fail(
        'does not chain to the record before it (a record was deleted, inserted or moved)',
        record.seq,
      );
    const { hash, ...unsigned } = record;
    if (hashOf(unsigned) !== hash)
      return fail('its content does not match its hash (the record was edited)', record.seq);
    if (anchor && record.seq === anchor.seq) {
      if (record.hash !== anchor.hash)
        return fail('differs from the anchored record kept in the store', record.seq);
      anchored = true;
    }
    prev = hash;
  }
  if (!anchored)
    return {
      ok: false,
      records: lines.length,
      line: lines.length + 1,
      seq: anchor?.seq,
      reason: `the log ends before record ${anchor?.seq}, which the store anchors (it was truncated)`,
    };
  return { ok: true, records: lines.length };
}
