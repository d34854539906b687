/** Dependency-free SVG line charts of benchmark curves: median lines over interquartile bands. */

/** One strategy's curve: the median and interquartile range at each x. */
export interface Series {
  name: string;
  x: readonly number[];
  median: readonly number[];
  q25: readonly number[];
  q75: readonly number[];
}

/** What {@link lineChart} draws. */
export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Log-scale y axis (regret); values below `floor` are drawn at it. */
  log: boolean;
  /** Smallest value drawn on a log axis. @default 1e-6 */
  floor?: number;
  /** A horizontal reference line (a target), with its label. */
  target?: { value: number; label: string };
  series: readonly Series[];
}

const COLOURS = ['#1b6ac9', '#d9480f', '#2f9e44', '#7048e8', '#868e96'];
const W = 560;
const H = 340;
const M = { left: 64, right: 120, top: 36, bottom: 48 };

function niceTicks(lo: number, hi: number, count: number): number[] {
  const step = 10 ** Math.floor(Math.log10((hi - lo) / count));
  const unit = [1, 2, 5, 10].map((k) => k * step).find((s) => (hi - lo) / s <= count) ?? step * 10;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / unit) * unit; t <= hi + 1e-9 * unit; t += unit)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Renders `chart` as a standalone SVG document. */
export function lineChart(chart: Chart): string {
  const floor = chart.floor ?? 1e-6;
  const all = chart.series.flatMap((s) => [...s.q25, ...s.q75, ...s.median]);
  if (chart.target) all.push(chart.target.value);
  const tf = (v: number) => (chart.log ? Math.log10(Math.max(floor, v)) : v);
  const finite = all.map(tf).filter(Number.isFinite);
  let yLo = Math.min(...finite);
  let yHi = Math.max(...finite);
  if (chart.log) {
    yLo = Math.floor(yLo);
    yHi = Math.ceil(yHi);
  }
  if (yHi <= yLo) yHi = yLo + 1;
  const xs = chart.series.flatMap((s) => s.x);
  const xLo = Math.min(...xs);
  const xHi = Math.max(...xs);
  const px = (x: number) => M.left + ((x - xLo) / Math.max(1e-12, xHi - xLo)) * (W - M.left - M.right);
  const py = (v: number) => H - M.bottom - ((tf(v) - yLo) / (yHi - yLo)) * (H - M.top - M.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="20" font-size="14" font-weight="bold">${esc(chart.title)}</text>`,
  ];
  const yTicks = chart.log
    ? Array.from({ length: yHi - yLo + 1 }, (_, i) => 10 ** (yLo + i))
    : niceTicks(yLo, yHi, 6);
  for (const t of yTicks) {
    const y = py(t);
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e9ecef"/>`,
      `<text x="${M.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${chart.log ? `1e${Math.round(Math.log10(t))}` : t}</text>`,
    );
  }
  for (const t of niceTicks(xLo, xHi, 8)) {
    const x = px(t);
    out.push(
      `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${H - M.bottom}" y2="${H - M.bottom + 4}" stroke="#495057"/>`,
      `<text x="${x.toFixed(1)}" y="${H - M.bottom + 18}" text-anchor="middle">${t}</text>`,
    );
  }
  out.push(
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#495057"/>`,
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#495057"/>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" text-anchor="middle">${esc(chart.xLabel)}</text>`,
    `<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`,
  );
  if (chart.target) {
    const y = py(chart.target.value).toFixed(1);
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#495057" stroke-dasharray="4 3"/>`,
      `<text x="${W - M.right - 4}" y="${Number(y) - 4}" text-anchor="end" fill="#495057">${esc(chart.target.label)}</text>`,
    );
  }
  chart.series.forEach((s, k) => {
    const colour = COLOURS[k % COLOURS.length] as string;
    const upper = s.x.map((x, i) => `${px(x).toFixed(1)},${py(s.q75[i] as number).toFixed(1)}`);
    const lower = s.x.map((x, i) => `${px(x).toFixed(1)},${py(s.q25[i] as number).toFixed(1)}`).reverse();
    out.push(
      `<polygon points="${[...upper, ...lower].join(' ')}" fill="${colour}" fill-opacity="0.15" stroke="none"/>`,
      `<polyline points="${s.x.map((x, i) => `${px(x).toFixed(1)},${py(s.median[i] as number).toFixed(1)}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="2"/>`,
      `<line x1="${W - M.right + 12}" x2="${W - M.right + 32}" y1="${M.top + 10 + 18 * k}" y2="${M.top + 10 + 18 * k}" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${W - M.right + 38}" y="${M.top + 14 + 18 * k}">${esc(s.name)}</text>`,
    );
  });
  out.push(
    `<text x="${W - M.right + 12}" y="${M.top + 14 + 18 * chart.series.length + 8}" fill="#868e96">shade: IQR</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
