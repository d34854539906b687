import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import {
  type AccessToken,
  ActionRequestSchema,
  type LiveMessage,
  type Principal,
  PushSubscriptionSchema,
  parseWith,
  type Role,
} from '../../contracts/index.ts';
import { buildDashboard, type DashboardAssets } from '../../dashboard/index.ts';
import {
  AlertCenter,
  AlertNotFoundError,
  type Notifier,
  WebhookNotifier,
  WebPushNotifier,
} from '../alerts/index.ts';
import type { AuditRecord } from '../audit-log.ts';
import type { CampaignSession } from '../campaign-runner.ts';
import { OperatorActionError } from '../errors.ts';
import { AccessList, bearerToken, defaultTokens, may } from './access.ts';
import { HttpError } from './errors.ts';
import {
  json,
  pathSegment,
  readJson,
  refuseExpectation,
  refuseUnparsable,
  requestPath,
  SECURITY_HEADERS,
  validated,
} from './internal/http.ts';
import { LabView } from './lab-view.ts';
import { lanAddress } from './lan-address.ts';

/** Options of {@link startDashboardServer}. */
export interface DashboardServerOptions {
  session: CampaignSession;
  /** Who may connect. @default one fresh random token per role: `console` (approver), `operator`, `viewer` */
  tokens?: readonly AccessToken[];
  /** @default '0.0.0.0' (every interface, so a phone on the same network can connect) */
  host?: string;
  /** @default 8080, or a free port when 8080 is taken; 0 = any free port */
  port?: number;
  /** Serve HTTPS (needed by phones for Web Push and the offline shell, except on localhost). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Where the lab's VAPID keys and push subscriptions live. @default `<runs dir>/.labloop/<lab>` */
  labDir?: string;
  /** Web Push notifications. @default true */
  push?: boolean;
  /** `mailto:` or `https:` contact for push services. @default 'mailto:labloop@example.org' */
  pushSubject?: string;
  /** A Slack-compatible incoming webhook for alerts. */
  webhookUrl?: string;
  /** Origins (e.g. a dashboard hosted elsewhere) allowed to call this API from a browser. @default none */
  allowOrigins?: readonly string[];
  /** One line per notable event (a failed notification); never carries a secret. */
  onNotice?: (message: string) => void;
  /** Used by the notifiers. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** A running dashboard server. */
export interface DashboardServer {
  /** The address it is bound to, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  readonly tokens: readonly AccessToken[];
  readonly view: LabView;
  readonly alerts: AlertCenter;
  readonly push: WebPushNotifier | undefined;
  /** The link that opens the dashboard with `who`'s token (a token name or a role), at `host` (default: LAN IP). */
  link(who: string, host?: string): string;
  close(): Promise<void>;
}

const HEARTBEAT_MS = 15_000;

let assetsOnce: Promise<DashboardAssets> | undefined;

/** Replays what the run's audit log already holds (a resumed run) into the view and the inbox, notifying no one. */
function replayLog(file: string, view: LabView, alerts: AlertCenter): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const line of text.split('\n')) {
    if (!line) continue;
    const record = JSON.parse(line) as AuditRecord;
    view.ingest(record, false);
    alerts.ingest(record, false);
  }
}

