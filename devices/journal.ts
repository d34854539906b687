import { closeSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { EpochMsSchema, FaultSchema, formatIssues } from '../contracts/index.ts';
import { JournalError } from './errors.ts';

/** How a command ended, as the device will answer every repeat of it. */
export const CommandOutcomeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('result'), output: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal('fault'), error: FaultSchema }),
]);
export type CommandOutcome = z.infer<typeof CommandOutcomeSchema>;

/**
 * One line of a device's journal. `begin` is written just before the driver acts, `finish` once it is
 * done; a `finish` with no `begin` is a command refused without acting (an expired one). A `begin` with
 * no `finish` after a restart means the device crashed mid-action.
 */
export const JournalEntrySchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('begin'),
    commandId: z.string().min(1),
    command: z.string().min(1),
    parameters: z.record(z.string(), z.unknown()),
    at: EpochMsSchema,
  }),
  z.object({
    type: z.literal('finish'),
    commandId: z.string().min(1),
    outcome: CommandOutcomeSchema,
    at: EpochMsSchema,
  }),
]);
export type JournalEntry = z.infer<typeof JournalEntrySchema>;
/** A `begin` line. */
export type JournalBegin = Extract<JournalEntry, { type: 'begin' }>;
/** A `finish` line. */
export type JournalFinish = Extract<JournalEntry, { type: 'finish' }>;

/** What the journal knows about one commandId. */
export interface JournalRecord {
  begin?: JournalBegin;
  finish?: JournalFinish;
}

/**
 * The port a device agent records its physical actions through. Appends are synchronous so an entry is
 * written before the action it announces starts.
 */
export interface CommandJournal {
  /** Every entry in append order. */
  entries(): readonly JournalEntry[];
  /** The begin and finish of one command, or `undefined` when the journal has never seen it. */
  find(commandId: string): JournalRecord | undefined;
  append(entry: JournalEntry): void;
  close(): Promise<void>;
}

/** The in-memory index both journal implementations share. */
class JournalIndex {
  protected readonly list: JournalEntry[] = [];
  private readonly byId = new Map<string, JournalRecord>();

  entries(): readonly JournalEntry[] {
    return this.list;
  }

  find(commandId: string): JournalRecord | undefined {
    return this.byId.get(commandId);
  }

  protected index(entry: JournalEntry): void {
    this.list.push(entry);
    const record = this.byId.get(entry.commandId) ?? {};
    if (entry.type === 'begin') record.begin = entry;
    else record.finish = entry;
    this.byId.set(entry.commandId, record);
  }
}

/**
 * A journal that lives as long as the process: for tests and for simulators without a journal directory.
 * Pass entries to start from a recorded history (e.g. a `begin` with no `finish`, to stage a crash).
 */
export class MemoryJournal extends JournalIndex implements CommandJournal {
  constructor(initial: readonly JournalEntry[] = []) {
    super();
    for (const entry of initial) this.index(JournalEntrySchema.parse(entry));
  }

  append(entry: JournalEntry): void {
    this.index(entry);
  }

  async close(): Promise<void> {}
}

/**
 * An append-only JSONL journal file, one entry per line. Open it with {@link openFileJournal}.
 *
 * Lines are written with `writeSync` but not fsynced: an entry survives a crash of the process (it is in
 * the kernel's page cache) but not a power cut of the machine. An fsync per line would cost milliseconds
 * per command on ordinary disks; an instrument that needs power-cut durability can wrap this class.
 */
export class FileJournal extends JournalIndex implements CommandJournal {
  private fd: number | undefined;

  /** @internal Use {@link openFileJournal}. */
  constructor(
    readonly path: string,
    entries: readonly JournalEntry[],
    /** The incomplete last line that opening cut off (a write interrupted by a crash), if any. */
    readonly repairedTail: string | undefined,
  ) {
    super();
    for (const entry of entries) this.index(entry);
    this.fd = openSync(path, 'a');
  }

  append(entry: JournalEntry): void {
    if (this.fd === undefined) throw new JournalError(this.path, `is closed; cannot append ${entry.type}`);
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    this.index(entry);
  }

  async close(): Promise<void> {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Opens (creating it and its folder if needed) a JSONL journal and loads every entry. A last line without
 * its newline is the trace of a write cut short by a crash: it is cut off and reported in `repairedTail`.
 * Any other line that is not a journal entry throws {@link JournalError} naming the line.
 *
 * @example
 * const journal = await openFileJournal('runs/lab/journals/liquid-handler-1.jsonl');
 */
export async function openFileJournal(path: string): Promise<FileJournal> {
  mkdirSync(dirname(path), { recursive: true });
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new JournalError(path, `cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const end = text.lastIndexOf('\n') + 1;
  const tail = text.slice(end);
  let repairedTail: string | undefined;
  if (tail.length > 0) {
    truncateSync(path, Buffer.byteLength(text.slice(0, end)));
    repairedTail = tail;
  }
  const entries: JournalEntry[] = [];
  text
    .slice(0, end)
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let data: unknown;
      try {
        data = JSON.parse(line);
      } catch (error) {
        throw new JournalError(path, `line ${i + 1} is not JSON: ${(error as Error).message}`, {
          cause: error,
        });
      }
      const parsed = JournalEntrySchema.safeParse(data, { reportInput: true });
      if (!parsed.success)
        throw new JournalError(
          path,
          `line ${i + 1} is not a journal entry: ${formatIssues(parsed.error).join('; ')}`,
          {
            cause: parsed.error,
          },
        );
      entries.push(parsed.data);
    });
  return new FileJournal(path, entries, repairedTail);
}

/** A physical action the journal shows finished with a result: what simulators replay to rebuild a world. */
export interface FinishedAction {
  commandId: string;
  command: string;
  parameters: Record<string, unknown>;
  output: Record<string, unknown>;
  startedAt: number;
  finishedAt: number;
}

/** Lists the actions that began and finished with a result, in the order they finished. */
export function finishedActions(entries: readonly JournalEntry[]): FinishedAction[] {
  const begins = new Map<string, JournalBegin>();
  const actions: FinishedAction[] = [];
  for (const entry of entries) {
    if (entry.type === 'begin') {
      begins.set(entry.commandId, entry);
      continue;
    }
    const begin = begins.get(entry.commandId);
    if (begin === undefined || entry.outcome.type !== 'result') continue;
    actions.push({
      commandId: entry.commandId,
      command: begin.command,
      parameters: begin.parameters,
      output: entry.outcome.output,
      startedAt: begin.at,
      finishedAt: entry.at,
    });
  }
  return actions;
}

/** Counts the physical actions a journal records (its `begin` lines), optionally of one command. */
export function countActions(entries: readonly JournalEntry[], command?: string): number {
  return entries.filter((e) => e.type === 'begin' && (command === undefined || e.command === command)).length;
}
