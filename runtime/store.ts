import Database from 'better-sqlite3';
import type {
  DeviceCommand,
  ExperimentProposal,
  ExperimentStatus,
  Fault,
  Measurement,
  Objective,
} from '../contracts/index.ts';
import type { BestSoFar, CampaignProgress } from '../workflows/index.ts';
import { StoreError } from './errors.ts';
import type { ResultRow } from './run-directory.ts';

/** A command as the store keeps it: what was sent, to whom, and how it ended. */
export interface CommandRecord {
  commandId: string;
  experimentId: string;
  step: string;
  deviceId: string;
  status: 'sent' | 'result' | 'fault';
  output: Record<string, unknown> | undefined;
  error: Fault | undefined;
  firmware: string | undefined;
}

/** An experiment row. */
export interface ExperimentRecord extends ExperimentProposal {
  status: ExperimentStatus;
  /** Why it was rejected or how it failed. */
  reason: string | undefined;
  error: (Fault & { step: string }) | undefined;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS campaigns (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, lab TEXT NOT NULL, spec TEXT NOT NULL, seed INTEGER NOT NULL,
  status TEXT NOT NULL, created_at INTEGER NOT NULL, finished_at INTEGER, summary TEXT,
  audit_seq INTEGER, audit_hash TEXT
);
CREATE TABLE IF NOT EXISTS experiments (
  id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL REFERENCES campaigns(id), idx INTEGER NOT NULL,
  batch INTEGER NOT NULL, parameters TEXT NOT NULL, strategy TEXT NOT NULL, status TEXT NOT NULL,
  reason TEXT, error TEXT, proposed_at INTEGER NOT NULL, finished_at INTEGER,
  UNIQUE (campaign_id, idx)
);
CREATE TABLE IF NOT EXISTS commands (
  command_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, experiment_id TEXT NOT NULL REFERENCES experiments(id),
  step TEXT NOT NULL, device_id TEXT NOT NULL, command TEXT NOT NULL, parameters TEXT NOT NULL,
  status TEXT NOT NULL, output TEXT, error TEXT, firmware TEXT, sent_at INTEGER NOT NULL, finished_at INTEGER
);
CREATE TABLE IF NOT EXISTS measurements (
  experiment_id TEXT PRIMARY KEY REFERENCES experiments(id), campaign_id TEXT NOT NULL, vals TEXT NOT NULL,
  steps TEXT NOT NULL, devices TEXT NOT NULL, workflow_version TEXT NOT NULL, measured_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
  campaign_id TEXT NOT NULL, batch INTEGER NOT NULL, recorded_at INTEGER NOT NULL, PRIMARY KEY (campaign_id, batch)
);
CREATE INDEX IF NOT EXISTS experiments_by_batch ON experiments (campaign_id, batch);
CREATE INDEX IF NOT EXISTS experiments_by_status ON experiments (campaign_id, status);
CREATE INDEX IF NOT EXISTS commands_by_step ON commands (experiment_id, step);
CREATE TABLE IF NOT EXISTS planner_states (campaign_id TEXT PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (campaign_id TEXT PRIMARY KEY, snapshot TEXT NOT NULL, updated_at INTEGER NOT NULL);
`;

const json = (value: unknown): string => JSON.stringify(value);
const parse = <T>(text: string | null | undefined): T | undefined =>
  text == null ? undefined : (JSON.parse(text) as T);

interface ExperimentRow {
  id: string;
  campaign_id: string;
  idx: number;
  batch: number;
  parameters: string;
  strategy: string;
  status: ExperimentStatus;
  reason: string | null;
  error: string | null;
  proposed_at: number;
}

interface CommandRow {
  command_id: string;
  experiment_id: string;
  step: string;
  device_id: string;
  status: CommandRecord['status'];
  output: string | null;
  error: string | null;
  firmware: string | null;
}

const toCommand = (row: CommandRow | undefined): CommandRecord | undefined =>
  row && {
    commandId: row.command_id,
    experimentId: row.experiment_id,
    step: row.step,
    deviceId: row.device_id,
    status: row.status,
    output: parse(row.output),
    error: parse(row.error),
    firmware: row.firmware ?? undefined,
  };

const toExperiment = (row: ExperimentRow): ExperimentRecord => ({
  experimentId: row.id,
  campaignId: row.campaign_id,
  index: row.idx,
  batch: row.batch,
  parameters: JSON.parse(row.parameters),
  strategy: row.strategy,
  proposedAt: row.proposed_at,
  status: row.status,
  reason: row.reason ?? undefined,
  error: parse(row.error),
});

/**
 * The campaign store: one SQLite file per run directory (WAL, so a killed process loses at most the
 * transaction it was in). Every write that must happen together happens in one transaction.
 */
export class Store {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly file: string) {
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.exec(SCHEMA);
    } catch (error) {
      throw new StoreError(`cannot open the store ${file}: ${(error as Error).message}`, { cause: error });
    }
  }

  close(): void {
    this.db.close();
  }

  /** A prepared statement, compiled once per store. */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  createCampaign(campaign: {
    id: string;
    name: string;
    lab: string;
    spec: unknown;
    seed: number;
    createdAt: number;
  }): void {
    this.sql(
      'INSERT INTO campaigns (id, name, lab, spec, seed, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(
      campaign.id,
      campaign.name,
      campaign.lab,
      json(campaign.spec),
      campaign.seed,
      'running',
      campaign.createdAt,
    );
  }

  campaign(
    id: string,
  ): { id: string; name: string; seed: number; status: string; summary: unknown } | undefined {
    const row = this.sql('SELECT id, name, seed, status, summary FROM campaigns WHERE id = ?').get(id) as
      | { id: string; name: string; seed: number; status: string; summary: string | null }
      | undefined;
    return row && { ...row, summary: parse(row.summary) };
  }

  finishCampaign(id: string, status: string, summary: unknown, at: number): void {
    this.sql('UPDATE campaigns SET status = ?, summary = ?, finished_at = ? WHERE id = ?').run(
      status,
      json(summary),
      at,
      id,
    );
  }

  /** Keeps the audit log's head here too, so a truncated log is detected (see `verifyAuditLog`). */
  anchorAudit(campaignId: string, head: { seq: number; hash: string }): void {
    this.sql('UPDATE campaigns SET audit_seq = ?, audit_hash = ? WHERE id = ?').run(
      head.seq,
      head.hash,
      campaignId,
    );
  }

  /** The anchored audit head, if any. */
  auditAnchor(campaignId: string): { seq: number; hash: string } | undefined {
    const row = this.sql('SELECT audit_seq AS seq, audit_hash AS hash FROM campaigns WHERE id = ?').get(
      campaignId,
    ) as { seq: number | null; hash: string | null } | undefined;
    return row?.seq != null && row.hash != null ? { seq: row.seq, hash: row.hash } : undefined;
  }

  /** Saves a batch of proposals and the planner state that produced them, together. */
  saveProposals(proposals: readonly ExperimentProposal[], plannerState: unknown): void {
    const insert = this.sql(
      'INSERT INTO experiments (id, campaign_id, idx, batch, parameters, strategy, status, proposed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const p of proposals)
        insert.run(
          p.experimentId,
          p.campaignId,
          p.index,
          p.batch,
          json(p.parameters),
          p.strategy,
          'proposed',
          p.proposedAt,
        );
      if (proposals[0]) this.savePlannerState(proposals[0].campaignId, plannerState);
    })();
  }

  experimentsOfBatch(campaignId: string, batch: number): ExperimentRecord[] {
    return (
      this.sql('SELECT * FROM experiments WHERE campaign_id = ? AND batch = ? ORDER BY idx').all(
        campaignId,
        batch,
      ) as ExperimentRow[]
    ).map(toExperiment);
  }

  experiments(campaignId: string): ExperimentRecord[] {
    return (
      this.sql('SELECT * FROM experiments WHERE campaign_id = ? ORDER BY idx').all(
        campaignId,
      ) as ExperimentRow[]
    ).map(toExperiment);
  }

  experiment(experimentId: string): ExperimentRecord | undefined {
    const row = this.sql('SELECT * FROM experiments WHERE id = ?').get(experimentId) as
      | ExperimentRow
      | undefined;
    return row && toExperiment(row);
  }

  /** Parameters of the experiments proposed but not finished: what a planner must not propose again. */
  pendingParameters(campaignId: string): ExperimentProposal['parameters'][] {
    return (
      this.sql(
        `SELECT parameters FROM experiments WHERE campaign_id = ? AND status IN ('proposed', 'running')`,
      ).all(campaignId) as Array<{
        parameters: string;
      }>
    ).map((row) => JSON.parse(row.parameters));
  }

  /** Number of proposals made so far (the next experiment index). */
  proposalCount(campaignId: string): number {
    return (
      this.sql('SELECT COUNT(*) AS n FROM experiments WHERE campaign_id = ?').get(campaignId) as {
        n: number;
      }
    ).n;
  }

  setExperimentStatus(
    experimentId: string,
    status: ExperimentStatus,
    detail: { reason?: string; error?: Fault & { step: string }; at?: number } = {},
  ): void {
    this.sql('UPDATE experiments SET status = ?, reason = ?, error = ?, finished_at = ? WHERE id = ?').run(
      status,
      detail.reason ?? null,
      detail.error ? json(detail.error) : null,
      detail.at ?? null,
      experimentId,
    );
  }

  /** Records a successful experiment's measurement and marks it succeeded, together. */
  saveMeasurement(m: Measurement): void {
    this.db.transaction(() => {
      this.sql(
        'INSERT OR REPLACE INTO measurements (experiment_id, campaign_id, vals, steps, devices, workflow_version, measured_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(
        m.experimentId,
        m.campaignId,
        json(m.values),
        json(m.steps),
        json(m.devices),
        m.workflowVersion,
        m.measuredAt,
      );
      this.setExperimentStatus(m.experimentId, 'succeeded', { at: m.measuredAt });
    })();
  }

  measurement(experimentId: string): Measurement | undefined {
    const row = this.sql('SELECT * FROM measurements WHERE experiment_id = ?').get(experimentId) as
      | {
          experiment_id: string;
          campaign_id: string;
          vals: string;
          steps: string;
          devices: string;
          workflow_version: string;
          measured_at: number;
        }
      | undefined;
    return (
      row && {
        experimentId: row.experiment_id,
        campaignId: row.campaign_id,
        values: JSON.parse(row.vals),
        steps: JSON.parse(row.steps),
        devices: JSON.parse(row.devices),
        workflowVersion: row.workflow_version,
        measuredAt: row.measured_at,
      }
    );
  }

  recordCommandSent(
    command: DeviceCommand & { experimentId: string; campaignId: string },
    step: string,
  ): void {
    this.sql(
      `INSERT INTO commands (command_id, campaign_id, experiment_id, step, device_id, command, parameters, status, sent_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'sent', ?)
         ON CONFLICT (command_id) DO UPDATE SET sent_at = excluded.sent_at`,
    ).run(
      command.commandId,
      command.campaignId,
      command.experimentId,
      step,
      command.deviceId,
      command.command,
      json(command.parameters),
      command.issuedAt,
    );
  }

  recordCommandOutcome(
    commandId: string,
    outcome:
      | { status: 'result'; output: Record<string, unknown>; firmware: string }
      | { status: 'fault'; error: Fault },
    at: number,
  ): void {
    this.sql(
      'UPDATE commands SET status = ?, output = ?, error = ?, firmware = ?, finished_at = ? WHERE command_id = ?',
    ).run(
      outcome.status,
      outcome.status === 'result' ? json(outcome.output) : null,
      outcome.status === 'fault' ? json(outcome.error) : null,
      outcome.status === 'result' ? outcome.firmware : null,
      at,
      commandId,
    );
  }

  command(commandId: string): CommandRecord | undefined {
    return toCommand(
      this.sql('SELECT * FROM commands WHERE command_id = ?').get(commandId) as CommandRow | undefined,
    );
  }

  /** The most recently sent command of an experiment's step. */
  lastCommandOf(experimentId: string, step: string): CommandRecord | undefined {
    return toCommand(
      this.sql(
        'SELECT * FROM commands WHERE experiment_id = ? AND step = ? ORDER BY sent_at DESC, rowid DESC LIMIT 1',
      ).get(experimentId, step) as CommandRow | undefined,
    );
  }

  /** Commands sent and not answered yet, of the campaign's running experiments: what pause now interrupts. */
  commandsInFlight(campaignId: string): CommandRecord[] {
    return (
      this.sql(
        `SELECT c.* FROM commands c JOIN experiments e ON e.id = c.experiment_id
           WHERE c.campaign_id = ? AND c.status = 'sent' AND e.status = 'running' ORDER BY c.rowid`,
      ).all(campaignId) as CommandRow[]
    ).flatMap((row) => toCommand(row) ?? []);
  }

  /** Whether a batch's outcomes were already told to the planner. */
  batchRecorded(campaignId: string, batch: number): boolean {
    return (
      this.sql('SELECT 1 FROM batches WHERE campaign_id = ? AND batch = ?').get(campaignId, batch) !==
      undefined
    );
  }

  /** Marks a batch recorded and saves the planner state that learnt from it, together. */
  recordBatch(campaignId: string, batch: number, plannerState: unknown, at: number): void {
    this.db.transaction(() => {
      this.sql('INSERT INTO batches (campaign_id, batch, recorded_at) VALUES (?, ?, ?)').run(
        campaignId,
        batch,
        at,
      );
      this.savePlannerState(campaignId, plannerState);
    })();
  }

  plannerState(campaignId: string): unknown {
    const row = this.sql('SELECT state FROM planner_states WHERE campaign_id = ?').get(campaignId) as
      | { state: string }
      | undefined;
    return parse(row?.state);
  }

  private savePlannerState(campaignId: string, state: unknown): void {
    this.sql(
      'INSERT INTO planner_states (campaign_id, state) VALUES (?, ?) ON CONFLICT (campaign_id) DO UPDATE SET state = excluded.state',
    ).run(campaignId, json(state));
  }

  saveSnapshot(campaignId: string, snapshot: unknown, at: number): void {
    this.sql(
      'INSERT INTO snapshots (campaign_id, snapshot, updated_at) VALUES (?, ?, ?) ON CONFLICT (campaign_id) DO UPDATE SET snapshot = excluded.snapshot, updated_at = excluded.updated_at',
    ).run(campaignId, json(snapshot), at);
  }

  snapshot(campaignId: string): unknown {
    const row = this.sql('SELECT snapshot FROM snapshots WHERE campaign_id = ?').get(campaignId) as
      | { snapshot: string }
      | undefined;
    return parse(row?.snapshot);
  }

  /** One row per decided experiment, for `results.csv`. */
  resultRows(campaignId: string): ResultRow[] {
    return this.experiments(campaignId)
      .filter((e) => e.status === 'succeeded' || e.status === 'failed' || e.status === 'rejected')
      .map((e) => ({
        experimentId: e.experimentId,
        index: e.index,
        batch: e.batch,
        status: e.status,
        parameters: e.parameters,
        values: e.status === 'succeeded' ? (this.measurement(e.experimentId)?.values ?? {}) : {},
        detail: e.error ? `${e.error.step}: ${e.error.code}: ${e.error.message}` : (e.reason ?? ''),
      }));
  }

  /** Totals and best-so-far, computed from the experiments and measurements. */
  progress(campaignId: string, objective: Objective): CampaignProgress {
    const counts = this.sql(
      'SELECT status, COUNT(*) AS n FROM experiments WHERE campaign_id = ? GROUP BY status',
    ).all(campaignId) as Array<{ status: ExperimentStatus; n: number }>;
    const count = (status: ExperimentStatus) => counts.find((c) => c.status === status)?.n ?? 0;
    const order = objective.goal === 'maximise' ? 'DESC' : 'ASC';
    const bestRow = this.sql(
      `SELECT m.experiment_id AS id, e.parameters AS parameters, json_extract(m.vals, ?) AS value
         FROM measurements m JOIN experiments e ON e.id = m.experiment_id
         WHERE m.campaign_id = ? AND json_extract(m.vals, ?) IS NOT NULL
         ORDER BY value ${order}, e.idx ASC LIMIT 1`,
    ).get(`$.${objective.name}`, campaignId, `$.${objective.name}`) as
      | { id: string; parameters: string; value: number }
      | undefined;
    const best: BestSoFar | undefined = bestRow && {
      experimentId: bestRow.id,
      parameters: JSON.parse(bestRow.parameters),
      value: bestRow.value,
    };
    return {
      proposed: counts.reduce((sum, c) => sum + c.n, 0),
      succeeded: count('succeeded'),
      failed: count('failed'),
      rejected: count('rejected'),
      best,
    };
  }
}
