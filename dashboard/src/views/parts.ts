import type { CampaignView, DeviceView } from '../../../contracts/index.ts';
import { h } from '../dom.ts';
import { num } from '../format.ts';
import { canAct } from '../store.ts';
import type { ViewContext } from './context.ts';

const STATE_TONE: Record<string, string> = {
  running: 'busy',
  planning: 'busy',
  gating: 'warn',
  recording: 'busy',
  deciding: 'busy',
  paused: 'warn',
  completed: 'ok',
  aborted: 'bad',
  failed: 'bad',
};

const DEVICE_TONE: Record<DeviceView['status'], string> = {
  idle: 'ok',
  busy: 'busy',
  faulted: 'warn',
  halted: 'bad',
  offline: 'bad',
};

/** A coloured pill with a word in it (the colour is never the only signal). */
export function pill(text: string, tone: string): HTMLElement {
  return h('span', { class: `pill ${tone}` }, text);
}

/** The campaign's state as a pill. */
export function campaignPill(campaign: CampaignView): HTMLElement {
  const waiting = campaign.state === 'gating' && campaign.pendingApprovals.length > 0;
  const text = campaign.pauseRequested ? 'pause requested' : waiting ? 'awaiting approval' : campaign.state;
  return pill(text, campaign.pauseRequested || waiting ? 'warn' : (STATE_TONE[campaign.state] ?? 'busy'));
}

/** A device's status as a pill. */
export function devicePill(device: DeviceView): HTMLElement {
  return pill(device.status, DEVICE_TONE[device.status]);
}

/** A labelled progress bar. */
export function bar(value: number, max: number, label: string): HTMLElement {
  return h('progress', { value: Math.min(value, max), max: Math.max(max, 1), 'aria-label': label });
}

/** Budget, counts and best value of the campaign. */
export function progressBlock(campaign: CampaignView, best: number | undefined): HTMLElement {
  const done = campaign.succeeded + campaign.failed + campaign.rejected;
  return h(
    'div',
    { class: 'progress' },
    h(
      'div',
      { class: 'row spread' },
      h('strong', {}, `${done} / ${campaign.budget} experiments`),
      campaignPill(campaign),
    ),
    bar(done, campaign.budget, 'experiments done of the budget'),
    h(
      'dl',
      { class: 'stats' },
      h('div', {}, h('dt', {}, 'succeeded'), h('dd', {}, campaign.succeeded)),
      h('div', {}, h('dt', {}, 'failed'), h('dd', {}, campaign.failed)),
      h('div', {}, h('dt', {}, 'rejected'), h('dd', {}, campaign.rejected)),
      h('div', {}, h('dt', {}, `best ${campaign.objective.name}`), h('dd', {}, num(best))),
    ),
  );
}

/** Pause, pause now, resume, stop, abort and emergency stop, each confirmed; only what the role and the state allow. */
export function controls(ctx: ViewContext): HTMLElement | undefined {
  const campaign = ctx.state.snapshot?.campaign;
  if (!campaign || !canAct(ctx.state, 'operator')) return undefined;
  if (campaign.ended)
    return h('p', { class: 'muted' }, `The campaign has ended (${campaign.reason ?? campaign.state}).`);
  const name = campaign.name;
  const button = (label: string, cls: string, go: () => void) =>
    h('button', { class: `btn ${cls}`, type: 'button', onclick: go }, label);
  const paused = campaign.state === 'paused';
  return h(
    'section',
    { class: 'controls', 'aria-label': 'Campaign controls' },
    h(
      'div',
      { class: 'row wrap' },
      !paused &&
        !campaign.pauseRequested &&
        button('Pause', '', () =>
          ctx.act(
            { action: 'pause' },
            {
              title: `Pause ${name}?`,
              body: 'The campaign pauses at the next safe point: running experiments finish first, nothing new starts.',
              confirmLabel: 'Pause',
            },
          ),
        ),
      !paused &&
        button('Pause now', '', () =>
          ctx.act(
            { action: 'pause-now' },
            {
              title: `Pause ${name} now?`,
              body: 'Running commands are interrupted at their devices. On resume, steps that can start again do; experiments interrupted in a step that cannot resume (a mix, a print) fail.',
              confirmLabel: 'Pause now',
            },
          ),
        ),
      paused &&
        button('Resume', 'primary', () =>
          ctx.act(
            { action: 'resume' },
            {
              title: `Resume ${name}?`,
              body: 'The planner proposes the next batch.',
              confirmLabel: 'Resume',
            },
          ),
        ),
      button('Stop', '', () =>
        ctx.act(
          { action: 'stop' },
          {
            title: `Stop ${name}?`,
            body: 'Stops cleanly after the running batch; the campaign ends as finished.',
            confirmLabel: 'Stop',
          },
        ),
      ),
      button('Abort', 'warn', () =>
        ctx.act(
          { action: 'abort' },
          {
            title: `Abort ${name}?`,
            body: 'Cancels running experiments now, interrupts their commands at the devices and marks the campaign aborted.',
            confirmLabel: 'Abort',
            danger: true,
          },
        ),
      ),
    ),
    button('Emergency stop', 'danger estop', () =>
      ctx.act(
        { action: 'emergency-stop' },
        {
          title: 'Emergency stop every device?',
          body: 'Every device of the lab halts now and goes to its safe state; running commands are aborted without cleanup and the campaign is aborted. Devices stay halted until a person resets them.',
          confirmLabel: 'Emergency stop',
          danger: true,
        },
      ),
    ),
  );
}
