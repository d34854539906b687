import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../devices/index.ts';
import { FaultPlan } from './sim-kit.ts';

const codes = (plan: FaultPlan, command: string, ids: readonly string[]) =>
  ids.map((id) => plan.next(command, id)?.code ?? 'ok');
const ids = (n: number, prefix = 'c') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('fault plan', () => {
  it('fails every n-th execution of its command and leaves other commands alone', () => {
    const plan = new FaultPlan(
      [{ command: 'print', every: 3, code: 'NozzleClog', message: 'clog', retryable: true }],
      1,
      'p-1',
    );
    expect(codes(plan, 'print', ids(6))).toEqual(['ok', 'ok', 'NozzleClog', 'ok', 'ok', 'NozzleClog']);
    expect(codes(plan, 'home', ids(3, 'h'))).toEqual(['ok', 'ok', 'ok']);
    const fault = new FaultPlan(
      [{ every: 1, code: 'Jam', message: 'jammed', retryable: false }],
      1,
      'p-1',
    ).next('x', 'c-9');
    expect(fault).toMatchObject({
      code: 'Jam',
      retryable: false,
      message: expect.stringMatching(/jammed .*command c-9/),
    });
  });

  it('fails with the planned probability, the same way for the same seed, device and commandId', () => {
    const entry = { probability: 0.3, code: 'Flaky', message: 'flaky', retryable: true };
    const outcomes = codes(new FaultPlan([entry], 7, 'r-1'), 'measure', ids(1000));
    const failures = outcomes.filter((c) => c === 'Flaky').length;
    expect(failures).toBeGreaterThan(240);
    expect(failures).toBeLessThan(360);
    expect(codes(new FaultPlan([entry], 7, 'r-1'), 'measure', ids(1000))).toEqual(outcomes);
    expect(codes(new FaultPlan([entry], 8, 'r-1'), 'measure', ids(1000))).not.toEqual(outcomes);
    expect(codes(new FaultPlan([{ ...entry, probability: 1 }], 7, 'r-1'), 'measure', ids(20))).toEqual(
      Array(20).fill('Flaky'),
    );
  });

  it('keeps counting across a restart from the journal’s begin lines', () => {
    const entry = { command: 'mix', every: 2, code: 'Drip', message: 'drip', retryable: true };
    const journal: JournalEntry[] = [
      { type: 'begin', commandId: 'a', command: 'mix', parameters: {}, at: 1 },
      { type: 'begin', commandId: 'b', command: 'refill', parameters: {}, at: 2 },
      { type: 'begin', commandId: 'c', command: 'mix', parameters: {}, at: 3 },
      { type: 'begin', commandId: 'd', command: 'mix', parameters: {}, at: 4 },
    ];
    const restored = new FaultPlan([entry], 1, 'lh-1');
    restored.restore(journal);
    // Three mixes so far: the next is the 4th, an even one.
    expect(codes(restored, 'mix', ['e', 'f'])).toEqual(['Drip', 'ok']);
  });
});
