import { h } from '../dom.ts';
import { ago } from '../format.ts';
import { canAct } from '../store.ts';
import type { ViewContext } from './context.ts';
import { pill } from './parts.ts';

const TONE = { info: 'ok', warning: 'warn', critical: 'bad' } as const;

/** The alerts inbox, newest first, with acknowledge and the switch for notifications on this phone. */
export function alertsScreen(ctx: ViewContext, enablePush: (() => void) | undefined): HTMLElement {
  const s = ctx.state.snapshot;
  if (!s) return h('p', {}, 'Loading…');
  const alerts = [...ctx.state.alerts.values()].sort((a, b) => b.at - a.at || Number(b.id) - Number(a.id));
  const open = alerts.filter((a) => !a.acknowledged).length;
  const operator = canAct(ctx.state, 'operator');
  return h(
    'div',
    { class: 'screen' },
    h('h2', {}, `Alerts (${open} new)`),
    enablePush && h('button', { class: 'btn', type: 'button', onclick: enablePush }, 'Notify this phone'),
    alerts.length === 0
      ? h(
          'p',
          { class: 'muted' },
          'No alerts. Device faults, devices going offline, approvals and the campaign’s end show up here.',
        )
      : h(
          'ul',
          { class: 'list', id: 'alerts' },
          alerts.map((a) =>
            h(
              'li',
              { class: `card alert${a.acknowledged ? ' seen' : ''}`, 'data-alert': a.id },
              h(
                'div',
                { class: 'row spread' },
                h('strong', {}, a.title, a.count > 1 ? ` ×${a.count}` : ''),
                pill(a.severity, TONE[a.severity]),
              ),
              h('p', { class: 'small' }, a.detail),
              h(
                'p',
                { class: 'muted small' },
                `${ago(a.at, s.now)}${a.resolved ? ' · resolved' : ''}${a.acknowledged ? ` · acknowledged by ${a.acknowledged.who}` : ''}`,
              ),
              !a.acknowledged &&
                operator &&
                h(
                  'button',
                  {
                    class: 'btn',
                    type: 'button',
                    onclick: () =>
                      ctx.api.acknowledge(a.id).catch((error: Error) => {
                        ctx.state.notice = { text: error.message, error: true };
                        ctx.rerender();
                      }),
                  },
                  'Acknowledge',
                ),
            ),
          ),
        ),
  );
}
