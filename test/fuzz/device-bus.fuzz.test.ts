import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError, ScaledClock } from '../../contracts/index.ts';
import { describeCapabilities, deviceKinds } from '../../devices/index.ts';
import { DeviceBus } from '../../runtime/index.ts';
import { connectProbe, type Probe, startTestBroker, type TestBroker } from '../support/broker.ts';
import { runs } from './support/commands.ts';

// Raw publishes on every channel the runtime reads, from a client that bypasses every device agent: the bus
// must turn each one into exactly one status, event, telemetry or `invalid` report, and never throw.
const MESSAGES = runs(1_500, 15_000);
const LAB = 'bus-fuzz';
const clock = new ScaledClock(1);
let broker: TestBroker;
let probe: Probe;
let bus: DeviceBus;

beforeAll(async () => {
  broker = await startTestBroker();
  probe = await connectProbe(broker.url);
  bus = await DeviceBus.connect({ url: broker.url, labId: LAB, clock });
});
afterAll(async () => {
  await bus?.close();
  await probe?.close();
  await broker?.close();
});

// Mostly the device the valid messages speak for, so mutations of them are often still valid.
const deviceIds = fc.oneof(
  { weight: 6, arbitrary: fc.constant('lh-1') },
  { weight: 1, arbitrary: fc.constantFrom('reader-2', 'Upper', 'with space', 'ü-1', 'x'.repeat(70)) },
);
const now = clock.now();
const valid = {
  status: {
    state: 'online',
    deviceId: 'lh-1',
    at: now,
    descriptor: {
      deviceId: 'lh-1',
      kind: 'liquid-handler',
      model: 'm',
      firmware: '1',
      capabilities: describeCapabilities(deviceKinds['liquid-handler'].commands),
      heartbeat: 30,
    },
  },
  events: { type: 'result', commandId: 'c-1', deviceId: 'lh-1', at: now, output: { total: 1 } },
  telemetry: { deviceId: 'lh-1', at: now, busy: false, values: { red: 1 } },
};

/** A valid message with one field (at any depth) replaced or removed. */
function mutated(message: object): fc.Arbitrary<unknown> {
  const paths: string[][] = [];
  const walk = (value: unknown, path: string[]) => {
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      paths.push([...path, key]);
      if (path.length < 3) walk(child, [...path, key]);
    }
  };
  walk(message, []);
  return fc
    .tuple(fc.constantFrom(...paths), fc.option(fc.jsonValue({ maxDepth: 2 }), { freq: 4 }))
    .map(([path, replacement]) => {
      const copy = structuredClone(message) as Record<string, unknown>;
      let parent = copy;
      for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
      const last = path.at(-1) as string;
      if (replacement === null) delete parent[last];
      else parent[last] = replacement;
      return copy;
    });
}

const payload = (channel: keyof typeof valid): fc.Arbitrary<string | Uint8Array> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 64 }) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', '[]', 'null', '1e999', '{"__proto__":{"x":1}}', '"'.repeat(3)),
    },
    { weight: 4, arbitrary: mutated(valid[channel]).map((m) => JSON.stringify(m) ?? '') },
    { weight: 1, arbitrary: fc.constant(JSON.stringify(valid[channel])) },
  );

const messages = fc.oneof(
  ...(['status', 'events', 'telemetry'] as const).map((channel) =>
    fc.tuple(fc.constant(channel), deviceIds, payload(channel)),
  ),
);

describe('the device bus under random payloads', () => {
  it(`reports every one of ${MESSAGES} random payloads once, as data or as a typed invalid, and never throws`, async () => {
    const seen = { status: 0, event: 0, telemetry: 0, invalid: 0 };
    const untyped: Error[] = [];
    bus.on('status', () => seen.status++);
    bus.on('event', () => seen.event++);
    bus.on('telemetry', () => seen.telemetry++);
    bus.on('invalid', ({ error }) => {
      seen.invalid++;
      if (!(error instanceof ContractError) || error.issues.length === 0) untyped.push(error);
    });
    const crashes: unknown[] = [];
    const onCrash = (error: unknown) => crashes.push(error);
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    try {
      const sample = fc.sample(messages, { numRuns: MESSAGES, seed: 0xb05 });
      for (const [channel, deviceId, body] of sample)
        await probe.client.publishAsync(`labloop/${LAB}/devices/${deviceId}/${channel}`, Buffer.from(body), {
          qos: 1,
        });
      const total = () => seen.status + seen.event + seen.telemetry + seen.invalid;
      await expect.poll(total, { timeout: 20_000 }).toBe(MESSAGES);
    } finally {
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
    }
    console.log(`device bus fuzz: ${MESSAGES} payloads, ${JSON.stringify(seen)}, ${crashes.length} crashes`);
    expect(crashes).toEqual([]);
    expect(untyped.map((e) => `${e.name}: ${e.message}`)).toEqual([]);
    expect(seen.invalid).toBeGreaterThan(MESSAGES * 0.3);
    expect(seen.status + seen.event + seen.telemetry).toBeGreaterThan(MESSAGES * 0.05);
  });
});
