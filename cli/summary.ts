import type { CampaignSummary } from '../runtime/index.ts';
import { formatNumber } from './progress.ts';

/** The final summary as an aligned two-column table. */
export function formatSummary(summary: CampaignSummary): string {
  const best = summary.best;
  const rows: Array<[string, string]> = [
    ['campaign', summary.campaignId],
    ['ended', summary.reason + (summary.error ? ` (${summary.error})` : '')],
    [
      'experiments',
      `${summary.experiments} (${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.rejected} rejected)`,
    ],
    [
      `best ${summary.objective.name}`,
      best ? `${formatNumber(best.value)} (${summary.objective.goal}, ${best.experimentId})` : '—',
    ],
    ...(best
      ? Object.entries(best.parameters).map(([name, value]): [string, string] => [
          `  ${name}`,
          typeof value === 'number' ? formatNumber(value) : value,
        ])
      : []),
    ['wall time', `${summary.wallSeconds.toFixed(2)} s`],
    ['seed', String(summary.seed)],
    ['run directory', summary.runDir],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
