import type { ActionRequest, DashboardConfig } from '../../contracts/index.ts';
import { ApiClient, RequestError, type StreamState } from './api.ts';
import { type ConfirmOptions, confirmAction } from './confirm.ts';
import { h } from './dom.ts';
import { enablePush, pushSupported } from './push.ts';
import { apply, emptyState } from './store.ts';
import { alertsScreen } from './views/alerts.ts';
import { approvalsScreen } from './views/approvals.ts';
import { campaignScreen } from './views/campaign.ts';
import type { ViewContext } from './views/context.ts';
import { deviceScreen } from './views/device.ts';
import { labScreen } from './views/lab.ts';

const TOKEN_KEY = 'labloop.token';
const STREAM_TEXT: Record<StreamState, string> = {
  connecting: 'connecting…',
  live: 'live',
  offline: 'offline — reconnecting',
  unauthorised: 'access refused',
};

/** Takes the token from `?token=` (then removes it from the address bar and history) or from storage. */
function takeToken(): string | undefined {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    localStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return localStorage.getItem(TOKEN_KEY) ?? undefined;
}

function refused(view: HTMLElement, text: string): void {
  view.replaceChildren(
    h(
      'section',
      { class: 'card', id: 'refused' },
      h('h2', {}, 'Access refused'),
      h('p', {}, text),
      h(
        'p',
        { class: 'muted' },
        'Open the link printed by `labloop run` (it ends in ?token=…), or ask whoever runs the lab for one.',
      ),
    ),
  );
}

async function boot(): Promise<void> {
  const view = document.getElementById('view') as HTMLElement;
  const conn = document.getElementById('conn') as HTMLElement;
  // Offline before the shell ever cached config.json, the app still starts, against its own origin.
  const config = (await fetch('config.json')
    .then((r) => r.json())
    .catch(() => ({ apiBase: '', title: 'labloop' }))) as DashboardConfig;
  (document.getElementById('title') as HTMLElement).textContent = config.title;
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js').catch(() => undefined);
  const token = takeToken();
  if (!token) {
    conn.textContent = 'no token';
    refused(view, 'This dashboard needs an access token.');
    return;
  }
  const api = new ApiClient(config.apiBase, token);
  const state = emptyState();
  let frame = 0;
  // A live update must not replace a button between a finger's touch and its click, nor close an open select.
  let touching = false;
  const render = (): void => {
    frame = 0;
    const active = document.activeElement;
    if (touching || (active instanceof HTMLSelectElement && view.contains(active))) return;
    if (state.stream === 'unauthorised') {
      localStorage.removeItem(TOKEN_KEY);
      refused(view, 'The server does not accept this token.');
      return;
    }
    const route = location.hash.replace(/^#\/?/, '');
    const [screen, arg] = route.split('/');
    const push = pushSupported() && state.snapshot?.push.publicKey ? () => void subscribe() : undefined;
    const body =
      screen === 'campaign'
        ? campaignScreen(ctx)
        : screen === 'approvals'
          ? approvalsScreen(ctx)
          : screen === 'alerts'
            ? alertsScreen(ctx, push)
            : screen === 'devices' && arg
              ? deviceScreen(ctx, decodeURIComponent(arg))
              : labScreen(ctx);
    const notice =
      state.notice &&
      h('p', { class: `notice${state.notice.error ? ' error' : ''}`, role: 'alert' }, state.notice.text);
    view.replaceChildren(...[notice, body].filter((n): n is HTMLElement => Boolean(n)));
    for (const tab of document.querySelectorAll<HTMLAnchorElement>('.tabs a')) {
      const current =
        (tab.dataset.tab === 'lab' && (screen === '' || screen === 'devices')) || tab.dataset.tab === screen;
      if (current) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
    const pending = state.snapshot?.campaign.pendingApprovals.length ?? 0;
    const unseen = [...state.alerts.values()].filter((a) => !a.acknowledged).length;
    badge('approvals-badge', pending);
    badge('alerts-badge', unseen);
    conn.textContent = STREAM_TEXT[state.stream];
    conn.dataset.state = state.stream;
  };
  const schedule = (): void => {
    if (!frame) frame = requestAnimationFrame(render);
  };
  const subscribe = async (): Promise<void> => {
    try {
      await enablePush(api, state.snapshot?.push.publicKey as string);
      state.notice = { text: 'This phone will be notified of new alerts.', error: false };
    } catch (error) {
      state.notice = { text: `Notifications could not be enabled: ${(error as Error).message}`, error: true };
    }
    schedule();
  };
  const ctx: ViewContext = {
    state,
    api,
    rerender: schedule,
    async act(request: ActionRequest, confirm: ConfirmOptions) {
      const answer = await confirmAction(confirm);
      if (!answer) return;
      try {
        await api.act({ ...request, ...(answer.why ? { why: answer.why } : {}) });
        state.notice = { text: `${confirm.confirmLabel}: done.`, error: false };
      } catch (error) {
        state.notice = {
          text:
            error instanceof RequestError
              ? `${confirm.confirmLabel} refused: ${error.message}`
              : `${confirm.confirmLabel} failed: ${(error as Error).message}`,
          error: true,
        };
      }
      schedule();
    },
  };
  window.addEventListener('hashchange', () => {
    state.notice = undefined;
    render();
    view.focus({ preventScroll: true });
  });
  document.addEventListener('focusout', schedule);
  document.addEventListener('pointerdown', () => {
    touching = true;
  });
  for (const type of ['click', 'pointerup', 'pointercancel'])
    document.addEventListener(type, () => {
      touching = false;
      schedule();
    });
  api.live(
    (message) => {
      apply(state, message);
      schedule();
    },
    (stream) => {
      state.stream = stream;
      schedule();
    },
  );
  render();
}

function badge(id: string, count: number): void {
  const el = document.getElementById(id) as HTMLElement;
  el.hidden = count === 0;
  el.textContent = String(count);
  el.setAttribute('aria-label', `${count} waiting`);
}

void boot();
