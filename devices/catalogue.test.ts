import { describe, expect, it } from 'vitest';
import { DeviceDescriptorSchema, envelopeViolations } from '../contracts/index.ts';
import { CatalogueError, describeCapabilities, deviceKind, deviceKinds, WELLS } from './index.ts';

describe('capability catalogue', () => {
  it.each(Object.keys(deviceKinds))(
    'describes %s as a valid descriptor with units on every number',
    (kind) => {
      const spec = deviceKind(kind);
      const capabilities = describeCapabilities(spec.commands);
      const descriptor = DeviceDescriptorSchema.parse({
        deviceId: `${kind}-1`,
        kind,
        model: 'm',
        firmware: 'f',
        capabilities,
        heartbeat: 5,
      });
      expect(descriptor.capabilities.map((c) => c.command)).toEqual(Object.keys(spec.commands));
      expect(spec.safeState.length).toBeGreaterThan(10);
      const numbers: Array<{ unit?: unknown }> = [];
      const walk = (node: unknown): void => {
        if (node === null || typeof node !== 'object') return;
        const record = node as Record<string, unknown>;
        if (record.type === 'number') numbers.push(record);
        Object.values(record).forEach(walk);
      };
      for (const c of capabilities) walk(c.parameters);
      for (const n of numbers) expect(n.unit, JSON.stringify(n)).toBeTypeOf('string');
    },
  );

  it('lists the 96 wells of a plate', () => {
    expect(WELLS).toHaveLength(96);
    expect(WELLS[0]).toBe('A1');
    expect(WELLS[95]).toBe('H12');
  });

  it('keeps each mix volume at 1–1000 µL or 0, and the sum within one well', () => {
    const rules = deviceKinds['liquid-handler'].commands.mix.envelope;
    expect(envelopeViolations(rules, { volumes: { red: 100, yellow: 0, water: 150 } })).toEqual([]);
    expect(envelopeViolations(rules, { volumes: { red: 0.5 } })).toEqual([
      'volumes.* must be 1–1000 µL (or 0), got 0.5',
      'sum of volumes.* must be 1–300 µL, got 0.5',
    ]);
    expect(envelopeViolations(rules, { volumes: { red: 200, water: 200 } })).toEqual([
      'sum of volumes.* must be 1–300 µL, got 400',
    ]);
    expect(envelopeViolations(rules, { volumes: {} })).toEqual(['sum of volumes.* must be 1–300 µL, got 0']);
  });

  it('bounds the printer and the tester', () => {
    const print = deviceKinds['printer-3d'].commands.print.envelope;
    expect(
      envelopeViolations(print, { strutThickness: 0.2, cellSize: 25, nozzleTemperature: 300 }).map(
        (v) => v.split(' ')[0],
      ),
    ).toEqual(['strutThickness', 'cellSize', 'nozzleTemperature']);
    const compress = deviceKinds['mechanical-tester'].commands.compress;
    const parsed = compress.parameters.parse({ specimen: 's1' });
    expect(parsed).toEqual({ specimen: 's1', maxForce: 20_000, strain: 60 });
    expect(envelopeViolations(compress.envelope, parsed)).toEqual([]);
    expect(envelopeViolations(compress.envelope, { ...parsed, maxForce: 30_000 })).toHaveLength(1);
  });

  it('names the known kinds when asked for an unknown one', () => {
    expect(() => deviceKind('furnace')).toThrow(CatalogueError);
    expect(() => deviceKind('furnace')).toThrow(
      /unknown device kind "furnace"; expected one of liquid-handler/,
    );
  });
});
