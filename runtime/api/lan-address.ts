import { networkInterfaces } from 'node:os';

/**
 * The address a phone on the same network can reach this machine at: the first non-internal IPv4 address
 * (Wi-Fi or Ethernet), or 127.0.0.1 when there is none.
 */
export function lanAddress(interfaces = networkInterfaces()): string {
  for (const list of Object.values(interfaces))
    for (const address of list ?? [])
      if (address.family === 'IPv4' && !address.internal) return address.address;
  return '127.0.0.1';
}
