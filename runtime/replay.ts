import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ObjectiveValues,
  type ParameterValues,
  parseWith,
  type RunEventBody,
} from '../contracts/index.ts';
import {
  type Observation,
  type Planner,
  PlannerSpecSchema,
  type PlannerState,
  type Proposal,
} from '../planners/index.ts';
import type { AuditRecord } from './audit-log.ts';
import { parseCampaign } from './campaign-file.ts';
import { type CampaignSummary, type RunOptions, runCampaign } from './campaign-runner.ts';
import { RunDirectoryError } from './errors.ts';
import { RunMetaSchema } from './run-directory.ts';

/** What one command of an experiment did, as the run's audit log recorded it. */
export interface CommandTrace {
  /** The command id without the campaign id: `-e0003/mix/1`. */
  id: string;
  command: string;
  parameters: Record<string, unknown>;
  outcome:
    | { type: 'result'; output: Record<string, unknown> }
    | { type: 'fault'; code: string }
    | { type: 'none' };
}

/** One experiment of a run, reduced to what must be the same in a faithful replay. */
export interface ExperimentTrace {
  index: number;
  parameters: ParameterValues | undefined;
  gate: string | undefined;
  commands: CommandTrace[];
  status: string | undefined;
  values: ObjectiveValues | undefined;
  error: string | undefined;
}

/** A run directory's recorded campaign: the planner's batches and every experiment's trace. */
export interface Recording {
  campaignId: string;
  seed: number;
  source: string;
  batches: ParameterValues[][];
  experiments: Map<number, ExperimentTrace>;
}

/** One difference between a recording and its replay. */
export interface Divergence {
  experiment: number;
  what: string;
  recorded: unknown;
  replayed: unknown;
}

type Record_ = AuditRecord & RunEventBody;

function indexOf(experimentId: string): number {
  const match = /-e(\d+)$/.exec(experimentId) ?? /-e(\d+)\//.exec(experimentId);
  if (!match)
    throw new RunDirectoryError(`cannot read an experiment index from ${JSON.stringify(experimentId)}`);
  return Number(match[1]);
}

/**
 * Reads what a run directory recorded — `meta.json`, `campaign.yaml` and `events.jsonl` are enough — as its
 * campaign file, seed, planner batches and experiment traces.
 */
export function readRecording(dir: string): Recording {
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch (error) {
      throw new RunDirectoryError(
        `${dir} is not a recorded run: cannot read ${file} (${(error as Error).message})`,
        { cause: error },
      );
    }
  };
  const { campaignId, seed } = parseWith(RunMetaSchema, JSON.parse(read('meta.json')), `${dir}/meta.json`);
  const source = read('campaign.yaml');
  const records = read('events.jsonl')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record_);
  const experiments = new Map<number, ExperimentTrace>();
  const trace = (experimentId: string): ExperimentTrace => {
    const index = indexOf(experimentId);
    let t = experiments.get(index);
    if (!t) {
      t = {
        index,
        parameters: undefined,
        gate: undefined,
        commands: [],
        status: undefined,
        values: undefined,
        error: undefined,
      };
      experiments.set(index, t);
    }
    return t;
  };
  const commands = new Map<string, CommandTrace>();
  const relative = (commandId: string) =>
    commandId.startsWith(campaignId) ? commandId.slice(campaignId.length) : commandId;
  // Labels made from the experiment id (a specimen's) differ between a run and its replay only by campaign id.
  const neutral = <T>(value: T): T =>
    JSON.parse(JSON.stringify(value).replaceAll(campaignId, '<campaign>')) as T;
  const batches: ParameterValues[][] = [];
  for (const r of records) {
    if (r.type === 'planner.proposed') {
      batches[r.batch] = r.experiments.map((e) => e.parameters);
      for (const e of r.experiments) trace(e.experimentId).parameters = e.parameters;
    } else if (r.type === 'gate.decided' || r.type === 'approval.decided') {
      trace(r.experimentId).gate = r.verdict;
    } else if (
      r.type === 'command.sent' &&
      r.commandId.startsWith(campaignId) &&
      !commands.has(r.commandId)
    ) {
      const command: CommandTrace = {
        id: relative(r.commandId),
        command: r.command,
        parameters: neutral(r.parameters),
        outcome: { type: 'none' },
      };
      commands.set(r.commandId, command);
      trace(r.commandId.slice(0, r.commandId.indexOf('/'))).commands.push(command);
    } else if (r.type === 'device.event' && (r.event.type === 'result' || r.event.type === 'fault')) {
      const command = commands.get(r.event.commandId);
      if (command && command.outcome.type === 'none')
        command.outcome =
          r.event.type === 'result'
            ? { type: 'result', output: neutral(r.event.output) }
            : { type: 'fault', code: r.event.error.code };
    } else if (r.type === 'experiment.finished') {
      const t = trace(r.experimentId);
      t.status = r.status;
      t.values = r.values;
      t.error = r.error ? `${r.error.step}: ${r.error.code}` : undefined;
    }
  }
  return { campaignId, seed, source, batches, experiments };
}

