import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng, ScaledClock } from '../contracts/index.ts';
import { AuditLog, genesisHash, verifyAuditLog } from './audit-log.ts';

const clock = new ScaledClock(1);
const genesis = genesisHash('c-test');

function writeLog(records: number): { file: string; text: string; head: { seq: number; hash: string } } {
  const file = join(mkdtempSync(join(tmpdir(), 'labloop-audit-')), 'events.jsonl');
  const log = new AuditLog(file, genesis, clock);
  for (let i = 0; i < records; i++)
    log.append(
      i % 3 === 0
        ? {
            type: 'gate.decided',
            experimentId: `c-test-e${i}`,
            verdict: 'approved',
            reason: 'inside the envelope',
          }
        : {
            type: 'experiment.finished',
            experimentId: `c-test-e${i}`,
            status: 'succeeded',
            values: { y: i / 7 },
          },
      1_700_000_000_000 + i,
      i % 3 === 0 ? 'gate' : 'runtime',
    );
  log.close();
  return { file, text: readFileSync(file, 'utf8'), head: log.head() };
}

describe('the hash-chained audit log', () => {
  it('verifies an untouched log and continues the chain after reopening', () => {
    const { file, head } = writeLog(20);
    const reopened = new AuditLog(file, genesis, clock);
    reopened.append(
      { type: 'campaign.state', state: 'planning' },
      1,
      'operator:alice',
      'resumed after lunch',
    );
    reopened.close();
    const text = readFileSync(file, 'utf8');
    expect(verifyAuditLog(text, genesis, head)).toEqual({ ok: true, records: 21 });
    expect(JSON.parse(text.trim().split('\n').at(-1) ?? '')).toMatchObject({
      seq: 21,
      who: 'operator:alice',
      why: 'resumed after lunch',
    });
  });

  it('cuts a torn last line when reopened and records the cut', () => {
    const { file, text } = writeLog(5);
    writeFileSync(file, `${text}{"seq":6,"at":1,"who":"runt`);
    new AuditLog(file, genesis, clock).close();
    const repaired = readFileSync(file, 'utf8');
    expect(verifyAuditLog(repaired, genesis)).toEqual({ ok: true, records: 6 });
    expect(JSON.parse(repaired.trim().split('\n').at(-1) ?? '')).toMatchObject({
      type: 'log.repaired',
      droppedBytes: 27,
    });
  });

  it('detects 1,000 random tamperings of 4 kinds and reports the first bad record', () => {
    const { text, head } = writeLog(60);
    const lines = text.trim().split('\n');
    const rng = createRng(2026);
    const detected = { edit: 0, delete: 0, reorder: 0, truncate: 0 };
    for (let attempt = 0; attempt < 1000; attempt++) {
      const kind = (['edit', 'delete', 'reorder', 'truncate'] as const)[attempt % 4] as keyof typeof detected;
      const copy = [...lines];
      const at = rng.int(copy.length);
      let firstBad: number;
      if (kind === 'edit') {
        const record = JSON.parse(copy[at] as string);
        const field = (['at', 'who', 'experimentId', 'type'] as const)[rng.int(4)] as string;
        record[field] = field === 'at' ? record.at + 1 + rng.int(1000) : `${record[field]}x`;
        copy[at] = JSON.stringify(record);
        firstBad = at + 1;
      } else if (kind === 'delete') {
        copy.splice(at, 1);
        firstBad = at + 1;
      } else if (kind === 'reorder') {
        const other = (at + 1 + rng.int(copy.length - 1)) % copy.length;
        [copy[at], copy[other]] = [copy[other] as string, copy[at] as string];
        firstBad = Math.min(at, other) + 1;
      } else {
        copy.length = at;
        firstBad = at + 1;
      }
      const verdict = verifyAuditLog(`${copy.join('\n')}\n`, genesis, head);
      expect(verdict.ok, `${kind} at line ${at + 1}`).toBe(false);
      if (!verdict.ok) expect(verdict.line).toBe(firstBad);
      detected[kind] += 1;
    }
    console.log(`audit verify: detected ${JSON.stringify(detected)} of 1000 tamperings`);
    expect(detected).toEqual({ edit: 250, delete: 250, reorder: 250, truncate: 250 });
  });
});
