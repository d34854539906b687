import type {
  Constraint,
  DesignSpace,
  OutcomeConstraint,
  ParameterValues,
  SumConstraint,
} from '../contracts/index.ts';
import { createSpaceEncoding } from './space.ts';

/**
 * Sum (mixture) constraints on parameters, and the outcome constraints of a spec. Every strategy proposes
 * points in the unit cube; this module maps them onto the constrained set, so a proposal always satisfies
 * Σ x_i = equals (to rounding) as well as each parameter's bounds.
 */

/** A sum holds when it is within this of `equals`, relative to max(1, |equals|). */
export const SUM_TOLERANCE = 1e-9;

/** The sum constraints of a list of constraints. */
export function sumConstraints(constraints: readonly Constraint[]): SumConstraint[] {
  return constraints.filter((c): c is SumConstraint => c.type === 'sum');
}

/** The outcome constraints of a list of constraints. */
export function outcomeConstraints(constraints: readonly Constraint[]): OutcomeConstraint[] {
  return constraints.filter((c): c is OutcomeConstraint => c.type === 'outcome');
}

/**
 * Why `constraints` cannot apply to `space` (a path into the constraint list and a message), or an empty list.
 * A sum names distinct linear-scale continuous parameters, each in at most one sum, whose bounds allow the sum.
 */
export function constraintIssues(
  space: DesignSpace,
  constraints: readonly Constraint[],
  objectives: readonly string[],
): Array<{ path: (string | number)[]; message: string }> {
  const issues: Array<{ path: (string | number)[]; message: string }> = [];
  const used = new Set<string>();
  constraints.forEach((c, i) => {
    if (c.type === 'outcome') {
      if (objectives.includes(c.name))
        issues.push({
          path: [i, 'name'],
          message: `${c.name} is an objective; an outcome constraint needs a separate measurement`,
        });
      return;
    }
    let low = 0;
    let high = 0;
    c.parameters.forEach((name, k) => {
      const p = space.find((q) => q.name === name);
      if (p?.type !== 'continuous' || p.scale === 'log') {
        issues.push({
          path: [i, 'parameters', k],
          message: `${name} must be a linear-scale continuous parameter of the space, got ${p ? `${p.type}${p.type === 'continuous' ? ` (${p.scale})` : ''}` : 'no such parameter'}`,
        });
        return;
      }
      if (used.has(name))
        issues.push({ path: [i, 'parameters', k], message: `${name} is already in another sum constraint` });
      used.add(name);
      low += p.low;
      high += p.high;
    });
    if (issues.length === 0 && (c.equals < low - 1e-12 || c.equals > high + 1e-12))
      issues.push({
        path: [i, 'equals'],
        message: `the parameters' bounds allow sums ${low}–${high}, got equals ${c.equals}`,
      });
  });
  return issues;
}

/**
 * Why a planner spec's constraints cannot apply (paths from the spec's root): {@link constraintIssues}, and
 * outcome constraints with the `ucb` acquisition. `PlannerSpecSchema` reports these; the plan-next Lambda checks
 * them without Zod.
 */
export function specIssues(spec: {
  space: DesignSpace;
  objectives: readonly { name: string }[];
  constraints: readonly Constraint[];
  planner: { strategy: string; acquisition?: string | undefined };
}): Array<{ path: (string | number)[]; message: string }> {
  const objectives = spec.objectives.map((o) => o.name);
  const issues = constraintIssues(spec.space, spec.constraints, objectives).map((issue) => ({
    path: ['constraints', ...issue.path],
    message: issue.message,
  }));
  const outcome = spec.constraints.some((c) => c.type === 'outcome');
  if (outcome && spec.planner.strategy === 'bo' && spec.planner.acquisition === 'ucb')
    issues.push({
      path: ['planner', 'acquisition'],
      message: 'outcome constraints need the logei acquisition (constrained expected improvement), got ucb',
    });
  return issues;
}

interface Group {
  indices: number[];
  low: number[];
  high: number[];
  equals: number;
}

/** Maps unit-cube points and design-space points onto the sum constraints of a space. */
export interface ConstraintMap {
  /** Whether the space has any sum constraint. */
  readonly active: boolean;
  /**
   * A space-filling map from the unit cube: each sum's coordinates are read as a uniform point of its simplex
   * (Dirichlet(1) via exponential spacings), so uniform or Sobol points stay well spread on the mixture.
   */
  sample(values: ParameterValues, unit: ArrayLike<number>): ParameterValues;
  /** The nearest point (Euclidean, in parameter units) that satisfies every sum and every bound. */
  project(values: ParameterValues): ParameterValues;
  /** How far `values` is from satisfying a sum, or `undefined` when it satisfies all of them. */
  violation(values: ParameterValues): string | undefined;
}

