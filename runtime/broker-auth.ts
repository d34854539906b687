import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Client, Subscription } from 'aedes';
import { z } from 'zod';
import { ContractError, formatIssues, SlugSchema } from '../contracts/index.ts';
import { type DeviceChannel, deviceTopic, parseDeviceTopic } from '../devices/index.ts';
import { CredentialsError } from './errors.ts';

/**
 * A password hash: `scrypt$<log2 N>$<r>$<p>$<salt, base64>$<key, base64>`. The cost travels with the hash, so
 * hashes made with different costs verify side by side.
 */
export const PasswordHashSchema = z
  .string()
  .regex(
    /^scrypt\$(1[0-9]|20)\$[1-9][0-9]?\$[1-9]\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/,
    'must be scrypt$<log2 N 10–20>$<r>$<p>$<16-byte salt>$<32-byte key>, as hashPassword makes',
  );

/** A client the broker lets in: who it is, what it may do, and its password's hash. */
export const BrokerClientSchema = z.discriminatedUnion('role', [
  z.object({
    /** MQTT username. */
    username: z.string().min(1).max(128),
    /** A device publishes only its own events, telemetry and status and subscribes only to its own commands. */
    role: z.literal('device'),
    labId: SlugSchema,
    deviceId: SlugSchema,
    passwordHash: PasswordHashSchema,
  }),
  z.object({
    username: z.string().min(1).max(128),
    /** The orchestrator publishes commands to every device of its lab and reads their events, telemetry, status. */
    role: z.literal('orchestrator'),
    labId: SlugSchema,
    passwordHash: PasswordHashSchema,
  }),
]);
export type BrokerClient = z.infer<typeof BrokerClientSchema>;

/** Who may connect to the embedded broker, and with which role. Usernames are unique. */
export const BrokerAuthSchema = z
  .object({ clients: z.array(BrokerClientSchema).min(1) })
  .superRefine((auth, ctx) => {
    const seen = new Set<string>();
    auth.clients.forEach((client, i) => {
      if (seen.has(client.username))
        ctx.addIssue({
          code: 'custom',
          message: `duplicate username ${JSON.stringify(client.username)}`,
          path: ['clients', i, 'username'],
        });
      seen.add(client.username);
    });
  });
export type BrokerAuth = z.infer<typeof BrokerAuthSchema>;

/** A username and password, as an MQTT client presents them. */
export const ClientCredentialSchema = z.object({
  username: z.string().min(1).max(128),
  password: z.string().min(16, 'must be at least 16 characters'),
});
export type ClientCredential = z.infer<typeof ClientCredentialSchema>;

/**
 * A lab credentials file: the secrets each client presents to the broker. Written 0600 by
 * {@link writeLabCredentials}; the broker keeps only hashes ({@link brokerAuthFor}).
 */
export const LabCredentialsSchema = z.object({
  version: z.literal(1),
  labId: SlugSchema,
  orchestrator: ClientCredentialSchema,
  /** Device id → its credential. */
  devices: z.record(SlugSchema, ClientCredentialSchema),
});
export type LabCredentials = z.infer<typeof LabCredentialsSchema>;

/** The clientId a device must connect with: the device agent's default, so no device can take over another's session. */
export function deviceClientId(deviceId: string): string {
  return `device-${deviceId}`;
}

const randomPassword = (): string => randomBytes(24).toString('base64url');

/**
 * Generates a lab's credentials: one random 192-bit password per device and one for the orchestrator
 * (username `orchestrator-<labId>`; each device's username is its id).
 *
 * @example
 * const credentials = generateLabCredentials('local-lab', ['liquid-handler-1', 'plate-reader-1']);
 * writeLabCredentials('secrets/local-lab.json', credentials);
 */
export function generateLabCredentials(labId: string, deviceIds: readonly string[]): LabCredentials {
  const devices: Record<string, ClientCredential> = {};
  for (const deviceId of deviceIds) devices[deviceId] = { username: deviceId, password: randomPassword() };
  return parseSecret(
    LabCredentialsSchema,
    {
      version: 1,
      labId,
      orchestrator: { username: `orchestrator-${labId}`, password: randomPassword() },
      devices,
    },
    `credentials of lab ${labId}`,
  );
}

/**
 * Parses without echoing the input: Zod's messages would otherwise quote a password that failed a rule.
 */
