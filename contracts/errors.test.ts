import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContractError, parseWith } from './errors.ts';

describe('parseWith', () => {
  it('names the field and shows a short preview of what it got', () => {
    const schema = z.object({ volume: z.number().max(1000) });
    expect(() => parseWith(schema, { volume: 1500 }, 'command')).toThrow(
      'invalid command:\n  - volume: Too big: expected number to be <=1000 (got 1500)',
    );
  });

  it('still throws a ContractError for a value nested deeper than JSON.stringify can write', () => {
    // JSON.parse reads this (16 KB, the API's body limit); JSON.stringify overflows the stack on it.
    const deep = JSON.parse(`${'['.repeat(8_192)}${']'.repeat(8_192)}`);
    let thrown: unknown;
    try {
      parseWith(z.object({ action: z.string() }), deep, 'action request');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ContractError);
    expect((thrown as ContractError).issues).toEqual([
      '(root): Invalid input: expected object, received array (got an array nested too deep to show)',
    ]);
  });
});
