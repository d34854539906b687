import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { Aedes } from 'aedes';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/** An in-process MQTT broker on an ephemeral loopback port, for tests. */
export interface TestBroker {
  /** `mqtt://127.0.0.1:<port>`, or `mqtts://…` with `tls`. */
  readonly url: string;
  readonly port: number;
  readonly aedes: Aedes;
  /**
   * Cuts a client's connection from the broker's side, as a network failure would (its last will fires,
   * it reconnects on its own). Returns false when no client with that id is connected.
   */
  dropClient(clientId: string): boolean;
  /** Closes the broker, destroys every open socket and stops listening. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts aedes on `net.createServer` on port 0 with Nagle's algorithm off on every accepted socket, so a
 * QoS 1 round trip takes well under a millisecond instead of ~40 ms. `noDelay: false` keeps Nagle on, for
 * tests that check a client switches it off on its own side. With `tls` it listens on `tls.createServer` with
 * those options (certificate, key, and `requestCert`/`ca` to require client certificates) and its URL is
 * `mqtts://`; a connection whose handshake fails never reaches aedes.
 *
 * @example
 * const broker = await startTestBroker();
 * afterAll(() => broker.close());
 */
export async function startTestBroker(
  options: { noDelay?: boolean; tls?: tls.TlsOptions } = {},
): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<net.Socket>();
  const accept = (socket: net.Socket) => {
    socket.setNoDelay(options.noDelay ?? true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  };
  const server = options.tls
    ? tls.createServer(options.tls, accept).on('tlsClientError', (_error, socket) => socket.destroy())
    : net.createServer(accept);
  const connected = new Map<string, net.Socket>();
  aedes.on('client', (client) => connected.set(client.id, client.conn as net.Socket));
  aedes.on('clientDisconnect', (client) => {
    if (connected.get(client.id) === client.conn) connected.delete(client.id);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error(`test broker expected a TCP address, got ${JSON.stringify(address)}`);
  let closing: Promise<void> | undefined;
  return {
    url: `${options.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${address.port}`,
    port: address.port,
    aedes,
    dropClient(clientId) {
      const socket = connected.get(clientId);
      socket?.destroy();
      return socket !== undefined;
    },
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      })();
      return closing;
    },
  };
}

/** One message a {@link Probe} received. */
export interface ProbeMessage {
  topic: string;
  /** The payload parsed as JSON, or the raw text when it is not JSON. */
  payload: unknown;
  retain: boolean;
}

/** An MQTT client that records every message on its subscriptions and lets a test wait for one. */
export interface Probe {
  readonly client: MqttClient;
  /** Every message received so far, in arrival order. */
  readonly messages: ProbeMessage[];
  subscribe(filter: string): Promise<void>;
  publish(topic: string, payload: unknown, options?: { qos?: 0 | 1; retain?: boolean }): Promise<void>;
  /**
   * Resolves with the first recorded message (past or future) matching `predicate`. Rejects after
   * `timeoutMs` of wall time, naming what it waited for, so a broken test fails instead of hanging.
   */
  waitFor(
    predicate: (message: ProbeMessage) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<ProbeMessage>;
  /** Resolves once `count` recorded messages match `predicate`. */
  waitForCount(
    predicate: (message: ProbeMessage) => boolean,
    count: number,
    what: string,
    timeoutMs?: number,
  ): Promise<ProbeMessage[]>;
  close(): Promise<void>;
}

/**
 * Connects a recording client (the orchestrator's side in device tests), with Nagle's algorithm off unless
 * `noDelay: false`; `tls` holds what it trusts and presents on an `mqtts://` URL.
 *
 * @example
 * const probe = await connectProbe(broker.url);
 * await probe.subscribe('labloop/lab/devices/+/events');
 * await probe.waitFor((m) => (m.payload as { type: string }).type === 'result', 'a result');
 */
export async function connectProbe(
  url: string,
  options: { noDelay?: boolean; tls?: Pick<IClientOptions, 'ca' | 'cert' | 'key'> } = {},
): Promise<Probe> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...options.tls });
  (client.stream as net.Socket).setNoDelay(options.noDelay ?? true);
  const messages: ProbeMessage[] = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, buffer, packet) => {
    const text = buffer.toString('utf8');
    let payload: unknown = text;
    try {
      payload = JSON.parse(text);
    } catch {
      // A non-JSON payload is recorded as its text: tests of malformed input need to see it.
    }
    messages.push({ topic, payload, retain: packet.retain });
    for (const wake of [...waiters]) wake();
  });
  const waitForCount: Probe['waitForCount'] = (predicate, count, what, timeoutMs = 5000) =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = messages.filter(predicate);
        if (found.length < count) return false;
        resolve(found.slice(0, count));
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        waiters.delete(wake);
        const seen = messages.filter(predicate).length;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${count} × ${what}; saw ${seen}`));
      }, timeoutMs);
      const wake = () => {
        if (!check()) return;
        clearTimeout(timer);
        waiters.delete(wake);
      };
      waiters.add(wake);
    });
  return {
    client,
    messages,
    async subscribe(filter) {
      await client.subscribeAsync(filter, { qos: 1 });
    },
    async publish(topic, payload, options = {}) {
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      await client.publishAsync(topic, text, { qos: options.qos ?? 1, retain: options.retain ?? false });
    },
    waitForCount,
    async waitFor(predicate, what, timeoutMs) {
      const [first] = await waitForCount(predicate, 1, what, timeoutMs);
      if (first === undefined) throw new Error(`no message matched ${what}`);
      return first;
    },
    async close() {
      await client.endAsync();
    },
  };
}
