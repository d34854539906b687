/**
 * Planner benchmark: simple regret (or hypervolume) against evaluations for `bo`, `sobol` and `random` on
 * Branin, Hartmann-3, six-hump camel, Hartmann-6, Levy-5, Ackley-10/20, BraninCurrin and the real datasets in
 * ../shared/datasets (median and interquartile range over seeds), and the planning time of one `bo` proposal
 * at n = 50, 100, 200, 500 observations in 6-D. Prints tables, writes JSON under bench-results/ and SVG curves
 * to docs/img/.
 *
 *   npm run bench:planners                      # quick: 3 seeds, no Ackley (a few minutes)
 *   npm run bench:planners -- --full            # 20 seeds, every problem (hours: see docs/benchmarks.md)
 *   npm run bench:planners -- --seeds 10 --problems branin,hartmann6 --strategies bo
 *   npm run bench:planners -- --problems ackley20 --strategies bo --seeds 5 --first-seed 5   # seeds 5–9
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { type ParameterValues, systemClock } from '../../contracts/index.ts';
import {
  createPlanner,
  hypervolume,
  type Observation,
  type PlannerState,
  restorePlanner,
} from '../../planners/index.ts';
import { hartmann6 } from './functions.ts';
import { type Problem, problems } from './problems.ts';
import { lineChart } from './svg.ts';

const { values: args } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    seeds: { type: 'string' },
    'first-seed': { type: 'string', default: '0' },
    strategies: { type: 'string', default: 'bo,sobol,random' },
    problems: { type: 'string' },
    timing: { type: 'string' },
    out: { type: 'string', default: 'bench-results' },
    svg: { type: 'string', default: 'docs/img' },
  },
});
const full = args.full === true;
const seeds = Number(args.seeds ?? (full ? 20 : 3));
// Seeds firstSeed … firstSeed + seeds − 1: long problems can be split across processes and merged by seed.
const firstSeed = Number(args['first-seed']);
type Strategy = 'bo' | 'sobol' | 'random';
const strategies = (args.strategies ?? '').split(',') as Strategy[];
const suite = problems();
const chosen = suite.list.filter((p) =>
  args.problems ? args.problems.split(',').includes(p.name) : full || p.quick,
);
const timingSizes = (args.timing ?? '50,100,200,500').split(',').filter(Boolean).map(Number);

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

function summary(values: readonly number[]): { median: number; q25: number; q75: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), q25: quantile(sorted, 0.25), q75: quantile(sorted, 0.75) };
}

/** Runs one campaign; returns the progress (regret or hypervolume) after each evaluation and ms per proposal. */
async function run(problem: Problem, strategy: Strategy, seed: number) {
  const objectives = problem.objectives.map((name) => ({ name, goal: 'minimise' as const }));
  const planner = createPlanner({
    space: problem.space,
    objectives,
    constraints: problem.constraints,
    planner: { strategy, batch: problem.batch },
    seed,
  });
  const progress: number[] = [];
  const observed: Observation[] = [];
  let best = Number.POSITIVE_INFINITY;
  let askMs = 0;
  while (progress.length < problem.budget) {
    const count = Math.min(problem.batch, problem.budget - progress.length);
    const t0 = performance.now();
    const proposals = await planner.ask(count);
    askMs += performance.now() - t0;
    const batch = proposals.map(({ parameters }) => ({ parameters, values: problem.evaluate(parameters) }));
    planner.tell(batch);
    for (const o of batch) {
      observed.push(o);
      if (problem.metric === 'regret') {
        best = Math.min(best, o.values.f as number);
        progress.push(best - (problem.minimum as number));
      } else progress.push(hypervolume(observed, objectives, problem.reference as Record<string, number>));
    }
  }
  return { progress, msPerProposal: askMs / problem.budget };
}

const fmt = (v: number) =>
  v === 0 ? '0' : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4 ? v.toExponential(1) : v.toPrecision(3);