/** A planner that proposes exactly what a recording's planner proposed, batch by batch. */
export function recordedPlanner(recording: Recording, spec: PlannerState['spec']): Planner {
  let cursor = 0;
  const observations: Observation[] = [];
  return {
    strategy: 'replay',
    observations,
    async ask(count: number): Promise<Proposal[]> {
      const batch = recording.batches[cursor];
      if (!batch)
        throw new RunDirectoryError(
          `the recording of ${recording.campaignId} has no batch ${cursor} to replay`,
        );
      cursor += 1;
      return batch.slice(0, count).map((parameters) => ({ parameters }));
    },
    // A replay proposes what was recorded; what it measures is kept for the record, not learnt from.
    tell(told: readonly Observation[]): void {
      observations.push(...told);
    },
    toJSON: () => ({ spec, strategy: 'replay', cursor }),
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Compares two recordings experiment by experiment: parameters, gate, every command and outcome, status, values. */
export function compareRecordings(recorded: Recording, replayed: Recording): Divergence[] {
  const divergences: Divergence[] = [];
  const indexes = [...new Set([...recorded.experiments.keys(), ...replayed.experiments.keys()])].sort(
    (a, b) => a - b,
  );
  for (const index of indexes) {
    const a = recorded.experiments.get(index);
    const b = replayed.experiments.get(index);
    const check = (what: string, x: unknown, y: unknown) => {
      if (!same(x, y)) divergences.push({ experiment: index, what, recorded: x, replayed: y });
    };
    if (!a || !b) {
      check('experiment', a ? 'present' : 'absent', b ? 'present' : 'absent');
      continue;
    }
    check('parameters', a.parameters, b.parameters);
    check('gate', a.gate, b.gate);
    check(
      'commands',
      a.commands.map((c) => c.id),
      b.commands.map((c) => c.id),
    );
    for (const [i, c] of a.commands.entries()) {
      const d = b.commands[i];
      if (!d || d.id !== c.id) continue;
      check(`${c.id} parameters`, c.parameters, d.parameters);
      check(`${c.id} outcome`, c.outcome, d.outcome);
    }
    check('status', a.status, b.status);
    check('values', a.values, b.values);
    check('error', a.error, b.error);
  }
  return divergences;
}

/** What {@link replayRun} found. */
export interface ReplayReport {
  recorded: string;
  replayRunDir: string;
  experiments: number;
  divergences: Divergence[];
  summary: CampaignSummary;
}

/**
 * Re-runs a recorded campaign against fresh simulators with the same seed and the recorded planner outputs, on
 * virtual time, into a new run directory, and compares the two experiment by experiment.
 */
export async function replayRun(
  dir: string,
  options: Omit<RunOptions, 'planner' | 'seed'> = {},
): Promise<ReplayReport> {
  const recording = readRecording(dir);
  const campaign = parseCampaign(recording.source, `${dir}/campaign.yaml`);
  const planner = recordedPlanner(recording, PlannerSpecSchema.parse({ ...campaign, seed: recording.seed }));
  const summary = await runCampaign(campaign, recording.source, {
    port: 0,
    runsDir: mkdtempSync(join(tmpdir(), 'labloop-replay-')),
    ...options,
    seed: recording.seed,
    planner,
  });
  const replayed = readRecording(summary.runDir);
  return {
    recorded: dir,
    replayRunDir: summary.runDir,
    experiments: recording.experiments.size,
    divergences: compareRecordings(recording, replayed),
    summary,
  };
}