/**
 * Serves the dashboard and its API over a running campaign: the PWA (built in memory from `dashboard/`), REST for
 * state and actions, a Server-Sent Events stream of every change (no polling), token access with roles checked
 * here, and the alerts inbox with its webhook and Web Push notifiers. It keeps serving the campaign's last state
 * after the campaign has ended, until closed.
 *
 * @example
 * const session = await startCampaign(campaign, source);
 * const server = await startDashboardServer({ session, port: 8080 });
 * console.log(`Dashboard: ${server.link('console')}`);
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const { session } = options;
  const lab = session.campaign.lab;
  const tokens = options.tokens ?? defaultTokens();
  const access = new AccessList(tokens);
  const notice = options.onNotice ?? (() => undefined);
  const push =
    options.push === false
      ? undefined
      : WebPushNotifier.open({
          dir: options.labDir ?? join(dirname(session.runDir.dir), '.labloop', lab),
          ...(options.pushSubject ? { subject: options.pushSubject } : {}),
          ...(options.fetch ? { fetch: options.fetch } : {}),
        });
  const notifiers: Notifier[] = [];
  if (push) notifiers.push(push);
  if (options.webhookUrl)
    notifiers.push(
      new WebhookNotifier({ url: options.webhookUrl, ...(options.fetch ? { fetch: options.fetch } : {}) }),
    );
  const view = new LabView(session);
  const alerts = new AlertCenter({
    lab,
    campaignId: session.campaignId,
    clock: session.clock,
    acksFile: join(session.runDir.dir, 'alerts.jsonl'),
    notifiers,
    onNotifyError: (error, alert) =>
      notice(`alert ${alert.id} (${alert.title}) was not delivered: ${error.message}`),
  });
  // Read and subscribe in one synchronous step: the log appends synchronously, so no record falls in between.
  replayLog(session.runDir.log.file, view, alerts);
  const unsubscribe = session.runDir.log.subscribe((record) => {
    view.ingest(record);
    alerts.ingest(record);
  });
  for (const alert of alerts.list().reverse()) view.putAlert(alert);
  alerts.on('alert', (alert) => view.putAlert(alert));
  session.done.then(
    (summary) => view.end(summary),
    (error: Error) => notice(`the campaign ended with an error: ${error.message}`),
  );

  assetsOnce ??= buildDashboard().catch((error: Error) => {
    assetsOnce = undefined;
    throw error;
  });
  const assets = await assetsOnce;
  const streams = new Set<ServerResponse>();

  const authenticate = (req: IncomingMessage): Principal => {
    const token = bearerToken(req.headers.authorization);
    if (!token)
      throw new HttpError(
        401,
        'Unauthorized',
        'this API needs an access token: send Authorization: Bearer <token> (the dashboard link carries one)',
      );
    const principal = access.authenticate(token);
    if (!principal) throw new HttpError(401, 'Unauthorized', 'the access token is not valid for this lab');
    return principal;
  };
  const actor = (p: Principal) => `operator:${p.name}`;
  const requireRole = (p: Principal, action: Parameters<typeof may>[1], what: string) => {
    if (!may(p.role, action))
      throw new HttpError(
        403,
        'Forbidden',
        `${p.name} is a ${p.role} and may not ${what}; that needs the ${action === 'approve' || action === 'reject' ? 'approver' : 'operator'} role`,
      );
  };
  const snapshot = (p: Principal) => view.snapshot(p, push ? { publicKey: push.publicKey } : {});

  const api = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const principal = authenticate(req);
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/api/state') return json(res, 200, snapshot(principal));
    if (method === 'GET' && path === '/api/session')
      return json(res, 200, { you: principal, lab, campaignId: session.campaignId });
    if (method === 'GET' && path === '/api/alerts') return json(res, 200, alerts.list());
    if (method === 'GET' && path === '/api/events') return openStream(res, principal);
    const device = /^\/api\/devices\/([^/]+)$/.exec(path);
    if (method === 'GET' && device) {
      const deviceId = pathSegment(device[1] as string, 'device id');
      const found = view.device(deviceId);
      if (!found) throw new HttpError(404, 'NotFound', `no device ${deviceId} on lab ${lab}`);
      return json(res, 200, found);
    }
    if (method === 'POST' && path === '/api/actions') {
      const request = await validated(async () =>
        parseWith(ActionRequestSchema, await readJson(req), 'action request'),
      );
      requireRole(principal, request.action, request.action);
      if (view.ended)
        throw new HttpError(
          409,
          'Conflict',
          `cannot ${request.action}: campaign ${session.campaignId} has ended (${session.state()})`,
        );
      try {
        session.act(
          request.action === 'approve' || request.action === 'reject'
            ? { type: request.action, experimentId: request.experimentId }
            : { type: request.action },
          { who: actor(principal), ...(request.why ? { why: request.why } : {}) },
        );
      } catch (error) {
        if (error instanceof OperatorActionError)
          throw new HttpError(409, 'Conflict', error.message, undefined, { cause: error });
        throw error;
      }
      return json(res, 200, { ok: true, state: session.state() });
    }
    const ack = /^\/api\/alerts\/([^/]+)\/ack$/.exec(path);
    if (method === 'POST' && ack) {
      requireRole(principal, 'acknowledge', 'acknowledge alerts');
      try {
        return json(
          res,
          200,
          alerts.acknowledge(pathSegment(ack[1] as string, 'alert id'), actor(principal)),
        );
      } catch (error) {
        if (error instanceof AlertNotFoundError)
          throw new HttpError(404, 'NotFound', error.message, undefined, { cause: error });
        throw error;
      }
    }
    if (method === 'POST' && path === '/api/push/subscriptions') {
      if (!push) throw new HttpError(404, 'NotFound', 'Web Push is switched off on this server');
      const subscription = await validated(async () =>
        parseWith(PushSubscriptionSchema, await readJson(req), 'push subscription'),
      );
      push.subscribe(subscription, actor(principal));
      return json(res, 201, { ok: true });
    }
    throw new HttpError(404, 'NotFound', `no API route ${method} ${path}`);
  };

  const openStream = (res: ServerResponse, principal: Principal): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    const send = (message: LiveMessage) =>
      res.write(`event: ${message.type}\ndata: ${JSON.stringify(message)}\n\n`);
    send({ type: 'snapshot', snapshot: snapshot(principal) });
    view.on('message', send);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    streams.add(res);
    res.on('close', () => {
      clearInterval(heartbeat);
      view.off('message', send);
      streams.delete(res);
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const origin = req.headers.origin;
    if (origin && options.allowOrigins?.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-headers', 'authorization, content-type');
      res.setHeader('access-control-allow-methods', 'GET, POST');
      res.setHeader('vary', 'origin');
    }
    let path = req.url ?? '/';
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(204).end();
        return;
      }
      path = requestPath(path);
      if (path.startsWith('/api/')) {
        await api(req, res, path);
        return;
      }
      const asset = assets.get(path === '/' ? '/index.html' : path);
      if (!asset || (req.method !== 'GET' && req.method !== 'HEAD'))
        throw new HttpError(404, 'NotFound', `no file ${path}`);
      if (req.headers['if-none-match'] === asset.etag) {
        res.writeHead(304, { etag: asset.etag }).end();
        return;
      }
      const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const bytes = gzip ? asset.gzip : asset.body;
      res.writeHead(200, {
        'content-type': asset.type,
        'content-length': bytes.length,
        etag: asset.etag,
        'cache-control': 'no-cache',
        vary: 'accept-encoding',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        ...(path === '/sw.js' ? { 'service-worker-allowed': '/' } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : bytes);
    } catch (error) {
      // A body refused before it was read to the end (413, 415, 401) is not drained: the connection closes after
      // the answer, so that a client reusing it does not wait on a half-read upload.
      if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
      if (error instanceof HttpError) {
        json(res, error.status, {
          error: error.code,
          message: error.message,
          ...(error.issues ? { issues: error.issues } : {}),
        });
        return;
      }
      notice(`dashboard request ${req.method} ${path} failed: ${(error as Error).message}`);
      if (!res.headersSent) json(res, 500, { error: 'InternalError', message: (error as Error).message });
      else res.end();
    }
  };

  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, (req, res) => void handle(req, res))
    : createHttpServer((req, res) => void handle(req, res));
  server.on('clientError', refuseUnparsable);
  server.on('checkExpectation', refuseExpectation);
  const host = options.host ?? '0.0.0.0';
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(options.port ?? 8080);
  } catch (error) {
    if (options.port !== undefined || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    await listen(0);
    notice('port 8080 is taken; the dashboard listens on a free port');
  }
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls ? 'https' : 'http';
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;

  return {
    url: `${scheme}://${shown}:${port}`,
    port,
    tokens,
    view,
    alerts,
    push,
    link(who: string, at = lanAddress()) {
      const token = tokens.find((t) => t.name === who) ?? tokens.find((t) => t.role === (who as Role));
      if (!token)
        throw new HttpError(
          404,
          'NotFound',
          `no token named or with role ${who}; there are ${tokens.map((t) => t.name).join(', ')}`,
        );
      return `${scheme}://${at}:${port}/?token=${encodeURIComponent(token.token)}`;
    },
    async close() {
      unsubscribe();
      view.close();
      for (const res of streams) res.end();
      await alerts.flush();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
