import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { LabSnapshot } from '../contracts/index.ts';
import { main } from './main.ts';

/** A stream that keeps what is written and resolves `waitFor` once a line matches. */
function capture() {
  const stream = new PassThrough();
  let text = '';
  const waiting: Array<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }> = [];
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of [...waiting]) {
      const match = text.match(w.pattern);
      if (match) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(match);
      }
    }
  });
  return {
    stream,
    text: () => text,
    waitFor: (pattern: RegExp) =>
      new Promise<RegExpMatchArray>((resolve) => {
        const match = text.match(pattern);
        if (match) resolve(match);
        else waiting.push({ pattern, resolve });
      }),
  };
}

describe('labloop run with the dashboard', () => {
  it('prints the Dashboard line, serves the run with token access, keeps serving after the end until Ctrl-C', async () => {
    const stdout = capture();
    const stderr = capture();
    const runs = mkdtempSync(join(tmpdir(), 'labloop-cli-dash-'));
    const exit = main(
      [
        'run',
        'examples/colour-mixing.yaml',
        '--port',
        '0',
        '--http-port',
        '0',
        '--http-host',
        '127.0.0.1',
        '--runs-dir',
        runs,
        '--time-scale',
        '20000',
      ],
      { stdout: stdout.stream, stderr: stderr.stream, stdin: { isTTY: true } },
    );
    const [, url] = (await stdout.waitFor(/^Dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m)) as [
      string,
      string,
    ];
    const link = new URL(url);
    const token = link.searchParams.get('token') as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stderr.text()).toMatch(/operator link \(operator\): http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    expect(stderr.text()).toMatch(/viewer link \(viewer\): http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    const state = (auth?: string) =>
      fetch(new URL('/api/state', link), auth ? { headers: { authorization: `Bearer ${auth}` } } : {});
    expect((await state()).status).toBe(401);
    expect((await state('not-a-token-at-all-000')).status).toBe(401);
    await stderr.waitFor(/press Ctrl-C to quit/);
    const after = (await (await state(token)).json()) as LabSnapshot;
    expect(after.campaign).toMatchObject({
      name: 'colour-mixing',
      ended: true,
      reason: expect.any(String),
    });
    expect(after.you).toEqual({ name: 'console', role: 'approver' });
    process.emit('SIGINT');
    await expect(exit).resolves.toBe(0);
    await expect(state(token)).rejects.toThrow();
    expect(stdout.text()).toMatch(/^campaign\s+colour-mixing-/m);
  });
});
