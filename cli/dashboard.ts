import { readFileSync } from 'node:fs';
import { AccessTokensFileSchema, parseWith } from '../contracts/index.ts';
import { type DashboardServer, startDashboardServer } from '../runtime/api/index.ts';
import type { CampaignSession } from '../runtime/index.ts';
import { UsageError } from './errors.ts';

/** The command-line options of the dashboard (`labloop run` and `resume` without `--headless`). */
export const DASHBOARD_OPTIONS = {
  'http-port': { type: 'string' },
  'http-host': { type: 'string' },
  tokens: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
} as const;

/** Help text for {@link DASHBOARD_OPTIONS}. */
export const DASHBOARD_HELP = `Dashboard (not with --headless):
  --http-port <n>     port of the dashboard (default 8080, or a free one if taken; 0 = any free port)
  --http-host <addr>  address to listen on (default 0.0.0.0: phones on the same network can connect)
  --tokens <file>     JSON list of { name, role: viewer|operator|approver, token } (default: one fresh
                      random token per role, printed as links)
  --tls-cert <file>, --tls-key <file>   serve HTTPS (phones need it for notifications and offline use)
  Alerts also go to the Slack-compatible webhook in $LABLOOP_WEBHOOK_URL, when set.`;

type Values = Record<string, string | boolean | undefined>;

/**
 * Starts the dashboard server over a running session and prints its links: `Dashboard: <url>` (the approver's
 * link) on stdout — on stderr with `--json`, whose stdout is the summary alone — then one line per other token.
 */
export async function serveDashboard(
  session: CampaignSession,
  values: Values,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<DashboardServer> {
  const text = (flag: string) => values[flag] as string | undefined;
  let port: number | undefined;
  if (text('http-port') !== undefined) {
    port = Number(text('http-port'));
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--http-port must be an integer 0–65535, got "${text('http-port')}"`);
  }
  if (Boolean(text('tls-cert')) !== Boolean(text('tls-key')))
    throw new UsageError('--tls-cert and --tls-key go together: give both or neither');
  const tokensFile = text('tokens');
  let tokens: ReturnType<typeof AccessTokensFileSchema.parse> | undefined;
  if (tokensFile) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(tokensFile, 'utf8'));
    } catch (error) {
      throw new UsageError(
        `--tokens ${tokensFile} is not a readable JSON file: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    tokens = parseWith(AccessTokensFileSchema, raw, `tokens file ${tokensFile}`);
  }
  const tlsCert = text('tls-cert');
  const tlsKey = text('tls-key');
  const server = await startDashboardServer({
    session,
    ...(tokens ? { tokens } : {}),
    ...(port === undefined ? {} : { port }),
    ...(text('http-host') ? { host: text('http-host') as string } : {}),
    ...(tlsCert && tlsKey ? { tls: { cert: readFileSync(tlsCert), key: readFileSync(tlsKey) } } : {}),
    ...(process.env.LABLOOP_WEBHOOK_URL ? { webhookUrl: process.env.LABLOOP_WEBHOOK_URL } : {}),
    onNotice: (message) => io.stderr.write(`dashboard: ${message}\n`),
  });
  const host = text('http-host');
  const at = host && host !== '0.0.0.0' && host !== '::' ? host : undefined;
  const [first, ...others] = [...server.tokens].sort((a, b) => rank(b.role) - rank(a.role));
  const out = values.json ? io.stderr : io.stdout;
  if (first) out.write(`Dashboard: ${server.link(first.name, at)}\n`);
  for (const t of others) io.stderr.write(`  ${t.role} link (${t.name}): ${server.link(t.name, at)}\n`);
  return server;
}

const rank = (role: string) => ['viewer', 'operator', 'approver'].indexOf(role);

/** Resolves at the next Ctrl-C (SIGINT). */
export function nextInterrupt(): Promise<void> {
  return new Promise((resolve) => process.once('SIGINT', () => resolve()));
}
