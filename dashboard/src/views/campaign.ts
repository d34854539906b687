import type { ExperimentView } from '../../../contracts/index.ts';
import { bestSoFar, bestSoFarChart, scatterChart } from '../charts.ts';
import { h, svgNode } from '../dom.ts';
import { num, params, shortId } from '../format.ts';
import type { ViewContext } from './context.ts';
import { controls, pill, progressBlock } from './parts.ts';

const TONE: Record<ExperimentView['status'], string> = {
  proposed: 'busy',
  'awaiting-approval': 'warn',
  running: 'busy',
  succeeded: 'ok',
  failed: 'bad',
  rejected: 'bad',
};

/** An experiment's status as a pill. */
export function experimentPill(e: ExperimentView): HTMLElement {
  return pill(e.status === 'awaiting-approval' ? 'awaiting approval' : e.status, TONE[e.status]);
}

/** The campaign: progress, best-so-far curve, objective against a parameter, what comes next, every experiment. */
export function campaignScreen(ctx: ViewContext): HTMLElement {
  const s = ctx.state.snapshot;
  if (!s) return h('p', {}, 'Loading…');
  const c = s.campaign;
  const experiments = [...ctx.state.experiments.values()].sort((a, b) => a.index - b.index);
  const points = bestSoFar(experiments, c.objective);
  const parameter = c.space.find((p) => p.name === ctx.state.scatterParameter) ?? c.space[0];
  const next = experiments.filter(
    (e) => e.status === 'proposed' || e.status === 'awaiting-approval' || e.status === 'running',
  );
  const best = bestSoFarChart(points, c.objective);
  const scatter = parameter ? scatterChart(experiments, parameter, c.objective) : '';
  const objective = c.objective.name;
  return h(
    'div',
    { class: 'screen' },
    h('h2', {}, c.name),
    c.description && h('p', { class: 'muted' }, c.description),
    h('section', { class: 'card', 'aria-label': 'Progress' }, progressBlock(c, points.at(-1)?.best)),
    controls(ctx),
    h(
      'section',
      { class: 'card', 'aria-label': 'Best so far' },
      h('h3', {}, `Best ${objective} so far (${c.objective.goal})`),
      best ? svgNode(best) : h('p', { class: 'muted' }, 'No results yet.'),
    ),
    h(
      'section',
      { class: 'card', 'aria-label': 'Objective against parameters' },
      h(
        'div',
        { class: 'row spread' },
        h('h3', {}, `${objective} against`),
        h(
          'select',
          {
            id: 'scatter-parameter',
            'aria-label': 'parameter on the horizontal axis',
            onchange: (event) => {
              ctx.state.scatterParameter = (event.target as HTMLSelectElement).value;
              ctx.rerender();
            },
          },
          c.space.map((p) => h('option', { value: p.name, selected: p.name === parameter?.name }, p.name)),
        ),
      ),
      scatter ? svgNode(scatter) : h('p', { class: 'muted' }, 'No results yet.'),
    ),
    h(
      'section',
      { class: 'card', 'aria-label': 'Next up' },
      h('h3', {}, `Next up (${next.length})`),
      next.length === 0
        ? h('p', { class: 'muted' }, 'Nothing proposed right now.')
        : h(
            'ul',
            { class: 'plain' },
            next.map((e) =>
              h(
                'li',
                {},
                h(
                  'div',
                  { class: 'row spread' },
                  h('strong', {}, shortId(e.experimentId)),
                  experimentPill(e),
                ),
                h('div', { class: 'small' }, params(e.parameters)),
              ),
            ),
          ),
      next.some((e) => e.status === 'awaiting-approval') &&
        h('a', { class: 'btn primary', href: '#/approvals' }, 'Review approvals'),
    ),
    h(
      'section',
      { 'aria-label': 'Experiments' },
      h('h3', {}, `Experiments (${experiments.length})`),
      h(
        'div',
        {
          class: 'table-wrap',
          tabindex: 0,
          role: 'region',
          'aria-label': 'Experiment table, scrolls sideways',
        },
        h(
          'table',
          { id: 'experiments' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, '#'),
              h('th', { scope: 'col' }, 'status'),
              ...c.space.map((p) => h('th', { scope: 'col' }, p.name)),
              h('th', { scope: 'col' }, objective),
            ),
          ),
          h(
            'tbody',
            {},
            [...experiments].reverse().map((e) =>
              h(
                'tr',
                { 'data-experiment': e.experimentId },
                h('td', {}, e.index + 1),
                h('td', { title: e.reason ?? e.error?.message ?? '' }, experimentPill(e)),
                ...c.space.map((p) => {
                  const v = e.parameters[p.name];
                  return h('td', { class: 'num' }, typeof v === 'number' ? num(v) : String(v ?? ''));
                }),
                h('td', { class: 'num' }, num(e.values?.[objective])),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
