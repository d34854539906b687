import { describe, expect, it } from 'vitest';
import type { ExperimentView, Parameter } from '../../contracts/index.ts';
import { bestSoFar, bestSoFarChart, niceTicks, scatterChart } from './charts.ts';

const experiment = (
  index: number,
  value: number | undefined,
  red: number,
  status = 'succeeded',
): ExperimentView => ({
  experimentId: `c-e${String(index).padStart(4, '0')}`,
  index,
  batch: 0,
  parameters: { red },
  status: status as ExperimentView['status'],
  ...(value === undefined ? {} : { values: { distance: value } }),
  proposedAt: 0,
});

const minimise = { name: 'distance', goal: 'minimise' as const, target: 0.01 };
const red: Parameter = { name: 'red', type: 'continuous', low: 0, high: 100, scale: 'linear', unit: 'µL' };

describe('charts', () => {
  it('the best-so-far curve follows the goal, in proposal order, over succeeded experiments only', () => {
    const points = bestSoFar(
      [
        experiment(2, 0.3, 10),
        experiment(0, 0.5, 20),
        experiment(1, 0.7, 30),
        experiment(3, undefined, 40, 'failed'),
        experiment(4, 0.1, 50),
      ],
      minimise,
    );
    expect(points.map((p) => [p.n, p.value, p.best])).toEqual([
      [1, 0.5, 0.5],
      [2, 0.7, 0.5],
      [3, 0.3, 0.3],
      [5, 0.1, 0.1],
    ]);
    expect(
      bestSoFar([experiment(0, 1, 0), experiment(1, 3, 0)], { name: 'distance', goal: 'maximise' }).map(
        (p) => p.best,
      ),
    ).toEqual([1, 3]);
  });

  it('ticks are round numbers covering the range', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(3, 97)).toEqual([25, 50, 75]);
    expect(niceTicks(0.012, 0.31)).toEqual([0.1, 0.2, 0.3]);
    expect(niceTicks(5, 5)).toEqual([5]);
  });

  it('draws an accessible SVG with a step line, every observation and the target', () => {
    const svg = bestSoFarChart(bestSoFar([experiment(0, 0.5, 1), experiment(1, 0.2, 2)], minimise), minimise);
    expect(svg).toMatch(/^<svg class="chart"[^>]*role="img"/);
    expect(svg).toContain('<title id="best-t">Best distance so far</title>');
    expect(svg).toContain('2 observations; best 0.2 (minimise), target 0.01');
    expect(svg.match(/<circle class="obs"/g)).toHaveLength(2);
    expect(svg).toMatch(/<path class="best" d="M[\d.]+,[\d.]+H[\d.]+V[\d.]+"/);
    expect(svg).toContain('class="target"');
    expect(bestSoFarChart([], minimise)).toBe('');
  });

  it('the scatter highlights the best experiment and escapes names', () => {
    const svg = scatterChart(
      [experiment(0, 0.5, 10), experiment(1, 0.2, 90), experiment(2, undefined, 50, 'running')],
      red,
      {
        ...minimise,
        name: 'distance',
      },
    );
    expect(svg.match(/<circle class="pt/g)).toHaveLength(2);
    expect(svg).toContain('best 0.2 at red 90');
    expect(svg).toContain('red (µL)');
    const nasty = scatterChart([experiment(0, 1, 1)], { ...red, unit: '<script>' }, minimise);
    expect(nasty).not.toContain('<script>');
    expect(nasty).toContain('&#60;script&#62;');
  });
});
