import type { EnvelopeRule } from './device.ts';

function valuesAt(parameters: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return [parameters];
  const [head, ...rest] = path;
  if (parameters === null || typeof parameters !== 'object') return [];
  const record = parameters as Record<string, unknown>;
  if (head === '*') return Object.values(record).flatMap((v) => valuesAt(v, rest));
  return head !== undefined && head in record ? valuesAt(record[head], rest) : [];
}

function describe(rule: EnvelopeRule): string {
  const range =
    rule.min !== undefined && rule.max !== undefined
      ? `${rule.min}–${rule.max}`
      : rule.min !== undefined
        ? `≥ ${rule.min}`
        : `≤ ${rule.max}`;
  return `${rule.aggregate === 'sum' ? 'sum of ' : ''}${rule.parameter} must be ${range} ${rule.unit}${rule.allowZero ? ' (or 0)' : ''}`;
}

/**
 * Checks command parameters against a safe operating envelope. Returns one message per violated rule,
 * empty when the command is inside the envelope. A non-numeric value where a rule expects a number is a
 * violation: an envelope fails closed.
 *
 * @example
 * envelopeViolations([{ parameter: 'volume', unit: 'µL', min: 1, max: 1000, aggregate: 'each', allowZero: false }], { volume: 1500 })
 * // ['volume must be 1–1000 µL, got 1500']
 */
export function envelopeViolations(rules: readonly EnvelopeRule[], parameters: unknown): string[] {
  const violations: string[] = [];
  for (const rule of rules) {
    const found = valuesAt(parameters, rule.parameter.split('.'));
    const bad = found.find((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad !== undefined) {
      violations.push(`${describe(rule)}, got ${JSON.stringify(bad)}`);
      continue;
    }
    const numbers = found as number[];
    const checked = rule.aggregate === 'sum' ? [numbers.reduce((a, b) => a + b, 0)] : numbers;
    for (const value of checked) {
      if (rule.allowZero && value === 0) continue;
      if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
        violations.push(`${describe(rule)}, got ${value}`);
        break;
      }
    }
  }
  return violations;
}
