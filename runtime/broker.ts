import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { BrokerError } from './errors.ts';

/** A running embedded MQTT broker. */
export interface EmbeddedBroker {
  /** `mqtt://host:port`, to hand to clients. */
  readonly url: string;
  readonly port: number;
  readonly aedes: Aedes;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

/** Options of {@link startBroker}. */
export interface BrokerOptions {
  /** TCP port; 0 picks a free one. @default 1883 */
  port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
}

/**
 * Starts an embedded MQTT 3.1.1 broker (aedes). Server sockets have Nagle's algorithm off: with it on, a QoS 1
 * command/result round trip on loopback costs ~88 ms instead of ~0.1 ms.
 *
 * @example
 * const broker = await startBroker({ port: 0 });
 * // … mqtt.connectAsync(broker.url) …
 * await broker.close();
 */
export async function startBroker(options: BrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  server.listen(options.port ?? 1883, host);
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => Promise.reject(error)),
    ]);
  } catch (error) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw new BrokerError(`cannot listen on ${host}:${options.port ?? 1883}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const port = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://${host}:${port}`,
    port,
    aedes,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
