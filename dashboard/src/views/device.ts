import type { CommandView } from '../../../contracts/index.ts';
import { h } from '../dom.ts';
import { ago, clock, num, params, shortId } from '../format.ts';
import type { ViewContext } from './context.ts';
import { bar, devicePill, pill } from './parts.ts';

const TONE: Record<CommandView['status'], string> = {
  sent: 'busy',
  running: 'busy',
  succeeded: 'ok',
  failed: 'bad',
  refused: 'bad',
};

function outcome(c: CommandView): string {
  if (c.error) return `${c.error.code}: ${c.error.message}`;
  if (c.output)
    return params(
      Object.fromEntries(
        Object.entries(c.output)
          .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
          .slice(0, 4),
      ),
    );
  return params(c.parameters);
}

/** One device: status, current command, readings, last fault, and its command history. */
export function deviceScreen(ctx: ViewContext, deviceId: string): HTMLElement {
  const s = ctx.state.snapshot;
  const device = ctx.state.devices.get(deviceId);
  if (!s || !device)
    return h(
      'div',
      { class: 'screen' },
      h('h2', {}, deviceId),
      h('p', {}, 'No such device in this lab.'),
      h('a', { href: '#/', class: 'btn' }, 'Back to the lab'),
    );
  const history = [...(ctx.state.commands.get(deviceId) ?? [])].reverse();
  const values = Object.entries(device.telemetry?.values ?? {});
  return h(
    'div',
    { class: 'screen' },
    h('a', { href: '#/', class: 'back' }, '‹ Lab'),
    h('div', { class: 'row spread' }, h('h2', {}, device.deviceId), devicePill(device)),
    h(
      'p',
      { class: 'muted' },
      [device.model, device.kind, device.firmware && `firmware ${device.firmware}`]
        .filter(Boolean)
        .join(' · '),
      ` · seen ${ago(device.lastSeen, s.now)}`,
    ),
    device.current &&
      h(
        'section',
        { class: 'card', 'aria-label': 'Current command' },
        h('h3', {}, `Running ${device.current.command}`),
        h(
          'p',
          { class: 'small' },
          `${device.current.experimentId ? `experiment ${shortId(device.current.experimentId)} · ` : ''}since ${clock(device.current.since)}`,
        ),
        bar(device.current.fraction, 1, `progress of ${device.current.command}`),
      ),
    device.status === 'halted' &&
      h(
        'p',
        { class: 'card bad-text' },
        `Emergency-stopped. Safe state: ${device.safeState ?? 'reported by the device'}. A person must check and reset it.`,
      ),
    device.lastFault &&
      h(
        'section',
        { class: 'card', 'aria-label': 'Last fault' },
        h('h3', {}, `Last fault: ${device.lastFault.code}`),
        h('p', { class: 'small' }, device.lastFault.message),
        h(
          'p',
          { class: 'muted small' },
          `${clock(device.lastFault.at)} · ${device.lastFault.retryable ? 'retryable' : 'not retryable'}`,
        ),
      ),
    h(
      'section',
      { class: 'card', 'aria-label': 'Telemetry' },
      h('h3', {}, 'Telemetry'),
      values.length === 0
        ? h('p', { class: 'muted' }, 'No telemetry yet.')
        : h(
            'dl',
            { class: 'stats' },
            values.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, num(v)))),
          ),
    ),
    h(
      'section',
      { 'aria-label': 'Command history' },
      h('h3', {}, `Command history (${history.length})`),
      history.length === 0
        ? h('p', { class: 'muted' }, 'No commands yet.')
        : h(
            'ol',
            { class: 'list', id: 'history' },
            history.map((c) =>
              h(
                'li',
                { class: 'card' },
                h(
                  'div',
                  { class: 'row spread' },
                  h('strong', {}, `${c.command}${c.experimentId ? ` · ${shortId(c.experimentId)}` : ''}`),
                  pill(c.status, TONE[c.status]),
                ),
                h('div', { class: 'small' }, outcome(c)),
                h(
                  'div',
                  { class: 'muted small' },
                  `${clock(c.sentAt)}${c.finishedAt ? ` → ${clock(c.finishedAt)}` : ''}`,
                ),
              ),
            ),
          ),
    ),
  );
}
