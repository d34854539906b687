/** Four significant digits, without exponent noise for everyday magnitudes. */
export function num(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  if (value === 0) return '0';
  return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6
    ? String(Number(value.toPrecision(4)))
    : value.toExponential(2);
}

/** `12 s ago`, `3 min ago`, `2 h ago`, measured on the lab's clock. */
export function ago(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/** Local time of day, `14:05:09`. */
export function clock(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** The last part of an experiment id: `colour-mixing-…-e0007` → `e0007`. */
export function shortId(experimentId: string): string {
  return experimentId.split('-').at(-1) ?? experimentId;
}

/** Parameter values as `red 30 · yellow 50`. */
export function params(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? num(v) : String(v)}`)
    .join(' · ');
}
