import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import webPush from 'web-push';
import { z } from 'zod';
import {
  type Alert,
  type PushSubscriptionPayload,
  PushSubscriptionSchema,
  parseWith,
} from '../../contracts/index.ts';
import type { Notifier } from './alert-center.ts';
import { NotifierError } from './errors.ts';

const VapidKeysSchema = z.object({ publicKey: z.string().min(80), privateKey: z.string().min(40) });
/** A lab's VAPID key pair (base64url), which identifies the lab to browsers' push services. */
export type VapidKeys = z.infer<typeof VapidKeysSchema>;

const SubscriptionsSchema = z.array(PushSubscriptionSchema.extend({ who: z.string() }));

/** Options of {@link WebPushNotifier.open}. */
export interface WebPushNotifierOptions {
  /** The lab's config folder: `vapid.json` (mode 600) and `push-subscriptions.json` live here. */
  dir: string;
  /** Who runs the lab, for push services that need to reach someone: `mailto:` or `https:`. */
  subject?: string;
  /** Seconds a push service keeps an undelivered notification. @default 3600 */
  ttl?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** The JSON payload the dashboard's service worker turns into a notification. */
export function pushPayload(alert: Alert): string {
  return JSON.stringify({
    title: alert.title,
    body: alert.detail,
    tag: `labloop-${alert.campaignId}-${alert.id}`,
    severity: alert.severity,
    url: '#/alerts',
  });
}

/**
 * Sends alerts as Web Push notifications to every browser that subscribed (RFC 8030 with VAPID, RFC 8292, and
 * aes128gcm payload encryption, RFC 8291, by the `web-push` package). The lab's VAPID keys are generated on first
 * use and kept in `dir`, so subscriptions survive restarts and later campaigns of the same lab. A subscription
 * that its push service says is gone (404, 410) is dropped.
 *
 * @example
 * const push = WebPushNotifier.open({ dir: 'runs/.labloop/demo-lab' });
 * push.subscribe(subscriptionFromBrowser, 'operator:alice');
 * await push.notify(alert);
 */
export class WebPushNotifier implements Notifier {
  readonly name = 'web-push';
  private readonly subscriptions: Array<PushSubscriptionPayload & { who: string }>;
  private readonly fetch: typeof fetch;

  private constructor(
    private readonly options: WebPushNotifierOptions,
    readonly keys: VapidKeys,
  ) {
    this.fetch = options.fetch ?? globalThis.fetch;
    const file = this.subscriptionsFile;
    this.subscriptions = existsSync(file)
      ? parseWith(SubscriptionsSchema, JSON.parse(readFileSync(file, 'utf8')), file)
      : [];
  }

  /** Opens the lab's push notifier, creating its VAPID keys on first use. */
  static open(options: WebPushNotifierOptions): WebPushNotifier {
    mkdirSync(options.dir, { recursive: true });
    const file = join(options.dir, 'vapid.json');
    let keys: VapidKeys;
    if (existsSync(file)) {
      keys = parseWith(VapidKeysSchema, JSON.parse(readFileSync(file, 'utf8')), file);
    } else {
      keys = webPush.generateVAPIDKeys();
      writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    return new WebPushNotifier(options, keys);
  }

  /** The public key browsers pass to `pushManager.subscribe({ applicationServerKey })`. */
  get publicKey(): string {
    return this.keys.publicKey;
  }

  private get subscriptionsFile(): string {
    return join(this.options.dir, 'push-subscriptions.json');
  }

  /** Browsers subscribed now (their endpoints). */
  endpoints(): string[] {
    return this.subscriptions.map((s) => s.endpoint);
  }

  /** Adds (or refreshes) a browser's subscription. */
  subscribe(subscription: PushSubscriptionPayload, who: string): void {
    this.unsubscribe(subscription.endpoint);
    this.subscriptions.push({ ...subscription, who });
    this.save();
  }

  /** Drops a subscription; returns whether there was one. */
  unsubscribe(endpoint: string): boolean {
    const index = this.subscriptions.findIndex((s) => s.endpoint === endpoint);
    if (index < 0) return false;
    this.subscriptions.splice(index, 1);
    this.save();
    return true;
  }

  /** Sends `alert` to every subscription; rejects with one {@link NotifierError} listing those that failed. */
  async notify(alert: Alert): Promise<void> {
    const payload = pushPayload(alert);
    const failures: string[] = [];
    let status: number | undefined;
    await Promise.all(
      [...this.subscriptions].map(async (subscription) => {
        const request = webPush.generateRequestDetails(subscription, payload, {
          vapidDetails: {
            subject: this.options.subject ?? 'mailto:labloop@example.org',
            publicKey: this.keys.publicKey,
            privateKey: this.keys.privateKey,
          },
          TTL: this.options.ttl ?? 3600,
          urgency: alert.severity === 'critical' ? 'high' : 'normal',
          contentEncoding: 'aes128gcm',
        });
        const host = new URL(subscription.endpoint).host;
        try {
          const response = await this.fetch(request.endpoint, {
            method: request.method,
            headers: request.headers as Record<string, string>,
            body: request.body as Buffer,
            signal: AbortSignal.timeout(10_000),
          });
          if (response.status === 404 || response.status === 410) this.unsubscribe(subscription.endpoint);
          else if (!response.ok) {
            status = response.status;
            failures.push(`${host} answered HTTP ${response.status}`);
          }
        } catch (error) {
          failures.push(`${host} could not be reached (${(error as Error).message})`);
        }
      }),
    );
    if (failures.length > 0)
      throw new NotifierError(
        'web-push',
        `alert ${alert.id} reached ${this.subscriptions.length - failures.length} of ${this.subscriptions.length} subscriptions: ${failures.join('; ')}`,
        status,
      );
  }

  private save(): void {
    writeFileSync(this.subscriptionsFile, `${JSON.stringify(this.subscriptions, null, 2)}\n`, {
      mode: 0o600,
    });
  }
}
