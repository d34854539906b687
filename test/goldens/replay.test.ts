import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/index.ts';
import { genesisHash, readRecording, replayRun, verifyAuditLog } from '../../runtime/index.ts';

const golden = (name: string) => new URL(`./${name}`, import.meta.url).pathname;

function capture() {
  let out = '';
  const write = (chunk: string) => {
    out += chunk;
    return true;
  };
  const sink = { write } as unknown as NodeJS.WritableStream;
  return { io: { stdout: sink, stderr: sink }, text: () => out };
}

describe('golden runs, replayed on every CI run', () => {
  it.each(['colour-mixing-12', 'lattice-toughness-8'])('%s replays with no divergence', async (name) => {
    const recording = readRecording(golden(name));
    const chain = verifyAuditLog(
      readFileSync(join(golden(name), 'events.jsonl'), 'utf8'),
      genesisHash(recording.campaignId),
    );
    expect(chain.ok).toBe(true);
    const report = await replayRun(golden(name), { timeScale: 1000 });
    expect(report.divergences).toEqual([]);
    expect(report.experiments).toBe(recording.experiments.size);
    // The goldens include faults: a failed read (colour) and a retried print (lattice) replay the same way.
    const failures = [...recording.experiments.values()].filter((e) => e.status === 'failed').length;
    const retried = [...recording.experiments.values()].filter((e) =>
      e.commands.some((c) => c.id.endsWith('/2')),
    ).length;
    expect(failures + retried).toBeGreaterThan(0);
  });

  it('reports where a replay diverges when the instruments behave differently', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'labloop-golden-'));
    cpSync(golden('colour-mixing-12'), dir, { recursive: true });
    const file = join(dir, 'campaign.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('- kind: plate-reader', '- kind: plate-reader\n    noise: 0.2'),
    );
    const out = capture();
    const code = await main(['replay', dir, '--time-scale', '1000'], out.io);
    expect(code).toBe(1);
    expect(out.text()).toMatch(/replayed 12 experiments of .*: \d+ divergences/);
    expect(out.text()).toMatch(
      /experiment 0, -e0000\/read\/1 outcome: recorded \{"type":"result","output":\{"r":/,
    );
  });

  it('labloop replay exits 0 on a faithful replay', async () => {
    const out = capture();
    expect(await main(['replay', golden('lattice-toughness-8')], out.io)).toBe(0);
    expect(out.text()).toMatch(/replayed 8 experiments of .*: no divergence/);
  });
});
