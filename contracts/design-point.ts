// No Zod here: the policy-gate Lambda checks proposals against the design space through this module (ADR 0006).
import type { DesignSpace, ParameterValues } from './design-space.ts';

/**
 * Describes why `values` is not a point of `space`, or returns `undefined` when it is.
 *
 * @example
 * pointError(space, { red: 2 }) // 'red must be 0–1, got 2'
 */
export function pointError(space: DesignSpace, values: ParameterValues): string | undefined {
  for (const p of space) {
    const v = values[p.name];
    if (v === undefined) return `${p.name} is missing`;
    if (p.type === 'categorical') {
      if (typeof v !== 'string' || !p.choices.includes(v))
        return `${p.name} must be one of ${p.choices.join(', ')}, got ${JSON.stringify(v)}`;
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v))
      return `${p.name} must be a number, got ${JSON.stringify(v)}`;
    if (p.type === 'integer' && !Number.isInteger(v)) return `${p.name} must be an integer, got ${v}`;
    if (v < p.low || v > p.high)
      return `${p.name} must be ${p.low}–${p.high}${p.type === 'continuous' && p.unit ? ` ${p.unit}` : ''}, got ${v}`;
  }
  const extra = Object.keys(values).find((name) => !space.some((p) => p.name === name));
  return extra === undefined ? undefined : `${extra} is not a parameter of the design space`;
}
