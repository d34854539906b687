/**
 * Planner benchmark: simple regret vs evaluations of `bo`, `sobol` and `random` on Branin and Hartmann-6
 * (median and interquartile range over seeds), and the planning time of one `bo` proposal at n = 50, 100, 200
 * observations in 6-D. Prints tables and writes JSON under bench-results/.
 *
 *   npm run bench:planners -- --quick            # 5 seeds
 *   npm run bench:planners -- --seeds 20         # more seeds (15 by default)
 *   npm run bench:planners -- --strategies bo,sobol --functions branin
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { type ParameterValues, systemClock } from '../../contracts/index.ts';
import { createPlanner, type PlannerState, restorePlanner } from '../../planners/index.ts';
import { branin, hartmann6, type TestFunction } from './functions.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seeds: { type: 'string' },
    strategies: { type: 'string', default: 'bo,bo-ucb,sobol,random' },
    functions: { type: 'string', default: 'branin,hartmann6' },
    out: { type: 'string', default: 'bench-results' },
  },
});
const seeds = Number(args.seeds ?? (args.quick ? 5 : 15));
type Strategy = 'bo' | 'bo-ucb' | 'sobol' | 'random';
const strategies = (args.strategies ?? '').split(',') as Strategy[];
const BUDGETS: Record<string, { budget: number; checkpoints: number[]; threshold: number }> = {
  branin: { budget: 40, checkpoints: [10, 20, 25, 30, 40], threshold: 1e-3 },
  hartmann6: { budget: 100, checkpoints: [25, 50, 75, 100], threshold: 0.02 },
};
const functions = [branin, hartmann6].filter((f) => (args.functions ?? '').split(',').includes(f.name));
// `--functions none` runs only the timing.

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

/** Runs one campaign; returns the best-so-far regret after each evaluation and the mean ask time. */
async function run(fn: TestFunction, strategy: Strategy, seed: number, budget: number) {
  const planner = createPlanner({
    space: fn.space,
    objectives: [{ name: 'f', goal: 'minimise' }],
    // `bo-ucb` is `bo` with the UCB acquisition (β = 4) instead of the default LogEI.
    planner: strategy === 'bo-ucb' ? { strategy: 'bo', acquisition: 'ucb', beta: 4 } : { strategy },
    seed,
  });
  const regret: number[] = [];
  let best = Number.POSITIVE_INFINITY;
  let askMs = 0;
  while (regret.length < budget) {
    const t0 = performance.now();
    const [proposal] = await planner.ask(1);
    askMs += performance.now() - t0;
    if (!proposal) throw new Error('planner returned no proposal');
    const value = fn.evaluate(proposal.parameters);
    planner.tell([{ parameters: proposal.parameters, values: { f: value } }]);
    best = Math.min(best, value);
    regret.push(best - fn.minimum);
  }
  return { regret, askMs: askMs / budget };
}

const fmt = (v: number) => (v === 0 ? '0' : v < 1e-3 || v >= 1e4 ? v.toExponential(1) : v.toPrecision(3));
const results: Record<string, unknown> = {};
for (const fn of functions) {
  const { budget, checkpoints, threshold } = BUDGETS[fn.name] as (typeof BUDGETS)[string];
  const perStrategy: Record<string, unknown> = {};
  console.log(
    `\n${fn.name}: simple regret, median [q25, q75] over ${seeds} seeds; evaluations to regret ≤ ${threshold}`,
  );
  console.log(['strategy', ...checkpoints.map((c) => `n=${c}`), `evals≤${threshold}`, 'ms/ask'].join('\t'));
  for (const strategy of strategies) {
    const runs: Array<{ regret: number[]; askMs: number }> = [];
    for (let seed = 0; seed < seeds; seed++) runs.push(await run(fn, strategy, seed, budget));
    const atCheckpoints = checkpoints.map((c) => ({
      evaluations: c,
      ...summary(runs.map((r) => r.regret[c - 1] as number)),
    }));
    const reached = runs.map((r) => {
      const i = r.regret.findIndex((v) => v <= threshold);
      return i < 0 ? Number.POSITIVE_INFINITY : i + 1;
    });
    const toThreshold = summary(reached);
    const askMs = summary(runs.map((r) => r.askMs)).median;
    perStrategy[strategy] = {
      checkpoints: atCheckpoints,
      evaluationsToThreshold: toThreshold,
      reached,
      askMs,
    };
    console.log(
      [
        strategy,
        ...atCheckpoints.map((s) => `${fmt(s.median)} [${fmt(s.q25)}, ${fmt(s.q75)}]`),
        Number.isFinite(toThreshold.median) ? String(toThreshold.median) : `>${budget}`,
        askMs.toFixed(0),
      ].join('\t'),
    );
  }
  results[fn.name] = { budget, threshold, seeds, strategies: perStrategy };
}

console.log('\nbo planning time per proposal, Hartmann-6 (d = 6): fit + acquisition, median of 3');
console.log(
  'cold: n observations, first fit (prior mode + 2 random restarts); warm: the next ask, after one',
);
console.log(
  'more observation, warm-started from the last fit (as in a campaign; every 10th fit restarts too)',
);
console.log('n\tcold ms\twarm ms');
const timing: Array<{ n: number; coldMs: number; warmMs: number }> = [];
for (const n of [50, 100, 200]) {
  const spec = (strategy: 'bo' | 'sobol') => ({
    space: hartmann6.space,
    objectives: [{ name: 'f', goal: 'minimise' as const }],
    planner: { strategy },
    seed: 1,
  });
  const points = await createPlanner(spec('sobol')).ask(n + 1);
  const observe = (p: { parameters: ParameterValues }) => ({
    parameters: p.parameters,
    values: { f: hartmann6.evaluate(p.parameters) },
  });
  const bo = createPlanner(spec('bo'));
  bo.tell(points.slice(0, n).map(observe));
  const cold = bo.toJSON();
  await bo.ask(1);
  bo.tell(points.slice(n, n + 1).map(observe));
  const warm = bo.toJSON();
  const time = async (state: PlannerState) => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const fresh = restorePlanner(JSON.parse(JSON.stringify(state)));
      const t0 = performance.now();
      await fresh.ask(1);
      times.push(performance.now() - t0);
    }
    return summary(times).median;
  };
  const row = { n, coldMs: await time(cold), warmMs: await time(warm) };
  timing.push(row);
  console.log(`${n}\t${row.coldMs.toFixed(0)}\t${row.warmMs.toFixed(0)}`);
}
results.planningTime = { dimension: 6, perProposalMs: timing, loadAverage: loadavg() };
console.log(
  `load average while timing: ${loadavg()
    .map((v) => v.toFixed(1))
    .join(', ')} (2 cores shared)`,
);

mkdirSync(args.out ?? 'bench-results', { recursive: true });
const file = `${args.out}/planners-${new Date(systemClock.now()).toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify({ quick: args.quick, seeds, results }, null, 2)}\n`);
console.log(`\nwrote ${file}`);
