import { describe, expect, it } from 'vitest';
import { EnvelopeRuleSchema } from '../contracts/index.ts';
import { deviceKinds } from './catalogue.ts';
import { cataloguedEnvelope, catalogueEnvelopes } from './envelopes.ts';

describe('catalogue envelopes', () => {
  it('are valid envelope rules with the schema defaults filled in, key order included', () => {
    for (const commands of Object.values(catalogueEnvelopes))
      for (const rules of Object.values(commands) as (typeof catalogueEnvelopes)['liquid-handler']['mix'][])
        for (const rule of rules)
          expect(JSON.stringify(EnvelopeRuleSchema.parse(rule))).toBe(JSON.stringify(rule));
  });

  it("are exactly the catalogue's envelopes, for every kind and command", () => {
    expect(Object.keys(catalogueEnvelopes).sort()).toEqual(Object.keys(deviceKinds).sort());
    for (const [kind, spec] of Object.entries(deviceKinds)) {
      expect(Object.keys(catalogueEnvelopes[kind as keyof typeof catalogueEnvelopes]).sort()).toEqual(
        Object.keys(spec.commands).sort(),
      );
      for (const [command, commandSpec] of Object.entries(spec.commands))
        expect(cataloguedEnvelope(kind, command)).toBe(commandSpec.envelope);
    }
  });

  it('says nothing about kinds and commands labloop does not know', () => {
    expect(cataloguedEnvelope('centrifuge', 'spin')).toBeUndefined();
    expect(cataloguedEnvelope('liquid-handler', 'toString')).toBeUndefined();
    expect(cataloguedEnvelope('constructor', 'mix')).toBeUndefined();
  });
});
