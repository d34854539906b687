import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ContractError } from '../../contracts/index.ts';
import { parseCampaign } from '../../runtime/index.ts';
import { runs } from './support/commands.ts';

const FILES = runs(500, 10_000);
const examples = ['colour-mixing', 'lattice-toughness'].map((name) =>
  readFileSync(new URL(`../../examples/${name}.yaml`, import.meta.url), 'utf8'),
);

/** Every path into a parsed example, to pick one to break. */
function pathsOf(value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const here = [...path, Array.isArray(value) ? Number(key) : key];
    return [here, ...pathsOf(child, here)];
  });
}

type Edit =
  | { op: 'replace'; value: unknown }
  | { op: 'delete' }
  | { op: 'extra'; key: string; value: unknown };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    op: fc.constant('replace' as const),
    value: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(
        -1,
        0,
        Number.POSITIVE_INFINITY,
        'NaN',
        '',
        '{ bad jsonata',
        '$eval("1")',
        10 ** 7,
        -0.5,
        null,
      ),
    ),
  }),
  fc.constant({ op: 'delete' as const }),
  fc.record({
    op: fc.constant('extra' as const),
    key: fc.string({ maxLength: 8 }),
    value: fc.jsonValue({ maxDepth: 1 }),
  }),
);

/** An example with one to three fields broken, written as YAML or JSON. */
const structural = fc
  .tuple(
    fc.nat(examples.length - 1),
    fc.array(fc.tuple(fc.nat(), edit), { minLength: 1, maxLength: 3 }),
    fc.boolean(),
  )
  .map(([which, edits, asJson]) => {
    const doc = parse(examples[which] as string) as Record<string, unknown>;
    for (const [pick, change] of edits) {
      const paths = pathsOf(doc);
      if (paths.length === 0) break;
      const path = paths[pick % paths.length] as Array<string | number>;
      let parent = doc as Record<string | number, unknown>;
      for (const key of path.slice(0, -1)) parent = parent?.[key] as Record<string | number, unknown>;
      // A generated "__proto__" key leads off the document; such an edit is skipped.
      if (parent === null || typeof parent !== 'object') continue;
      const last = path.at(-1) as string | number;
      if (change.op === 'delete') {
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
      } else if (change.op === 'replace') parent[last] = change.value;
      else if (parent[last] !== null && typeof parent[last] === 'object')
        (parent[last] as Record<string, unknown>)[change.key] = change.value;
    }
    return asJson ? JSON.stringify(doc) : stringify(doc);
  });

/** An example's text cut, spliced or sprinkled with bytes, as an editor or a torn write would leave it. */
const textual = fc
  .tuple(
    fc.nat(examples.length - 1),
    fc.nat(),
    fc.nat(),
    fc.string({ maxLength: 6 }),
    fc.constantFrom('cut', 'insert', 'swap'),
  )
  .map(([which, at, other, text, op]) => {
    const source = examples[which] as string;
    const i = at % source.length;
    const j = other % source.length;
    if (op === 'cut') return source.slice(0, i);
    if (op === 'insert') return source.slice(0, i) + text + source.slice(i);
    const lines = source.split('\n');
    const a = i % lines.length;
    const b = j % lines.length;
    [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
    return lines.join('\n');
  });

const ISSUE = /^(\(root\)|[A-Za-z_$][\w$]*(\.[\w$-]+|\[\d+\])*): |^not valid YAML/;

describe('campaign files under random damage', () => {
  it(`accepts or rejects each of ${FILES} damaged files with a typed error naming its fields`, () => {
    const counts = { valid: 0, rejected: 0, crashes: 0 };
    fc.assert(
      fc.property(fc.noBias(fc.oneof(structural, textual)), (source) => {
        try {
          parseCampaign(source, 'fuzzed campaign');
          counts.valid++;
        } catch (error) {
          if (!(error instanceof ContractError)) counts.crashes++;
          expect(error, String(error)).toBeInstanceOf(ContractError);
          const { issues } = error as ContractError;
          expect(issues.length).toBeGreaterThan(0);
          for (const issue of issues) expect(issue, issue).toMatch(ISSUE);
          counts.rejected++;
        }
      }),
      { numRuns: FILES, seed: 0xca4 },
    );
    console.log(`campaign file fuzz: ${FILES} files, ${JSON.stringify(counts)}`);
    expect(counts.rejected).toBeGreaterThan(FILES * 0.3);
  });
});