function parseSecret<S extends z.ZodType>(schema: S, data: unknown, subject: string): z.output<S> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new ContractError(subject, formatIssues(parsed.error), { cause: parsed.error });
  return parsed.data;
}

/**
 * Writes a credentials file readable by its owner only (0600), creating its folder. Refuses to overwrite an
 * existing file, so a running lab's passwords are never replaced by accident.
 */
export function writeLabCredentials(file: string, credentials: LabCredentials): void {
  const checked = parseSecret(LabCredentialsSchema, credentials, `credentials for ${file}`);
  if (existsSync(file))
    throw new CredentialsError(`${file} already exists; remove it first to generate new credentials`);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  // The mode passed at creation is masked by the umask; chmod states it exactly.
  chmodSync(file, 0o600);
}

/**
 * Reads a credentials file. Refuses one that its group or others may read or write (`chmod 600` fixes it), and
 * never quotes a password in its errors.
 */
export function readLabCredentials(file: string): LabCredentials {
  let text: string;
  try {
    const mode = statSync(file).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0)
      throw new CredentialsError(
        `${file} has mode ${mode.toString(8).padStart(4, '0')}, expected 0600: a credentials file must be private to its owner (chmod 600 ${file})`,
      );
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof CredentialsError) throw error;
    throw new CredentialsError(`cannot read credentials file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // The JSON parser's message quotes the text around the error, which may be a password.
    throw new CredentialsError(`credentials file ${file} is not JSON`, { cause: error });
  }
  return parseSecret(LabCredentialsSchema, raw, `credentials file ${file}`);
}

/**
 * Reads a lab's credentials file, or generates and writes one (0600) when there is none. Throws
 * {@link CredentialsError} when the file is for another lab or lacks a device, so a run never starts with a device
 * that cannot log in.
 *
 * @example
 * const credentials = ensureLabCredentials(join(runDir.dir, 'credentials.json'), 'demo-lab', ['printer-3d-1']);
 */
export function ensureLabCredentials(
  file: string,
  labId: string,
  deviceIds: readonly string[],
): LabCredentials {
  if (!existsSync(file)) writeLabCredentials(file, generateLabCredentials(labId, deviceIds));
  const credentials = readLabCredentials(file);
  if (credentials.labId !== labId)
    throw new CredentialsError(
      `${file} holds credentials of lab ${credentials.labId}, expected lab ${labId}`,
    );
  const missing = deviceIds.filter((id) => !Object.hasOwn(credentials.devices, id));
  if (missing.length > 0)
    throw new CredentialsError(
      `${file} has no credentials for ${missing.join(', ')}; it covers ${Object.keys(credentials.devices).join(', ') || 'no device'}`,
    );
  return credentials;
}

/** scrypt cost of new hashes: N = 2^14, r = 8, p = 1 (16 MiB, ~40 ms on this machine). */
export const DEFAULT_SCRYPT_COST = 14;

function scryptAsync(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, 32, { N: 2 ** logN, r, p, maxmem: 256 * 2 ** logN * r + 1024 * 1024 }, (e, key) =>
      e ? reject(e) : resolve(key),
    ),
  );
}

/**
 * Hashes a password with scrypt and a random salt.
 *
 * @example
 * const hash = await hashPassword(credentials.devices['plate-reader-1'].password);
 * await verifyPassword(password, hash); // true
 */
export async function hashPassword(password: string, cost = DEFAULT_SCRYPT_COST): Promise<string> {
  if (!Number.isInteger(cost) || cost < 10 || cost > 20)
    throw new RangeError(`scrypt cost must be an integer log2 N of 10–20, got ${cost}`);
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, cost, 8, 1);
  return `scrypt$${cost}$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Checks a password against a {@link hashPassword} hash in constant time. A malformed hash never matches. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (!PasswordHashSchema.safeParse(hash).success) return false;
  const [, logN, r, p, salt, key] = hash.split('$') as [string, string, string, string, string, string];
  const expected = Buffer.from(key, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), Number(logN), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Turns a lab's credentials into what the broker keeps: roles and password hashes, never the passwords.
 *
 * @example
 * const broker = await startBroker({ port: 0, auth: await brokerAuthFor(credentials) });
 */
export async function brokerAuthFor(
  credentials: LabCredentials,
  options: { cost?: number } = {},
): Promise<BrokerAuth> {
  const { labId } = credentials;
  const clients: BrokerClient[] = [
    {
      username: credentials.orchestrator.username,
      role: 'orchestrator',
      labId,
      passwordHash: await hashPassword(credentials.orchestrator.password, options.cost),
    },
  ];
  for (const [deviceId, credential] of Object.entries(credentials.devices))
    clients.push({
      username: credential.username,
      role: 'device',
      labId,
      deviceId,
      passwordHash: await hashPassword(credential.password, options.cost),
    });
  return parseSecret(BrokerAuthSchema, { clients }, `broker auth of lab ${labId}`);
}

const DEVICE_OUTBOUND: readonly DeviceChannel[] = ['events', 'telemetry', 'status'];
const ORCHESTRATOR_INBOUND: readonly DeviceChannel[] = ['events', 'telemetry', 'status'];
const isSlug = (text: string): boolean => SlugSchema.safeParse(text).success;

/** Whether `client` may publish on `topic`. Pure; the broker's `authorizePublish` applies it. */
export function mayPublish(client: BrokerClient, topic: string): boolean {
  if (client.role === 'device')
    return DEVICE_OUTBOUND.some((channel) => topic === deviceTopic(client.labId, client.deviceId, channel));
  const where = parseDeviceTopic(topic);
  return (
    where !== undefined &&
    where.labId === client.labId &&
    where.channel === 'commands' &&
    isSlug(where.deviceId)
  );
}

/**
 * Whether `client` may subscribe to `filter`. A device gets its own `commands` topic, nothing else; the
 * orchestrator gets `events`, `telemetry` and `status` of one device or of every device (`+`) of its lab. No
 * `#`, no `+` elsewhere, no `$SYS`.
 */
export function maySubscribe(client: BrokerClient, filter: string): boolean {
  if (client.role === 'device') return filter === deviceTopic(client.labId, client.deviceId, 'commands');
  const parts = filter.split('/');
  return (
    parts.length === 5 &&
    parts[0] === 'labloop' &&
    parts[1] === client.labId &&
    parts[2] === 'devices' &&
    (parts[3] === '+' || isSlug(parts[3] ?? '')) &&
    ORCHESTRATOR_INBOUND.includes(parts[4] as DeviceChannel)
  );
}

/** Whether a message on `topic` may be delivered to `client` (defence in depth behind {@link maySubscribe}). */
export function mayReceive(client: BrokerClient, topic: string): boolean {
  if (client.role === 'device') return topic === deviceTopic(client.labId, client.deviceId, 'commands');
  const where = parseDeviceTopic(topic);
  return where !== undefined && where.labId === client.labId && ORCHESTRATOR_INBOUND.includes(where.channel);
}

/** Where the broker reports refused connections and denied publishes and subscriptions. Never given a password. */
export interface BrokerLogger {
  warn(message: string, details?: Record<string, unknown>): void;
}

/** What the broker has refused since it started. */
export interface BrokerSecurityStats {
  connectionsRefused: number;
  publishesDenied: number;
  subscriptionsDenied: number;
  deliveriesDenied: number;
}

/** The aedes handlers that enforce a {@link BrokerAuth}. */
export interface BrokerGuard {
  authenticate(
    client: Client,
    username: Readonly<string | undefined>,
    password: Readonly<Buffer | undefined>,
    done: (error: (Error & { returnCode: number }) | null, success: boolean | null) => void,
  ): void;
  authorizePublish(
    client: Client | null,
    packet: { topic: string },
    done: (error?: Error | null) => void,
  ): void;
  authorizeSubscribe(
    client: Client,
    subscription: Subscription,
    done: (error: Error | null, subscription?: Subscription | null) => void,
  ): void;
  authorizeForward<P extends { topic: string }>(client: Client, packet: P): P | null;
  stats(): BrokerSecurityStats;
}

const BAD_CREDENTIALS = 4;
const IDENTIFIER_REJECTED = 2;

function refusal(message: string, returnCode: number): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

const quote = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}…` : text);

/**
 * Builds the aedes handlers for `auth`: password check (scrypt, constant-time compare), a device bound to its
 * own clientId, and the topic rules of {@link mayPublish}, {@link maySubscribe} and {@link mayReceive}. A denied
 * publish closes the client's connection (MQTT 3.1.1 has no negative PUBACK); a denied subscription is answered
 * with SUBACK 0x80. Unknown users and wrong passwords get the same answer, so usernames cannot be probed.
 */
export function createBrokerGuard(auth: BrokerAuth, logger: BrokerLogger): BrokerGuard {
  const byUsername = new Map(auth.clients.map((client) => [client.username, client]));
  const identities = new WeakMap<Client, BrokerClient>();
  // A verified password is remembered as an HMAC under a key that lives only in this process, so a device
  // that reconnects after every broker restart costs one scrypt, not one per reconnect.
  const cacheKey = randomBytes(32);
  const verified = new Map<string, Buffer>();
  const stats: BrokerSecurityStats = {
    connectionsRefused: 0,
    publishesDenied: 0,
    subscriptionsDenied: 0,
    deliveriesDenied: 0,
  };
  const who = (client: Client | null): string => {
    const identity = client ? identities.get(client) : undefined;
    return identity ? `${identity.role} ${quote(identity.username)}` : `client ${quote(client?.id ?? '?')}`;
  };
  const passwordMatches = async (entry: BrokerClient | undefined, password: Buffer): Promise<boolean> => {
    const text = password.toString('utf8');
    const mac = createHmac('sha256', cacheKey).update(text).digest();
    const known = entry ? verified.get(entry.username) : undefined;
    if (entry && known && timingSafeEqual(known, mac)) return true;
    // An unknown user still costs a full scrypt, so response time does not tell which usernames exist.
    const ok = await verifyPassword(text, entry?.passwordHash ?? auth.clients[0]?.passwordHash ?? '');
    if (entry && ok) verified.set(entry.username, mac);
    return entry !== undefined && ok;
  };

  return {
    authenticate(client, username, password, done) {
      const refuse = (reason: string, code: number) => {
        stats.connectionsRefused++;
        logger.warn(`broker: refused connection of client ${quote(client.id)}: ${reason}`, {
          clientId: client.id,
          username,
        });
        done(
          refusal(code === BAD_CREDENTIALS ? 'bad username or password' : 'identifier rejected', code),
          false,
        );
      };
      if (username === undefined || password === undefined) {
        refuse('no username or password; this broker requires credentials', BAD_CREDENTIALS);
        return;
      }
      const entry = byUsername.get(username);
      passwordMatches(entry, password).then(
        (ok) => {
          if (!ok || entry === undefined) {
            refuse(`${entry ? 'wrong password' : 'unknown'} for user ${quote(username)}`, BAD_CREDENTIALS);
            return;
          }
          if (entry.role === 'device' && client.id !== deviceClientId(entry.deviceId)) {
            refuse(
              `device ${quote(entry.deviceId)} must connect with clientId ${quote(deviceClientId(entry.deviceId))}, got ${quote(client.id)}`,
              IDENTIFIER_REJECTED,
            );
            return;
          }
          if (entry.role === 'orchestrator' && client.id.startsWith('device-')) {
            refuse(
              `clientIds starting "device-" belong to devices, got ${quote(client.id)}`,
              IDENTIFIER_REJECTED,
            );
            return;
          }
          identities.set(client, entry);
          done(null, true);
        },
        (error: Error) => {
          stats.connectionsRefused++;
          logger.warn(`broker: password check failed for user ${quote(username)}: ${error.message}`);
          done(refusal('server unavailable', 3), false);
        },
      );
    },
    authorizePublish(client, packet, done) {
      const identity = client ? identities.get(client) : undefined;
      if (identity && mayPublish(identity, packet.topic)) return done(null);
      stats.publishesDenied++;
      const message = `${who(client)} may not publish on ${quote(packet.topic)}`;
      logger.warn(`broker: denied: ${message}; closing its connection`, { topic: packet.topic });
      done(new Error(message));
    },
    authorizeSubscribe(client, subscription, done) {
      const identity = identities.get(client);
      if (identity && maySubscribe(identity, subscription.topic)) return done(null, subscription);
      stats.subscriptionsDenied++;
      logger.warn(`broker: denied: ${who(client)} may not subscribe to ${quote(subscription.topic)}`, {
        topic: subscription.topic,
      });
      done(null, null);
    },
    authorizeForward(client, packet) {
      const identity = identities.get(client);
      if (identity && mayReceive(identity, packet.topic)) return packet;
      stats.deliveriesDenied++;
      return null;
    },
    stats: () => ({ ...stats }),
  };
}