/**
 * x_i = clip(y_i − λ, low_i, high_i) with λ such that Σ x_i = equals: the Euclidean projection onto the box
 * ∩ hyperplane, found by bisection because the sum is monotone in λ.
 */
function projectGroup(y: readonly number[], group: Group): number[] {
  const clip = (lambda: number) =>
    y.map((v, k) => Math.min(group.high[k] as number, Math.max(group.low[k] as number, v - lambda)));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const spread = Math.max(...y.map(Math.abs), ...group.high.map(Math.abs), ...group.low.map(Math.abs), 1);
  let lo = -4 * spread - Math.abs(group.equals);
  let hi = 4 * spread + Math.abs(group.equals);
  for (let i = 0; i < 200 && hi - lo > 1e-15 * spread; i++) {
    const mid = (lo + hi) / 2;
    if (sum(clip(mid)) > group.equals) lo = mid;
    else hi = mid;
  }
  const x = clip((lo + hi) / 2);
  // Bisection leaves a residual of rounding size: give it to a coordinate with room, so the sum is exact.
  const residual = group.equals - sum(x);
  for (let k = 0; k < x.length; k++) {
    const v = (x[k] as number) + residual;
    if (v >= (group.low[k] as number) && v <= (group.high[k] as number)) {
      x[k] = v;
      break;
    }
  }
  return x;
}

/** Builds the constraint map of `space` for `constraints` (checked beforehand by {@link constraintIssues}). */
export function createConstraintMap(space: DesignSpace, constraints: readonly Constraint[]): ConstraintMap {
  const groups: Group[] = sumConstraints(constraints).map((c) => {
    const indices = c.parameters.map((name) => space.findIndex((p) => p.name === name));
    const bounds = indices.map((i) => space[i] as { low: number; high: number });
    return {
      indices,
      low: bounds.map((b) => b.low),
      high: bounds.map((b) => b.high),
      equals: c.equals,
    };
  });
  const names = (g: Group) => g.indices.map((i) => (space[i] as { name: string }).name);
  const write = (values: ParameterValues, g: Group, xs: number[]) => {
    const out = { ...values };
    names(g).forEach((name, k) => {
      out[name] = xs[k] as number;
    });
    return out;
  };
  return {
    active: groups.length > 0,
    sample(values, unit) {
      let out = values;
      for (const g of groups) {
        const spacings = g.indices.map((i) => -Math.log(1 - Math.min(1 - 1e-12, Math.max(0, unit[i] ?? 0))));
        const total = spacings.reduce((a, b) => a + b, 0);
        const free = g.equals - g.low.reduce((a, b) => a + b, 0);
        const xs = spacings.map((e, k) =>
          total > 0
            ? (g.low[k] as number) + (free * e) / total
            : (g.low[k] as number) + free / spacings.length,
        );
        out = write(out, g, projectGroup(xs, g));
      }
      return out;
    },
    project(values) {
      let out = values;
      for (const g of groups)
        out = write(
          out,
          g,
          projectGroup(
            names(g).map((name) => values[name] as number),
            g,
          ),
        );
      return out;
    },
    violation(values) {
      for (const g of groups) {
        const sum = names(g).reduce((s, name) => s + (values[name] as number), 0);
        if (Math.abs(sum - g.equals) > SUM_TOLERANCE * Math.max(1, Math.abs(g.equals)))
          return `${names(g).join(' + ')} must equal ${g.equals}, got ${sum}`;
      }
      return undefined;
    },
  };
}

/** Whether an observation's measured values satisfy every outcome constraint. */
export function isFeasible(
  values: Readonly<Record<string, number>>,
  constraints: readonly OutcomeConstraint[],
): boolean {
  return constraints.every((c) => {
    const v = values[c.name] as number;
    return (c.atLeast === undefined || v >= c.atLeast) && (c.atMost === undefined || v <= c.atMost);
  });
}

/**
 * Decodes unit-cube points onto the design space and its sum constraints: what the model-free strategies and
 * the initial design of `bo` propose.
 */
export function createConstrainedDecoder(
  space: DesignSpace,
  constraints: readonly Constraint[],
): (unit: ArrayLike<number>) => ParameterValues {
  const encoding = createSpaceEncoding(space);
  const map = createConstraintMap(space, constraints);
  return (unit) => {
    const values = encoding.decode(unit);
    return map.active ? map.sample(values, unit) : values;
  };
}
