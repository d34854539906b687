import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian installs mosquitto (`/usr/sbin` is not on every PATH), or `undefined` when it is absent. */
export function findMosquitto(): string | undefined {
  const candidates = [
    '/usr/sbin/mosquitto',
    '/usr/bin/mosquitto',
    '/usr/local/sbin/mosquitto',
    '/usr/local/bin/mosquitto',
  ];
  return candidates.find((path) => existsSync(path));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, wallMs: number): Promise<void> {
  const deadline = Date.now() + wallMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`mosquitto exited with code ${child.exitCode} before listening`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`mosquitto did not listen on 127.0.0.1:${port} within ${wallMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A Debian mosquitto broker started for a test, on a free loopback port. */
export interface Mosquitto {
  url: string;
  stop(): Promise<void>;
}

/** Starts mosquitto with a minimal config (loopback, anonymous, no persistence). */
export async function startMosquitto(binary: string): Promise<Mosquitto> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'labloop-mosquitto-'));
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_type error\n`,
  );
  const child = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitForPort(port, child, 10_000);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
