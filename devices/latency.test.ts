import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { systemClock } from '../contracts/index.ts';
import { connectProbe, type Probe, startTestBroker, type TestBroker } from '../test/support/broker.ts';
import { type DeviceAgent, defineCatalogue, deviceTopic, startDeviceAgent } from './index.ts';

/**
 * Guards against Nagle's algorithm coming back. With it on at the broker or the orchestrator, a QoS 1
 * command → result round trip on loopback measured 44–88 ms here (delayed ACKs); with it off, ~2 ms.
 * Timings proper belong in benchmarks; this only checks the order of magnitude.
 */
const catalogue = defineCatalogue({
  ping: { description: 'Answers at once.', parameters: z.object({}), envelope: [], resumable: true },
});

let broker: TestBroker;
let probe: Probe;
let agent: DeviceAgent;
const setNoDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay');

beforeAll(async () => {
  broker = await startTestBroker();
  probe = await connectProbe(broker.url);
  await probe.subscribe(deviceTopic('latency', 'pinger-1', 'events'));
  await probe.subscribe(deviceTopic('latency', 'pinger-1', 'status'));
  setNoDelay.mockClear();
  agent = await startDeviceAgent({
    brokerUrl: broker.url,
    labId: 'latency',
    deviceId: 'pinger-1',
    kind: 'pinger',
    model: 'P',
    firmware: '1',
    catalogue,
    driver: { commands: { ping: async () => ({ pong: true }) } },
    heartbeat: 3600,
    reconnectPeriod: 10,
  });
});

afterAll(async () => {
  setNoDelay.mockRestore();
  await agent.stop();
  await probe.close();
  await broker.close();
});

async function ping(commandId: string): Promise<void> {
  const now = systemClock.now();
  await probe.publish(deviceTopic('latency', 'pinger-1', 'commands'), {
    commandId,
    deviceId: 'pinger-1',
    command: 'ping',
    parameters: {},
    issuedAt: now,
    deadline: now + 60_000,
  });
  await probe.waitFor((m) => {
    const p = m.payload as { commandId?: string; type?: string };
    return p.commandId === commandId && p.type === 'result';
  }, `result of ${commandId}`);
}

describe('Nagle’s algorithm stays off', () => {
  it('keeps the median command round trip far below the ~40 ms Nagle adds (30 pings)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const start = performance.now();
      await ping(`ping-${i}`);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    expect(times[15]).toBeLessThan(20);
  });

  it('is switched off on the agent’s socket at connect and again after a reconnect, which re-announces it', async () => {
    const agentCalls = () =>
      setNoDelay.mock.contexts.filter(
        (socket, i) =>
          setNoDelay.mock.calls[i]?.[0] === true && (socket as net.Socket).remotePort === broker.port,
      ).length;
    // The spy was cleared just before the agent connected: its own socket is the only client socket since.
    expect(agentCalls()).toBe(1);
    const statuses = probe.messages.length;
    expect(broker.dropClient('device-pinger-1')).toBe(true);
    // A dropped connection fires the will; the agent then reconnects and announces itself again.
    await probe.waitFor(
      (m) => probe.messages.indexOf(m) >= statuses && (m.payload as { state?: string }).state === 'offline',
      'the last will',
    );
    await probe.waitFor(
      (m) => probe.messages.indexOf(m) >= statuses && (m.payload as { state?: string }).state === 'online',
      'the agent to come back online',
    );
    expect(agentCalls()).toBe(2);
    await ping('after-reconnect');
  });
});
