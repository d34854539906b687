import type { CampaignView, ExperimentView, Parameter } from '../../contracts/index.ts';
import { num } from './format.ts';

/** One observed experiment on the best-so-far curve. */
export interface BestPoint {
  /** 1-based experiment number. */
  n: number;
  value: number;
  best: number;
  experimentId: string;
}

/** The running best of the objective over succeeded experiments, in the order they were proposed. */
export function bestSoFar(
  experiments: readonly ExperimentView[],
  objective: CampaignView['objective'],
): BestPoint[] {
  const better = (a: number, b: number) => (objective.goal === 'maximise' ? a > b : a < b);
  let best: number | undefined;
  return experiments
    .filter((e) => e.status === 'succeeded' && typeof e.values?.[objective.name] === 'number')
    .sort((a, b) => a.index - b.index)
    .map((e) => {
      const value = e.values?.[objective.name] as number;
      if (best === undefined || better(value, best)) best = value;
      return { n: e.index + 1, value, best, experimentId: e.experimentId };
    });
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 4): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const step10 = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * step10 >= raw) ?? 10) * step10;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const W = 360;
const H = 220;
const M = { left: 52, right: 12, top: 14, bottom: 40 };

interface Frame {
  x: (v: number) => number;
  y: (v: number) => number;
  axes: string;
}

function frame(xs: [number, number], ys: [number, number], xLabel: string, yLabel: string): Frame {
  const pad = (lo: number, hi: number) =>
    hi > lo ? [lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05] : [lo - 1, hi + 1];
  const [x0, x1] = pad(...xs) as [number, number];
  const [y0, y1] = pad(...ys) as [number, number];
  const x = (v: number) => M.left + ((v - x0) / (x1 - x0)) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - ((v - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const xt = niceTicks(x0, x1)
    .map(
      (t) =>
        `<line class="grid" x1="${x(t)}" x2="${x(t)}" y1="${M.top}" y2="${H - M.bottom}"/><text class="tick" x="${x(t)}" y="${H - M.bottom + 14}" text-anchor="middle">${esc(num(t))}</text>`,
    )
    .join('');
  const yt = niceTicks(y0, y1)
    .map(
      (t) =>
        `<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${y(t)}" y2="${y(t)}"/><text class="tick" x="${M.left - 6}" y="${y(t) + 4}" text-anchor="end">${esc(num(t))}</text>`,
    )
    .join('');
  const labels = `<text class="label" x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text><text class="label" transform="translate(12 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`;
  return { x, y, axes: xt + yt + labels };
}

function svg(id: string, title: string, description: string, body: string): string {
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-t ${id}-d" xmlns="http://www.w3.org/2000/svg"><title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(description)}</desc>${body}</svg>`;
}

/** The best-so-far curve (a step line) over every observation (dots), with the target as a dashed line. */
export function bestSoFarChart(points: readonly BestPoint[], objective: CampaignView['objective']): string {
  if (points.length === 0) return '';
  const values = points.map((p) => p.value);
  const target = objective.target;
  const ys: [number, number] = [
    Math.min(...values, target ?? Infinity),
    Math.max(...values, target ?? -Infinity),
  ];
  const f = frame([1, Math.max(2, (points.at(-1) as BestPoint).n)], ys, 'experiment', objective.name);
  const step = points
    .map((p, i) => (i === 0 ? `M${f.x(p.n)},${f.y(p.best)}` : `H${f.x(p.n)}V${f.y(p.best)}`))
    .join('');
  const dots = points
    .map((p) => `<circle class="obs" cx="${f.x(p.n)}" cy="${f.y(p.value)}" r="3"/>`)
    .join('');
  const line =
    target === undefined
      ? ''
      : `<line class="target" x1="${M.left}" x2="${W - M.right}" y1="${f.y(target)}" y2="${f.y(target)}"/>`;
  const last = points.at(-1) as BestPoint;
  return svg(
    'best',
    `Best ${objective.name} so far`,
    `${points.length} observations; best ${num(last.best)} (${objective.goal})${target === undefined ? '' : `, target ${num(target)}`}`,
    `${f.axes}${line}${dots}<path class="best" d="${step}"/>`,
  );
}

/** The objective against one parameter, one dot per succeeded experiment; the best one is highlighted. */
export function scatterChart(
  experiments: readonly ExperimentView[],
  parameter: Parameter,
  objective: CampaignView['objective'],
): string {
  const points = experiments.flatMap((e) => {
    const y = e.values?.[objective.name];
    const raw = e.parameters[parameter.name];
    const x = parameter.type === 'categorical' ? parameter.choices.indexOf(String(raw)) : Number(raw);
    return e.status === 'succeeded' && typeof y === 'number' && Number.isFinite(x) && x >= 0
      ? [{ x, y, id: e.experimentId }]
      : [];
  });
  if (points.length === 0) return '';
  const xs: [number, number] =
    parameter.type === 'categorical' ? [0, parameter.choices.length - 1] : [parameter.low, parameter.high];
  const ys: [number, number] = [Math.min(...points.map((p) => p.y)), Math.max(...points.map((p) => p.y))];
  const unit = 'unit' in parameter && parameter.unit ? ` (${parameter.unit})` : '';
  const f = frame(xs, ys, `${parameter.name}${unit}`, objective.name);
  const best = points.reduce((a, b) => ((objective.goal === 'maximise' ? b.y > a.y : b.y < a.y) ? b : a));
  const dots = points
    .map(
      (p) =>
        `<circle class="${p === best ? 'pt top' : 'pt'}" cx="${f.x(p.x)}" cy="${f.y(p.y)}" r="${p === best ? 6 : 4}"/>`,
    )
    .join('');
  return svg(
    `scatter-${parameter.name}`,
    `${objective.name} against ${parameter.name}`,
    `${points.length} experiments; best ${num(best.y)} at ${parameter.name} ${parameter.type === 'categorical' ? parameter.choices[best.x] : num(best.x)}`,
    `${f.axes}${dots}`,
  );
}
