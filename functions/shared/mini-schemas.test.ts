import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContractError, parseWith } from '../../contracts/index.ts';
import * as mini from './contracts.mini.ts';
import { GENERATED_PATH, generateMiniSchemas, lambdaContracts } from './generate-mini-schemas.ts';
import { MiniCodegenError, miniSource } from './mini-codegen.ts';

const slugMessage = 'must be lowercase letters, digits and -, starting with a letter or digit';
const base = { commandId: 'c-e0001/mix/1', deviceId: 'lh-1', at: 5 };
const descriptor = {
  deviceId: 'lh-1',
  kind: 'liquid-handler',
  model: 'sim',
  firmware: '3.1',
  heartbeat: 30,
  capabilities: [
    { command: 'mix', description: 'm', parameters: {}, envelope: [{ parameter: 'v', unit: 'µL', max: 3 }] },
  ],
};

/** Valid payloads and their damaged variants, per schema: both sides must agree on every one. */
const corpus: Record<keyof typeof lambdaContracts, unknown[]> = {
  DeviceEventSchema: [
    { type: 'accepted', ...base },
    { type: 'progress', ...base, fraction: 0.5, message: 'half' },
    { type: 'progress', ...base, fraction: 1.5 },
    { type: 'result', ...base, output: { r: 0.4 } },
    { type: 'result', ...base, output: { r: 0.4 }, replay: true, extra: 'stripped' },
    { type: 'fault', ...base, error: { code: 'DeviceBusy', message: 'busy', retryable: true } },
    { type: 'fault', ...base, error: { code: 'busy', message: 1, retryable: 'yes' } },
    { type: 'result', ...base, deviceId: 'LH 1', at: -1.5 },
    { type: 'exploded', ...base },
    { ...base },
    'not an object',
    null,
  ],
  DeviceDescriptorSchema: [
    descriptor,
    { ...descriptor, heartbeat: 0 },
    { ...descriptor, capabilities: [{ command: '', envelope: [{ parameter: 'v', aggregate: 'mean' }] }] },
    { ...descriptor, kind: '-x' },
    {},
  ],
  DeviceStatusSchema: [
    { state: 'online', deviceId: 'lh-1', at: 5, descriptor },
    { state: 'offline', deviceId: 'lh-1' },
    { state: 'offline', deviceId: 'lh-1', at: 7, extra: 'stripped' },
    { state: 'online', deviceId: 'lh-1', at: 5 },
    { state: 'online', deviceId: 'lh-1', at: 5, descriptor: { ...descriptor, kind: 'Liquid Handler' } },
    { state: 'offline', deviceId: 'LH 1', at: 1.5 },
    { state: 'away', deviceId: 'lh-1' },
    'offline',
  ],
  ProtocolStepSchema: [
    { name: 'mix', device: 'liquid-handler', command: 'mix', timeout: 60 },
    {
      name: 'mix',
      device: 'liquid-handler',
      command: 'mix',
      input: '{}',
      timeout: 60,
      retry: { attempts: 3 },
    },
    { name: '1mix', device: 'x', command: 'mix', timeout: 0, retry: { attempts: 2.5, backoff: -1 } },
    { name: 'mix', device: 'x', command: 'mix', timeout: 7 * 24 * 3600 + 1, retry: { attempts: 11 } },
    { name: 'mix', device: 'x', command: 'mix', input: '', timeout: '60' },
  ],
  ObjectiveSchema: [
    { name: 'colour_error', goal: 'minimise' },
    { name: 'y', goal: 'maximise', target: 0.9, unit: 'mm' },
    { name: '1y', goal: 'maximize', target: '0.9' },
    { goal: 'minimise' },
  ],
  ExperimentProposalSchema: [
    {
      experimentId: 'c-e0001',
      campaignId: 'c',
      index: 1,
      batch: 0,
      parameters: { red: 12.5, tip: 'p200' },
      strategy: 'sobol',
      proposedAt: 5,
    },
    { experimentId: '', campaignId: 'c', index: -1, batch: 0.5, parameters: { red: true }, strategy: 'x' },
    { experimentId: 'c-e0001', campaignId: 'c', index: 1, batch: 0, parameters: [], proposedAt: 1 },
  ],
  FaultSchema: [
    { code: 'OutsideEnvelope', message: 'too much', retryable: false },
    { code: 'outside', message: 'too much' },
  ],
  DeviceCommandSchema: [
    { commandId: 'a', deviceId: 'lh-1', command: 'mix', parameters: { v: 1 }, issuedAt: 1, deadline: 2 },
    {
      commandId: 'a'.repeat(201),
      deviceId: 'lh-1',
      command: 'mix',
      parameters: [],
      issuedAt: 1.5,
      deadline: -2,
    },
  ],
};

function outcome(run: () => unknown): { data: unknown } | { name: string; message: string } {
  try {
    return { data: run() };
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    return { name: error.name, message: error.message };
  }
}

describe('zod/mini twins of the contracts the Lambdas parse', () => {
  for (const [name, inputs] of Object.entries(corpus) as [keyof typeof lambdaContracts, unknown[]][])
    it(`${name} accepts, defaults and rejects exactly as the contract does`, () => {
      let rejected = 0;
      for (const input of inputs) {
        const classic = outcome(() => parseWith(lambdaContracts[name], input, name));
        const twin = outcome(() => parseWith(mini[name], input, name));
        expect(twin, JSON.stringify(input)).toEqual(classic);
        if ('message' in classic) rejected += 1;
      }
      // The corpus exercises both sides of every schema.
      expect(rejected).toBeGreaterThan(0);
      expect(rejected).toBeLessThan(inputs.length);
    });

  it('names the bad field and the custom message, as parseWith does', () => {
    expect(() =>
      parseWith(mini.DeviceEventSchema, { type: 'accepted', ...base, deviceId: 'LH' }, 'event'),
    ).toThrow(`deviceId: ${slugMessage} (got "LH")`);
  });

  it('is the generator output for the current contracts', () => {
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(generateMiniSchemas());
  });

  it('refuses a construct it cannot translate, naming where it is', () => {
    expect(() => miniSource(z.object({ when: z.date() }), 'Thing')).toThrow(MiniCodegenError);
    expect(() => miniSource(z.object({ when: z.date() }), 'Thing')).toThrow('Thing.when: schema type date');
    expect(() => miniSource(z.string().email(), 'Mail')).toThrow('Mail: check string_format (email)');
  });
});
