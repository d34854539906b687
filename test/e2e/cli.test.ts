import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

/** Runs a command in the repository root the way a user's shell would, and returns what it printed. */
function sh(command: string, args: string[]) {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
const labloop = (...args: string[]) => sh(process.execPath, ['cli/bin.js', ...args]);

// Each case starts the CLI as a process (tsx compiling the TypeScript) up to six times: seconds each on a loaded
// 2-core machine, so the cases get the processes' own limit rather than the suite's 30 s.
describe('the labloop CLI, as a user runs it', { timeout: 120_000 }, () => {
  it('npm start -- --headless --json runs the default example to completion and prints one JSON summary', () => {
    const runs = mkdtempSync(join(tmpdir(), 'labloop-e2e-'));
    const { code, stdout, stderr } = sh('npm', [
      'start',
      '--',
      '--headless',
      '--json',
      '--port',
      '0',
      '--runs-dir',
      runs,
    ]);
    expect(code, stderr).toBe(0);
    const line = stdout.trim().split('\n').at(-1) ?? '';
    const summary = JSON.parse(line);
    // The example plans with bo and stops at its target or at the 48-experiment budget, whichever comes first.
    expect(summary).toMatchObject({
      campaign: 'colour-mixing',
      reason: expect.stringMatching(/budget|target/),
    });
    expect(summary.experiments).toBeGreaterThan(8);
    expect(summary.experiments).toBeLessThanOrEqual(48);
    if (summary.reason === 'target') expect(summary.best.value).toBeLessThanOrEqual(0.01);
    // A loaded machine may time out a step or two; the campaign still completes.
    expect(summary.failed).toBeLessThanOrEqual(2);
    expect(summary.best.value).toBeGreaterThanOrEqual(0);
    expect(Object.keys(summary.best.parameters)).toEqual(['red', 'yellow', 'blue']);
    expect(summary.wallSeconds).toBeLessThan(60);
    expect(summary.runDir.startsWith(runs)).toBe(true);
  });

  it('prints a summary table without --json', () => {
    const runs = mkdtempSync(join(tmpdir(), 'labloop-e2e-'));
    const { code, stdout } = labloop(
      'run',
      'examples/colour-mixing.yaml',
      '--port',
      '0',
      '--runs-dir',
      runs,
      '--seed',
      '3',
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/^campaign\s+colour-mixing-/m);
    expect(stdout).toMatch(/^best distance\s+\d/m);
    expect(stdout).toMatch(/^ {2}yellow\s+\d+/m);
    expect(stdout).toMatch(/^seed\s+3$/m);
  });

  it('--help explains every command, and each command has its own --help', () => {
    const top = labloop('--help');
    expect(top.code).toBe(0);
    for (const word of ['run', 'resume', 'validate', 'Exit codes']) expect(top.stdout).toContain(word);
    for (const command of ['run', 'resume', 'validate']) {
      const help = labloop(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`labloop ${command}`);
    }
    expect(labloop('run', '--help').stdout).toMatch(/--seed <n>[\s\S]*--broker <url>[\s\S]*--json/);
  });

  it('validates the examples and explains what is wrong with a bad file (exit 2)', () => {
    expect(labloop('validate', 'examples/colour-mixing.yaml')).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('valid'),
    });
    const dir = mkdtempSync(join(tmpdir(), 'labloop-e2e-'));
    writeFileSync(join(dir, 'bad.yaml'), 'name: x\nspace: []\nobjectives: []\nbudget: { experiments: -1 }\n');
    const bad = labloop('validate', join(dir, 'bad.yaml'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/space: a design space needs at least one parameter/);
    expect(bad.stderr).toMatch(/budget\.experiments: .*\(got -1\)/);
    expect(bad.stderr).toMatch(/planner: /);
  });

  it('rejects bad command lines with a message and exit code 2', () => {
    expect(labloop('run')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('exactly one campaign file'),
    });
    expect(labloop('run', 'examples/colour-mixing.yaml', '--seed', 'abc')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--seed must be a non-negative integer, got "abc"'),
    });
    expect(labloop('run', 'nope.yaml')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('cannot be read'),
    });
    expect(labloop('frobnicate')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown command "frobnicate"'),
    });
    expect(labloop('run', 'examples/colour-mixing.yaml', '--colour')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--colour'),
    });
    expect(labloop('resume', '/nonexistent/run')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('not a labloop run directory'),
    });
  });
});
