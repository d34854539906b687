import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultSchema } from '../../contracts/index.ts';
import { liquidHandlerCatalogue } from '../catalogue.ts';
import { checkCommand, readCommandId } from './intake.ts';

const valid = {
  commandId: 'c-1',
  deviceId: 'liquid-handler-1',
  command: 'mix',
  parameters: { plate: 'p', well: 'B7', volumes: { red: 50, water: 50 } },
  issuedAt: 1,
  deadline: 2,
};

describe('command intake', () => {
  it('accepts a valid command and returns its parsed parameters', () => {
    expect(checkCommand('c-1', valid, 'liquid-handler-1', liquidHandlerCatalogue)).toEqual({
      action: 'accept',
      command: valid,
      parameters: valid.parameters,
    });
  });

  it('never throws on arbitrary payloads: every payload is read, refused with a valid fault, or accepted', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ ...valid, parameters: v })),
          fc.jsonValue().map((v) => JSON.stringify({ ...valid, commandId: v })),
          fc
            .record({ red: fc.double(), water: fc.double() })
            .map((volumes) => JSON.stringify({ ...valid, parameters: { ...valid.parameters, volumes } })),
        ),
        (text) => {
          const read = readCommandId(text);
          if ('reason' in read) {
            expect(read.reason.length).toBeGreaterThan(0);
            return;
          }
          const decision = checkCommand(
            read.commandId,
            read.data,
            'liquid-handler-1',
            liquidHandlerCatalogue,
          );
          if (decision.action === 'refuse') expect(FaultSchema.safeParse(decision.fault).success).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('says what was wrong, what it got and what it expected', () => {
    const decision = checkCommand(
      'c-2',
      { ...valid, commandId: 'c-2', parameters: { ...valid.parameters, well: 'J1' } },
      'liquid-handler-1',
      liquidHandlerCatalogue,
    );
    expect(decision).toMatchObject({ action: 'refuse', fault: { code: 'InvalidParameters' } });
    if (decision.action === 'refuse')
      expect(decision.fault.message).toMatch(
        /well: .* \(got "J1"\) \(command c-2, device liquid-handler-1\)/,
      );
  });
});
