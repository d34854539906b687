import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CommandJournal,
  countActions,
  finishedActions,
  type JournalEntry,
  JournalError,
  MemoryJournal,
  openFileJournal,
} from './index.ts';

const begin = (commandId: string, at = 1): JournalEntry => ({
  type: 'begin',
  commandId,
  command: 'mix',
  parameters: { well: 'A1' },
  at,
});
const finish = (commandId: string, at = 2): JournalEntry => ({
  type: 'finish',
  commandId,
  outcome: { type: 'result', output: { total: 100 } },
  at,
});

const dirs: string[] = [];
function journalPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'labloop-journal-'));
  dirs.push(dir);
  return join(dir, 'nested', 'lh-1.jsonl');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['memory', async () => new MemoryJournal() as CommandJournal],
  ['file', async () => (await openFileJournal(journalPath())) as CommandJournal],
])('%s journal', (_, open) => {
  it('finds the begin and finish of a command and keeps append order', async () => {
    const journal = await open();
    journal.append(begin('a'));
    journal.append(begin('b'));
    journal.append(finish('a'));
    expect(journal.find('a')).toEqual({ begin: begin('a'), finish: finish('a') });
    expect(journal.find('b')).toEqual({ begin: begin('b') });
    expect(journal.find('c')).toBeUndefined();
    expect(journal.entries().map((e) => `${e.type}:${e.commandId}`)).toEqual([
      'begin:a',
      'begin:b',
      'finish:a',
    ]);
    await journal.close();
  });
});

describe('file journal', () => {
  it('writes one JSON line per entry and loads them all when reopened', async () => {
    const path = journalPath();
    const journal = await openFileJournal(path);
    journal.append(begin('a'));
    journal.append(finish('a'));
    journal.append({
      type: 'finish',
      commandId: 'late',
      outcome: { type: 'fault', error: { code: 'CommandExpired', message: 'too late', retryable: false } },
      at: 3,
    });
    await journal.close();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(3);
    const reopened = await openFileJournal(path);
    expect(reopened.entries()).toEqual(journal.entries());
    expect(reopened.find('late')?.finish?.outcome.type).toBe('fault');
    reopened.append(begin('b'));
    await reopened.close();
    expect((await openFileJournal(path)).entries()).toHaveLength(4);
  });

  it('cuts off a last line left incomplete by a crash and keeps appending cleanly', async () => {
    const path = journalPath();
    const journal = await openFileJournal(path);
    journal.append(begin('a'));
    await journal.close();
    appendFileSync(path, '{"type":"finish","commandId":"a","outc');
    const repaired = await openFileJournal(path);
    expect(repaired.repairedTail).toBe('{"type":"finish","commandId":"a","outc');
    expect(repaired.find('a')).toEqual({ begin: begin('a') });
    repaired.append(finish('a'));
    await repaired.close();
    expect((await openFileJournal(path)).find('a')?.finish).toEqual(finish('a'));
  });

  it('refuses a journal with a line that is not an entry, naming the line and the field', async () => {
    const path = journalPath();
    (await openFileJournal(path)).close();
    writeFileSync(path, `${JSON.stringify(begin('a'))}\n{"type":"begin","commandId":"b"}\n`);
    await expect(openFileJournal(path)).rejects.toThrow(JournalError);
    await expect(openFileJournal(path)).rejects.toThrow(/line 2 is not a journal entry: command/);
    writeFileSync(path, 'garbage\n');
    await expect(openFileJournal(path)).rejects.toThrow(/line 1 is not JSON/);
  });

  it('refuses to append once closed', async () => {
    const journal = await openFileJournal(journalPath());
    await journal.close();
    expect(() => journal.append(begin('a'))).toThrow(/is closed; cannot append begin/);
  });
});

describe('journal queries', () => {
  it('lists finished actions with their parameters and counts physical actions', () => {
    const entries: JournalEntry[] = [
      begin('a', 1),
      begin('b', 2),
      finish('b', 3),
      {
        type: 'finish',
        commandId: 'a',
        outcome: { type: 'fault', error: { code: 'NozzleClog', message: 'clogged', retryable: true } },
        at: 4,
      },
      {
        type: 'finish',
        commandId: 'expired',
        outcome: { type: 'fault', error: { code: 'CommandExpired', message: 'x', retryable: false } },
        at: 5,
      },
      begin('c', 6),
    ];
    expect(finishedActions(entries)).toEqual([
      {
        commandId: 'b',
        command: 'mix',
        parameters: { well: 'A1' },
        output: { total: 100 },
        startedAt: 2,
        finishedAt: 3,
      },
    ]);
    expect(countActions(entries)).toBe(3);
    expect(countActions(entries, 'print')).toBe(0);
  });
});
