import type { DeviceView } from '../../../contracts/index.ts';
import { bestSoFar } from '../charts.ts';
import { h } from '../dom.ts';
import { ago, clock, num, shortId } from '../format.ts';
import type { ViewContext } from './context.ts';
import { bar, controls, devicePill, progressBlock } from './parts.ts';

function telemetryLine(device: DeviceView): string {
  const values = Object.entries(device.telemetry?.values ?? {}).filter(
    ([k]) => k !== 'halted' && k !== 'busy',
  );
  return values
    .slice(0, 3)
    .map(([k, v]) => `${k} ${num(v)}`)
    .join(' · ');
}

/** One device as a card that opens its detail. */
export function deviceCard(device: DeviceView, now: number): HTMLElement {
  const current = device.current;
  return h(
    'li',
    {},
    h(
      'a',
      {
        class: 'card device',
        href: `#/devices/${encodeURIComponent(device.deviceId)}`,
        'data-device': device.deviceId,
      },
      h('div', { class: 'row spread' }, h('strong', {}, device.deviceId), devicePill(device)),
      h(
        'div',
        { class: 'muted small' },
        [device.model, device.kind].filter(Boolean).join(' · ') || 'unknown device',
      ),
      current &&
        h(
          'div',
          { class: 'current' },
          h(
            'div',
            { class: 'small' },
            `${current.command}${current.experimentId ? ` · ${shortId(current.experimentId)}` : ''} · ${Math.round(current.fraction * 100)} %`,
          ),
          bar(current.fraction, 1, `${device.deviceId} progress of ${current.command}`),
        ),
      device.status === 'halted' &&
        h('div', { class: 'small bad-text' }, `halted: ${device.safeState ?? 'safe state'}`),
      device.lastFault &&
        device.status !== 'halted' &&
        h('div', { class: 'small warn-text' }, `last fault ${device.lastFault.code}`),
      h(
        'div',
        { class: 'muted small' },
        telemetryLine(device) || 'no telemetry yet',
        ` · seen ${ago(device.lastSeen, now)}`,
      ),
    ),
  );
}

/** The lab at a glance: the campaign, every device, and what happened last. */
export function labScreen(ctx: ViewContext): HTMLElement {
  const s = ctx.state.snapshot;
  if (!s) return h('p', {}, 'Loading…');
  const devices = [...ctx.state.devices.values()].sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  const counts = devices.reduce<Record<string, number>>((acc, d) => {
    acc[d.status] = (acc[d.status] ?? 0) + 1;
    return acc;
  }, {});
  const best = bestSoFar([...ctx.state.experiments.values()], s.campaign.objective).at(-1)?.best;
  return h(
    'div',
    { class: 'screen' },
    h('h2', {}, `Lab ${s.lab}`),
    h(
      'section',
      { class: 'card', 'aria-label': 'Campaign' },
      h('h3', {}, h('a', { href: '#/campaign' }, s.campaign.name)),
      progressBlock(s.campaign, best),
    ),
    controls(ctx),
    h(
      'section',
      { 'aria-label': 'Devices' },
      h(
        'h3',
        {},
        `Devices (${devices.length})`,
        h(
          'span',
          { class: 'muted small' },
          ` ${Object.entries(counts)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')}`,
        ),
      ),
      h(
        'ul',
        { class: 'list', id: 'devices' },
        devices.map((d) => deviceCard(d, s.now)),
      ),
    ),
    h(
      'section',
      { 'aria-label': 'Recent activity' },
      h('h3', {}, 'Recent activity'),
      h(
        'ol',
        { class: 'activity' },
        s.activity
          .slice(-8)
          .reverse()
          .map((a) =>
            h('li', {}, h('span', { class: 'muted small' }, `${clock(a.at)} ${a.who}`), h('div', {}, a.text)),
          ),
      ),
    ),
  );
}
