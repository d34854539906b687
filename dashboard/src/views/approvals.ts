import { h } from '../dom.ts';
import { ago, params, shortId } from '../format.ts';
import { canAct } from '../store.ts';
import type { ViewContext } from './context.ts';

/** Proposals waiting at the policy gate, each with approve and reject (approvers only). */
export function approvalsScreen(ctx: ViewContext): HTMLElement {
  const s = ctx.state.snapshot;
  if (!s) return h('p', {}, 'Loading…');
  const pending = s.campaign.pendingApprovals;
  const approver = canAct(ctx.state, 'approver');
  return h(
    'div',
    { class: 'screen' },
    h('h2', {}, `Awaiting approval (${pending.length})`),
    h(
      'p',
      { class: 'muted' },
      `Policy: ${s.campaign.approval.require}; an undecided proposal is rejected after ${Math.round(s.campaign.approval.timeout / 60)} min.`,
    ),
    !approver &&
      h('p', { class: 'card' }, `Your role (${s.you.role}) can see proposals but not decide on them.`),
    pending.length === 0
      ? h('p', { class: 'muted' }, 'Nothing is waiting for a decision.')
      : h(
          'ul',
          { class: 'list', id: 'approvals' },
          pending.map((p) => {
            const e = ctx.state.experiments.get(p.experimentId);
            const id = shortId(p.experimentId);
            return h(
              'li',
              { class: 'card', 'data-approval': p.experimentId },
              h(
                'div',
                { class: 'row spread' },
                h('strong', {}, `Experiment ${id}`),
                h('span', { class: 'muted small' }, `asked ${ago(p.requestedAt, s.now)}`),
              ),
              e && h('p', {}, params(e.parameters)),
              h('p', { class: 'small' }, p.reason),
              h(
                'p',
                { class: 'muted small' },
                `expires in ${Math.max(0, Math.round((p.expiresAt - s.now) / 60_000))} min`,
              ),
              approver &&
                h(
                  'div',
                  { class: 'row' },
                  h(
                    'button',
                    {
                      class: 'btn',
                      type: 'button',
                      onclick: () =>
                        ctx.act(
                          { action: 'reject', experimentId: p.experimentId },
                          {
                            title: `Reject ${id}?`,
                            body: 'It will not run; the planner learns it was rejected.',
                            confirmLabel: 'Reject',
                            danger: true,
                          },
                        ),
                    },
                    'Reject',
                  ),
                  h(
                    'button',
                    {
                      class: 'btn primary',
                      type: 'button',
                      onclick: () =>
                        ctx.act(
                          { action: 'approve', experimentId: p.experimentId },
                          {
                            title: `Approve ${id}?`,
                            body: `It runs on the lab's devices: ${e ? params(e.parameters) : p.experimentId}.`,
                            confirmLabel: 'Approve',
                          },
                        ),
                    },
                    'Approve',
                  ),
                ),
            );
          }),
        ),
  );
}
