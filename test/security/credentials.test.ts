import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContractError } from '../../contracts/index.ts';
import {
  BrokerAuthSchema,
  brokerAuthFor,
  CredentialsError,
  ensureLabCredentials,
  generateLabCredentials,
  hashPassword,
  mayPublish,
  maySubscribe,
  readLabCredentials,
  verifyPassword,
  writeLabCredentials,
} from '../../runtime/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'labloop-credentials-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lab credentials', () => {
  it('generates a distinct random password per client and writes them to a 0600 file', () => {
    const credentials = generateLabCredentials('lab-1', ['lh-1', 'lh-2', 'reader-1']);
    const passwords = [credentials.orchestrator, ...Object.values(credentials.devices)].map(
      (c) => c.password,
    );
    expect(new Set(passwords).size).toBe(4);
    for (const password of passwords) expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(generateLabCredentials('lab-1', ['lh-1']).devices['lh-1']?.password).not.toBe(
      credentials.devices['lh-1']?.password,
    );
    const file = join(dir, 'nested', 'lab-1.json');
    writeLabCredentials(file, credentials);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readLabCredentials(file)).toEqual(credentials);
    expect(() => writeLabCredentials(file, generateLabCredentials('lab-1', ['lh-1']))).toThrow(
      CredentialsError,
    );
    expect(readLabCredentials(file)).toEqual(credentials);
  });

  it('refuses a credentials file others can read, and a malformed one, without quoting a password', () => {
    const credentials = generateLabCredentials('lab-2', ['lh-1']);
    const file = join(dir, 'lab-2.json');
    writeLabCredentials(file, credentials);
    chmodSync(file, 0o644);
    expect(() => readLabCredentials(file)).toThrow(/mode 0644, expected 0600/);
    const secret = 'short-secret-15';
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ ...credentials, orchestrator: { username: 'o', password: secret } }),
      {
        mode: 0o600,
      },
    );
    const error = (() => {
      try {
        readLabCredentials(bad);
      } catch (e) {
        return e as ContractError;
      }
    })();
    expect(error).toBeInstanceOf(ContractError);
    expect(error?.issues).toEqual(['orchestrator.password: must be at least 16 characters']);
    expect(error?.message).not.toContain(secret);
    writeFileSync(bad, `{"version":1,"labId":"lab-2","orchestrator":{"password":"${secret}`, { mode: 0o600 });
    expect(() => readLabCredentials(bad)).toThrow(CredentialsError);
    try {
      readLabCredentials(bad);
    } catch (e) {
      expect(String((e as Error).message)).not.toContain(secret);
    }
  });

  it('generates a run’s credentials once and reads the same ones back, refusing another lab’s or a short file', () => {
    const file = join(dir, 'run', 'credentials.json');
    const first = ensureLabCredentials(file, 'lab-4', ['lh-1', 'reader-1']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(ensureLabCredentials(file, 'lab-4', ['lh-1', 'reader-1'])).toEqual(first);
    expect(() => ensureLabCredentials(file, 'lab-5', ['lh-1'])).toThrow(
      /credentials of lab lab-4, expected lab lab-5/,
    );
    expect(() => ensureLabCredentials(file, 'lab-4', ['lh-1', 'lh-2'])).toThrow(/no credentials for lh-2/);
  });

  it('keeps only scrypt hashes in the broker’s auth, and verifies them in constant time', async () => {
    const credentials = generateLabCredentials('lab-3', ['lh-1']);
    const auth = await brokerAuthFor(credentials, { cost: 10 });
    expect(JSON.stringify(auth)).not.toContain(credentials.orchestrator.password);
    expect(JSON.stringify(auth)).not.toContain(credentials.devices['lh-1']?.password);
    expect(auth.clients.map((c) => [c.username, c.role])).toEqual([
      ['orchestrator-lab-3', 'orchestrator'],
      ['lh-1', 'device'],
    ]);
    const hash = await hashPassword('correct horse battery staple', 10);
    expect(hash).not.toBe(await hashPassword('correct horse battery staple', 10));
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', hash)).toBe(false);
    expect(await verifyPassword('correct horse battery staple', hash.replace('scrypt$10', 'scrypt$11'))).toBe(
      false,
    );
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
    expect(BrokerAuthSchema.safeParse({ clients: [...auth.clients, ...auth.clients] }).success).toBe(false);
    expect(readFileSync(join(dir, 'nested', 'lab-1.json'), 'utf8')).not.toContain('scrypt');
  });

  it('matches topics exactly: no prefix, suffix or look-alike passes', () => {
    const device = {
      username: 'lh-1',
      role: 'device',
      labId: 'lab',
      deviceId: 'lh-1',
      passwordHash: '',
    } as const;
    const orchestrator = { username: 'o', role: 'orchestrator', labId: 'lab', passwordHash: '' } as const;
    expect(mayPublish(device, 'labloop/lab/devices/lh-1/events')).toBe(true);
    for (const topic of [
      'labloop/lab/devices/lh-1/events/',
      '/labloop/lab/devices/lh-1/events',
      'labloop/lab/devices/lh-10/events',
      'labloop/lab/devices/lh-1/commands',
      'labloop/lab2/devices/lh-1/events',
    ])
      expect(mayPublish(device, topic), topic).toBe(false);
    expect(maySubscribe(orchestrator, 'labloop/lab/devices/+/events')).toBe(true);
    expect(maySubscribe(orchestrator, 'labloop/lab/devices/#/events')).toBe(false);
    expect(maySubscribe(orchestrator, 'labloop/lab/devices/Bad_Id/events')).toBe(false);
    expect(mayPublish(orchestrator, 'labloop/lab/devices/lh-1/commands')).toBe(true);
    expect(mayPublish(orchestrator, 'labloop/lab/devices/../commands')).toBe(false);
  });
});
