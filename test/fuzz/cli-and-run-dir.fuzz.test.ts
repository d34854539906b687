import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/index.ts';
import { ContractError, ScaledClock } from '../../contracts/index.ts';
import { RunDirectory, RunDirectoryError } from '../../runtime/index.ts';
import { runs } from './support/commands.ts';

const root = mkdtempSync(join(tmpdir(), 'labloop-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const clock = new ScaledClock(1);

const validMeta = { campaignId: 'fuzz-run', seed: 7, createdAt: 1_790_000_000_000, labloopVersion: '0.1.0' };

/** meta.json as a crash, a bad edit or an attacker could leave it. */
const corruptMeta: fc.Arbitrary<string> = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.nat(60).map((cut) => JSON.stringify(validMeta).slice(0, cut)),
  fc
    .tuple(fc.constantFrom(...Object.keys(validMeta)), fc.option(fc.jsonValue({ maxDepth: 2 }), { freq: 4 }))
    .map(([key, value]) => {
      const meta: Record<string, unknown> = { ...validMeta };
      if (value === null) delete meta[key];
      else meta[key] = value;
      return JSON.stringify(meta);
    }),
  fc.constantFrom('', 'null', '[]', '{}', '"meta"', '{"__proto__":{"seed":1}}', JSON.stringify(validMeta)),
);

let dirs = 0;
/** A run directory with the given meta.json and audit log, and a campaign file that does not parse. */
function runDirWith(meta: string, events = ''): string {
  const dir = join(root, `run-${dirs++}`);
  mkdirSync(join(dir, 'journals'), { recursive: true });
  writeFileSync(join(dir, 'meta.json'), meta);
  writeFileSync(join(dir, 'campaign.yaml'), 'name: [unclosed');
  writeFileSync(join(dir, 'store.sqlite'), '');
  writeFileSync(join(dir, 'events.jsonl'), events);
  return dir;
}

const ISSUE = /^(\(root\)|[A-Za-z_$][\w$]*(\.[\w$-]+|\[\d+\])*): /;

describe('run directories with a corrupted meta.json', () => {
  it(`open or refuse each of ${runs(300, 3_000)} with a typed error naming the file or field`, () => {
    const counts = { opened: 0, notJson: 0, badField: 0 };
    fc.assert(
      fc.property(fc.noBias(corruptMeta), (meta) => {
        const dir = runDirWith(meta);
        try {
          RunDirectory.open(dir, clock).close();
          counts.opened++;
        } catch (error) {
          if (error instanceof RunDirectoryError) {
            expect(error.message).toContain('meta.json');
            counts.notJson++;
            return;
          }
          expect(error, String(error)).toBeInstanceOf(ContractError);
          for (const issue of (error as ContractError).issues) expect(issue).toMatch(ISSUE);
          expect((error as ContractError).subject).toContain('meta.json');
          counts.badField++;
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: runs(300, 3_000), seed: 0x3e7a },
    );
    console.log(`run directory fuzz: ${JSON.stringify(counts)}`);
    expect(counts.badField).toBeGreaterThan(0);
    expect(counts.notJson).toBeGreaterThan(0);
  });
});

/** Streams that keep what the CLI writes. */
function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _encoding, done) {
        into.push(String(chunk));
        done();
      },
    });
  return { io: { stdout: sink(out), stderr: sink(err) }, out, err };
}

describe('the CLI under random arguments', () => {
  const badCampaigns = [
    ['empty.yaml', ''],
    ['broken.yaml', 'name: [unclosed'],
    ['schema.yaml', 'name: Bad Name\nspace: 3\n'],
    ['json.json', '{"name": "x", "budget": {"experiments": -1}}'],
  ].map(([name, text]) => {
    const file = join(root, name as string);
    writeFileSync(file, text as string);
    return file;
  });
  const runDirs = [
    ...['', '{', '{"campaignId": 1}', JSON.stringify({ ...validMeta, seed: 'x' })].map((meta) =>
      runDirWith(meta),
    ),
    // A valid meta.json over a campaign file that does not parse: resume stops before starting anything.
    runDirWith(JSON.stringify(validMeta)),
    // …and over an audit log whose last line is not a record.
    runDirWith(JSON.stringify(validMeta), '{"seq":1}\ngarbage\n'),
  ];
  const notRunDir = join(root, 'plain-dir');
  mkdirSync(notRunDir, { recursive: true });

  const token = fc.oneof(
    fc.constantFrom('run', 'resume', 'validate', 'audit', 'verify', 'help', 'replay', 'credentials'),
    fc.constantFrom(
      '--seed',
      '--port',
      '--broker',
      '--time-scale',
      '--runs-dir',
      '--json',
      '--headless',
      '-h',
    ),
    fc.constantFrom(
      '--help',
      '--version',
      '--',
      '-',
      '--seed=-1',
      '--port=70000',
      '--broker=ftp://x',
      '--nope',
    ),
    fc.constantFrom('-1', '1e999', 'NaN', '0x10', '', ' ', 'mqtt://127.0.0.1:1', '\u0000', 'ü'),
    fc.constantFrom(...badCampaigns, ...runDirs, notRunDir, join(root, 'missing.yaml'), root),
    fc.string({ maxLength: 12 }),
  );

  // Half start like a real command, so the random part reaches each command's own checks.
  const argvs = fc.oneof(
    fc.array(token, { maxLength: 6 }),
    fc
      .tuple(
        fc.constantFrom(['run'], ['resume'], ['validate'], ['audit', 'verify'], ['audit']),
        fc.array(token, { maxLength: 4 }),
      )
      .map(([command, rest]) => [...command, ...rest]),
    fc
      .tuple(
        fc.constantFrom(['run'], ['resume'], ['validate'], ['audit', 'verify']),
        fc.constantFrom(...badCampaigns, ...runDirs, notRunDir, root),
        fc.array(token, { maxLength: 2 }),
      )
      .map(([command, path, rest]) => [...command, path, ...rest]),
  );

  it(`answers ${runs(300, 3_000)} random command lines with exit code 0, 1 or 2 and never throws`, async () => {
    const crashes: unknown[] = [];
    const onRejection = (reason: unknown) => crashes.push(reason);
    process.on('unhandledRejection', onRejection);
    const codes = { 0: 0, 1: 0, 2: 0 } as Record<number, number>;
    try {
      await fc.assert(
        fc.asyncProperty(fc.noBias(argvs), async (argv) => {
          const { io, out, err } = captureIo();
          const code = await main(argv, io).catch((error: unknown) => {
            crashes.push(error);
            return -1;
          });
          expect([0, 1, 2], `labloop ${JSON.stringify(argv)} → ${code}: ${err.join('')}`).toContain(code);
          if (code !== 0)
            expect(err.join('') + out.join(''), `labloop ${JSON.stringify(argv)} says nothing`).not.toBe('');
          codes[code] = (codes[code] ?? 0) + 1;
        }),
        { numRuns: runs(300, 3_000), seed: 0xc11 },
      );
      // Rejections surface after a tick; give them one before judging.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onRejection);
    }
    console.log(
      `CLI fuzz: exit codes ${JSON.stringify(codes)}, ${crashes.length} throws or unhandled rejections`,
    );
    expect(crashes).toEqual([]);
    expect(codes[2]).toBeGreaterThan(0);
    expect(codes[0]).toBeGreaterThan(0);
  });
});
