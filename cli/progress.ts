import type { CampaignProgressReport } from '../runtime/index.ts';

/**
 * A one-line live progress bar for a terminal, redrawn in place on stderr:
 * `[██████░░░░░░░░░░░░░░]  12/40  running  best 0.0412  failed 1`.
 */
export class ProgressBar {
  private last = '';
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly width = 24,
  ) {}

  update(report: CampaignProgressReport): void {
    const done = report.succeeded + report.failed + report.rejected;
    const filled = Math.round((done / Math.max(report.budget, 1)) * this.width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(this.width - filled)}`;
    const best = report.best === undefined ? '' : `  best ${formatNumber(report.best)}`;
    const failed = report.failed > 0 ? `  failed ${report.failed}` : '';
    const rejected = report.rejected > 0 ? `  rejected ${report.rejected}` : '';
    const line = `[${bar}] ${String(done).padStart(String(report.budget).length)}/${report.budget}  ${report.state.padEnd(9)}${best}${failed}${rejected}`;
    if (line === this.last) return;
    this.last = line;
    this.stream.write(`\r\x1b[2K${line}`);
  }

  end(): void {
    if (this.last) this.stream.write('\n');
  }
}

/** Four significant digits, without exponent noise for everyday magnitudes. */
export function formatNumber(value: number): string {
  return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6
    ? String(Number(value.toPrecision(4)))
    : value.toExponential(3);
}
