import { type DesignSpace, type ParameterValues, pointError } from '../../contracts/index.ts';

/** A proposal from an endpoint that was not used, and why. */
export interface Rejection {
  /** What the endpoint proposed, as it came. */
  parameters: unknown;
  reason: string;
}

/** An endpoint's proposals, split into the usable and the rejected. */
export interface Screened {
  /** Usable proposals with their position in the endpoint's answer. */
  accepted: Array<{ index: number; parameters: ParameterValues }>;
  rejected: Rejection[];
}

/** What a proposal is checked against. */
export interface ScreenContext {
  observations: readonly { parameters: ParameterValues }[];
  pending: readonly ParameterValues[];
  /** Proposals wanted; any usable ones beyond this are rejected. */
  count: number;
  /** A further check (a device envelope, a policy): a reason to refuse the point, or `undefined`. */
  check?: (parameters: ParameterValues) => string | undefined;
}

/** A key equal for equal points: the values in the space's order. */
export function pointKey(space: DesignSpace, parameters: ParameterValues): string {
  return JSON.stringify(space.map((p) => parameters[p.name]));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Screens proposals that came from outside (a GPU endpoint, an LLM) before anyone sees them: each must be a
 * point of the design space, pass `check`, and differ from every observation, pending point and earlier
 * proposal; only the first `count` usable ones are kept. Every other one is rejected with a reason.
 *
 * @example
 * screenProposals(space, [{ T: 95 }], { observations: [], pending: [], count: 1 }).rejected
 * // [{ parameters: { T: 95 }, reason: 'outside the design space: T must be 20–80, got 95' }]
 */
export function screenProposals(
  space: DesignSpace,
  candidates: readonly unknown[],
  context: ScreenContext,
): Screened {
  const seen = new Map<string, string>();
  context.observations.forEach((o, i) => {
    seen.set(pointKey(space, o.parameters), `observation ${i}`);
  });
  context.pending.forEach((p, i) => {
    const key = pointKey(space, p);
    if (!seen.has(key)) seen.set(key, `pending point ${i}`);
  });
  const accepted: Screened['accepted'] = [];
  const rejected: Rejection[] = [];
  const problem = (candidate: unknown, index: number): string | undefined => {
    if (!isRecord(candidate))
      return `expected an object of parameter values, got ${JSON.stringify(candidate)}`;
    const values = candidate as ParameterValues;
    const outside = pointError(space, values);
    if (outside !== undefined) return `outside the design space: ${outside}`;
    const refused = context.check?.(values);
    if (refused !== undefined) return `refused by the check: ${refused}`;
    const key = pointKey(space, values);
    const twin = seen.get(key);
    if (twin !== undefined) return `duplicates ${twin}`;
    seen.set(key, `proposal ${index}`);
    if (accepted.length >= context.count) return `beyond the ${context.count} proposals asked for`;
    return undefined;
  };
  candidates.forEach((candidate, index) => {
    const reason = problem(candidate, index);
    if (reason === undefined) accepted.push({ index, parameters: { ...(candidate as ParameterValues) } });
    else rejected.push({ parameters: candidate, reason: `proposal ${index}: ${reason}` });
  });
  return { accepted, rejected };
}