const started = performance.now();
const results: Record<string, unknown> = {};
if (suite.skipped.length > 0) console.log(`skipped: ${suite.skipped.join('; ')}`);
for (const problem of chosen) {
  const t0 = performance.now();
  const label = problem.metric === 'regret' ? 'simple regret' : 'hypervolume';
  console.log(
    `\n${problem.name} (d = ${problem.space.length}, ${problem.budget} evaluations in batches of ${problem.batch}): ${label}, median [q25, q75] over ${seeds} seeds`,
  );
  if (problem.target) console.log(`target: ${problem.target}`);
  const header = ['strategy', ...problem.checkpoints.map((c) => `n=${c}`)];
  if (problem.threshold !== undefined) header.push(`evals≤${problem.threshold}`);
  console.log([...header, 'ms/proposal'].join('\t'));
  const perStrategy: Record<string, unknown> = {};
  const series = [];
  for (const strategy of strategies) {
    const runs: Array<{ progress: number[]; msPerProposal: number }> = [];
    for (let seed = firstSeed; seed < firstSeed + seeds; seed++)
      runs.push(await run(problem, strategy, seed));
    const curve = Array.from({ length: problem.budget }, (_, i) =>
      summary(runs.map((r) => r.progress[i] as number)),
    );
    const atCheckpoints = problem.checkpoints.map((c) => ({ evaluations: c, ...(curve[c - 1] as object) }));
    const row = [
      strategy,
      ...problem.checkpoints.map((c) => {
        const s = curve[c - 1] as { median: number; q25: number; q75: number };
        return `${fmt(s.median)} [${fmt(s.q25)}, ${fmt(s.q75)}]`;
      }),
    ];
    let reached: number[] | undefined;
    if (problem.threshold !== undefined) {
      const threshold = problem.threshold;
      reached = runs.map((r) => {
        const i = r.progress.findIndex((v) => v <= threshold);
        return i < 0 ? Number.POSITIVE_INFINITY : i + 1;
      });
      const m = summary(reached).median;
      row.push(Number.isFinite(m) ? String(m) : `>${problem.budget}`);
    }
    const ms = summary(runs.map((r) => r.msPerProposal)).median;
    console.log([...row, ms.toFixed(0)].join('\t'));
    perStrategy[strategy] = {
      checkpoints: atCheckpoints,
      curve,
      ...(reached ? { evaluationsToThreshold: reached.map((v) => (Number.isFinite(v) ? v : null)) } : {}),
      final: runs.map((r) => r.progress.at(-1)),
      msPerProposal: ms,
    };
    series.push({
      name: strategy,
      x: curve.map((_, i) => i + 1),
      median: curve.map((s) => s.median),
      q25: curve.map((s) => s.q25),
      q75: curve.map((s) => s.q75),
    });
  }
  results[problem.name] = {
    dimension: problem.space.length,
    budget: problem.budget,
    batch: problem.batch,
    seeds,
    firstSeed,
    target: problem.target,
    strategies: perStrategy,
    seconds: (performance.now() - t0) / 1000,
  };
  if (args.svg) {
    mkdirSync(args.svg, { recursive: true });
    const hv = problem.metric === 'hypervolume';
    writeFileSync(
      `${args.svg}/planners-${problem.name.replace(':', '-')}.svg`,
      lineChart({
        title: `${problem.name}: ${label} (${seeds} seeds)`,
        xLabel: 'evaluations',
        yLabel: hv ? 'hypervolume' : 'simple regret',
        log: !hv,
        ...(hv ? { target: { value: problem.maxHypervolume as number, label: 'maximum' } } : {}),
        ...(problem.threshold !== undefined
          ? { target: { value: problem.threshold, label: `${problem.threshold}` } }
          : {}),
        series,
      }),
    );
  }
}

console.log(
  '\nbo planning time per proposal, Hartmann-6 (d = 6): fit + acquisition, median of 3, wall clock and CPU',
);
console.log(
  'cold: n observations, first fit (prior mode + 2 random restarts); warm: the next ask, after one',
);
console.log(
  'more observation, warm-started from the last fit (as in a campaign; every 10th fit restarts too)',
);
console.log('time of this process (CPU, which other processes on a shared machine do not inflate as much)');
console.log('n\tcold ms\twarm ms\tcold CPU ms\twarm CPU ms');
const timing: Array<{ n: number; coldMs: number; warmMs: number; coldCpuMs: number; warmCpuMs: number }> = [];
for (const n of timingSizes) {
  const spec = (strategy: 'bo' | 'sobol') => ({
    space: hartmann6.space,
    objectives: [{ name: 'f', goal: 'minimise' as const }],
    planner: { strategy },
    seed: 1,
  });
  const points = await createPlanner(spec('sobol')).ask(n + 2);
  const observe = (p: { parameters: ParameterValues }) => ({
    parameters: p.parameters,
    values: { f: hartmann6.evaluate(p.parameters) },
  });
  const bo = createPlanner(spec('bo'));
  bo.tell(points.slice(0, n).map(observe));
  const cold = bo.toJSON();
  await bo.ask(1);
  // n + 1 is not a multiple of 10 for the sizes timed, so the warm ask is a warm-started fit alone.
  bo.tell(points.slice(n, n + 1).map(observe));
  const warm = bo.toJSON();
  const time = async (state: PlannerState) => {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < 3; i++) {
      const fresh = restorePlanner(JSON.parse(JSON.stringify(state)));
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await fresh.ask(1);
      wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    return { wall: summary(wall).median, cpu: summary(cpu).median };
  };
  const c = await time(cold);
  const w = await time(warm);
  const row = { n, coldMs: c.wall, warmMs: w.wall, coldCpuMs: c.cpu, warmCpuMs: w.cpu };
  timing.push(row);
  console.log([n, c.wall, w.wall, c.cpu, w.cpu].map((v) => v.toFixed(0)).join('\t'));
}
results.planningTime = { dimension: 6, perProposalMs: timing, loadAverage: loadavg() };
const seconds = (performance.now() - started) / 1000;
console.log(
  `load average: ${loadavg()
    .map((v) => v.toFixed(1))
    .join(', ')} (2 cores shared); whole run ${seconds.toFixed(0)} s`,
);

mkdirSync(args.out ?? 'bench-results', { recursive: true });
const file = `${args.out}/planners-${new Date(systemClock.now()).toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify({ full, seeds, firstSeed, strategies, seconds, results }, null, 2)}\n`);
console.log(`\nwrote ${file}`);
