import { type Alert, type Clock, sleep, systemClock } from '../../contracts/index.ts';
import type { Notifier } from './alert-center.ts';
import { NotifierError } from './errors.ts';

/** Options of {@link WebhookNotifier}. */
export interface WebhookNotifierOptions {
  /** The incoming-webhook URL (Slack, Mattermost, Rocket.Chat, Teams workflows, or your own receiver). */
  url: string;
  /** Linked from each message; never carries a token. */
  dashboardUrl?: string;
  /** Tries in all for one alert. @default 3 */
  attempts?: number;
  /** Wait before the second try, doubled for each one after. @default 1000 ms */
  backoffMs?: number;
  /** Per try. @default 5000 ms */
  timeoutMs?: number;
  /** Times the backoff. @default systemClock */
  clock?: Clock;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

const ICON: Record<Alert['severity'], string> = {
  info: ':white_check_mark:',
  warning: ':warning:',
  critical: ':rotating_light:',
};

/**
 * The Slack-compatible message for an alert: `text` for clients that show only that (and for notifications),
 * `blocks` for a richer card. Mattermost and Rocket.Chat read the same `text`.
 */
export function webhookMessage(alert: Alert, dashboardUrl?: string): Record<string, unknown> {
  const text = `${ICON[alert.severity]} [${alert.lab}] ${alert.title}${alert.count > 1 ? ` (×${alert.count})` : ''}`;
  const context = [`campaign ${alert.campaignId}`, new Date(alert.at).toISOString()];
  if (dashboardUrl) context.push(`<${dashboardUrl}#/alerts|open the dashboard>`);
  return {
    text: `${text} — ${alert.detail}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${text}*\n${alert.detail}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] },
    ],
  };
}

/**
 * Posts each alert as a Slack-compatible JSON message to an incoming webhook. A 5xx answer, a timeout or a
 * connection error is retried with exponential backoff; a 4xx answer is not (the URL or the message is wrong, and
 * asking again will not change that). Gives up with a {@link NotifierError}.
 *
 * @example
 * const notifier = new WebhookNotifier({ url: 'https://hooks.slack.com/services/T000/B000/XXXX' });
 * await notifier.notify(alert);
 */
export class WebhookNotifier implements Notifier {
  readonly name = 'webhook';
  private readonly fetch: typeof fetch;

  constructor(private readonly options: WebhookNotifierOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new NotifierError('webhook', `the URL must be http(s), got ${url.protocol}`);
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async notify(alert: Alert): Promise<void> {
    const attempts = this.options.attempts ?? 3;
    const body = JSON.stringify(webhookMessage(alert, this.options.dashboardUrl));
    let last: NotifierError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1)
        await sleep(this.options.clock ?? systemClock, (this.options.backoffMs ?? 1000) * 2 ** (attempt - 2));
      try {
        const response = await this.fetch(this.options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
        if (response.ok) return;
        const answer = (await response.text()).slice(0, 200);
        last = new NotifierError(
          'webhook',
          `alert ${alert.id} was refused with HTTP ${response.status} (${answer || 'no body'}) on try ${attempt} of ${attempts}`,
          response.status,
        );
        if (response.status < 500) break;
      } catch (error) {
        last = new NotifierError(
          'webhook',
          `alert ${alert.id} could not be posted on try ${attempt} of ${attempts}: ${(error as Error).message}`,
          undefined,
          { cause: error },
        );
      }
    }
    throw last as NotifierError;
  }
}
