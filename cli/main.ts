import { parseArgs } from 'node:util';
import { ContractError } from '../contracts/index.ts';
import {
  type CampaignSession,
  loadCampaign,
  type RunOptions,
  RuntimeError,
  reopenCampaign,
  replayRun,
  startCampaign,
  verifyRun,
} from '../runtime/index.ts';
import { DASHBOARD_HELP, DASHBOARD_OPTIONS, nextInterrupt, serveDashboard } from './dashboard.ts';
import { UsageError } from './errors.ts';
import { ProgressBar } from './progress.ts';
import { formatSummary } from './summary.ts';

const HELP = `labloop — closed-loop experiment campaigns on (simulated) lab instruments over MQTT

Usage:
  labloop run <campaign.yaml> [options]   run a campaign to its end
  labloop resume <run-dir> [options]      finish an interrupted campaign without repeating experiments
  labloop validate <campaign.yaml>        check a campaign file and list every problem
  labloop audit verify <run-dir>          check a run's hash-chained audit log; report the first bad record
  labloop replay <run-dir>                re-run a recorded campaign on simulators; report any divergence
  labloop <command> --help                options of one command

Examples:
  labloop run examples/colour-mixing.yaml
  labloop run examples/lattice-toughness.yaml --seed 7 --headless --json
  labloop resume runs/colour-mixing-20261122-101500-3fa2

Exit codes: 0 campaign finished (budget, target, failure limit or stop), 1 campaign failed or aborted,
2 bad command line or campaign file.`;

const COMMON = {
  broker: { type: 'string' },
  port: { type: 'string' },
  'time-scale': { type: 'string' },
  headless: { type: 'boolean' },
  json: { type: 'boolean' },
  credentials: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const RUN_HELP = `labloop run <campaign.yaml> [options]

Runs a campaign: starts an embedded MQTT broker (or uses --broker) and the simulated instruments listed under
\`simulators:\` in the file, then asks the planner, gates, runs and records batches until the budget, the
objective's target or the failure limit is reached. Everything lands in a run directory under --runs-dir.

Options:
  --seed <n>          seed for planner and simulators (default: the file's seed, else random; printed at the end)
  --broker <url>      use an external MQTT broker, e.g. mqtt://127.0.0.1:1883 (Mosquitto, EMQX)
  --port <n>          port of the embedded broker (default 1883, or a free one if taken; 0 = any free port)
  --time-scale <x>    simulated time runs x times faster than the wall clock (default 1000)
  --credentials <f>   lab credentials file for broker logins and topic ACLs, or "run" for credentials.json in the
                      run directory (the default with the embedded broker; docs/security.md)
  --runs-dir <dir>    where run directories are created (default ./runs)
  --headless          no dashboard and no live output; exits when the campaign ends
  --json              print one JSON summary object on stdout and nothing else there
  -h, --help          this help

Without --headless the dashboard starts: a line \`Dashboard: http://<lan-ip>:<port>/?token=…\` says where (open it
on a phone on the same network), and it keeps serving after the campaign ends, until Ctrl-C.

${DASHBOARD_HELP}`;

const RESUME_HELP = `labloop resume <run-dir> [options]

Continues an interrupted campaign (Ctrl-C, a crash, a killed process) from its run directory. Finished
experiments are not run again; a command that was sent but not answered is re-sent with the same commandId,
so a device that already did it answers from its journal instead of acting twice.

Options:
  --broker <url>, --port <n>, --time-scale <x>, --headless, --json, -h/--help   as for \`labloop run\`
  --http-port, --http-host, --tokens, --tls-cert, --tls-key                     the dashboard, as for \`labloop run\``;

const VALIDATE_HELP = `labloop validate <campaign.yaml>

Checks a campaign file without running it. Prints every problem with the field, what was found and what
was expected, and exits 2 if there is any; prints a one-line description and exits 0 if there is none.`;

const AUDIT_HELP = `labloop audit verify <run-dir>

Checks the run directory's audit log (events.jsonl): every record chains to the one before it by hash, its
content matches its hash, sequence numbers count up, and the log reaches the head anchored in store.sqlite.
Exit 0 when intact; exit 1 with the first bad record (line, seq and what is wrong) when not.`;

const REPLAY_HELP = `labloop replay <run-dir> [options]

Re-runs a recorded campaign against fresh simulated instruments with the recorded seed and the recorded planner
proposals, on virtual time, into a new run directory, and compares the two experiment by experiment: parameters,
gate decisions, every command's parameters and outcome, status and objective values. Exit 0 when they agree,
1 with the divergences when they do not. A recording needs meta.json, campaign.yaml and events.jsonl.

Options:
  --time-scale <x>    simulated time runs x times faster than the wall clock (default 1000)
  --json              print the report as one JSON object`;

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WriteStream | (NodeJS.WritableStream & { isTTY?: boolean });
  /** A terminal on stdin means a person is there: the dashboard then keeps serving after the campaign, until Ctrl-C. */
  stdin?: { isTTY?: boolean };
}

function printHelp(io: CliIo, text: string): number {
  io.stdout.write(`${text}\n`);
  return 0;
}

function toNumber(
  flag: string,
  value: string | undefined,
  check: (n: number) => boolean,
  expected: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${flag} must be ${expected}, got "${value}"`);
  return n;
}

function runOptions(values: Record<string, string | boolean | undefined>): RunOptions {
  const brokerUrl = values.broker as string | undefined;
  if (brokerUrl !== undefined && !/^(mqtts?|wss?|tcp):\/\/[^\s]+$/.test(brokerUrl))
    throw new UsageError(`--broker must be a URL such as mqtt://127.0.0.1:1883, got "${brokerUrl}"`);
  const port = toNumber(
    'port',
    values.port as string | undefined,
    (n) => Number.isInteger(n) && n >= 0 && n < 65536,
    'an integer 0–65535',
  );
  const timeScale = toNumber(
    'time-scale',
    values['time-scale'] as string | undefined,
    (n) => n > 0,
    'a positive number',
  );
  const credentials = values.credentials as string | undefined;
  if (credentials === '')
    throw new UsageError('--credentials needs a file, or "run" for one in the run directory');
  return {
    ...(credentials === undefined
      ? {}
      : { credentials: credentials === 'run' ? (true as const) : credentials }),
    ...(brokerUrl === undefined ? {} : { brokerUrl }),
    ...(port === undefined ? {} : { port }),
    ...(timeScale === undefined ? {} : { timeScale }),
  };
}

async function execute(
  io: CliIo,
  values: Record<string, string | boolean | undefined>,
  start: (options: RunOptions) => Promise<CampaignSession>,
  options: RunOptions,
): Promise<number> {
  const live = !values.json && !values.headless && Boolean((io.stderr as { isTTY?: boolean }).isTTY);
  const bar = live ? new ProgressBar(io.stderr as NodeJS.WriteStream) : undefined;
  const abort = new AbortController();
  const onSigint = () => {
    io.stderr.write('\ninterrupted: aborting the campaign (the run directory stays resumable)\n');
    abort.abort(new Error('interrupted'));
  };
  process.once('SIGINT', onSigint);
  try {
    const session = await start({
      ...options,
      signal: abort.signal,
      ...(bar ? { onProgress: (report) => bar.update(report) } : {}),
      onNotice: (message) => io.stderr.write(`${message}\n`),
    });
    const server = values.headless
      ? undefined
      : await serveDashboard(session, values, io).catch(async (error: Error) => {
          session.act(
            { type: 'abort' },
            { who: 'runtime', why: `the dashboard could not start: ${error.message}` },
          );
          await session.done;
          throw error;
        });
    try {
      const summary = await session.done;
      bar?.end();
      io.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
      if (summary.reason === 'aborted' && !values.json)
        io.stderr.write(`resume with: labloop resume ${summary.runDir}\n`);
      // A person at a terminal keeps the dashboard to look back at the run; a script or CI job gets its exit.
      const interactive = Boolean(io.stdin?.isTTY);
      if (server && interactive && !abort.signal.aborted) {
        process.off('SIGINT', onSigint);
        io.stderr.write('the dashboard keeps showing the finished campaign; press Ctrl-C to quit\n');
        await nextInterrupt();
      }
      return summary.reason === 'error' || summary.reason === 'aborted' ? 1 : 0;
    } finally {
      await server?.close();
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * Runs the `labloop` command line and returns its exit code.
 *
 * @example
 * process.exitCode = await main(['run', 'examples/colour-mixing.yaml', '--json']);
 */
export async function main(argv: string[], io: CliIo = process): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout.write(`${HELP}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version') {
      io.stdout.write('labloop 0.1.0\n');
      return 0;
    }
    if (command === 'run') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          ...COMMON,
          ...DASHBOARD_OPTIONS,
          seed: { type: 'string' },
          'runs-dir': { type: 'string' },
        },
      });
      if (values.help) return printHelp(io, RUN_HELP);
      if (positionals.length !== 1)
        throw new UsageError(
          `run needs exactly one campaign file, got ${positionals.length}: see labloop run --help`,
        );
      const seed = toNumber(
        'seed',
        values.seed,
        (n) => Number.isInteger(n) && n >= 0,
        'a non-negative integer',
      );
      const { campaign, source } = loadCampaign(positionals[0] as string);
      return await execute(io, values, (options) => startCampaign(campaign, source, options), {
        ...runOptions(values),
        ...(seed === undefined ? {} : { seed }),
        ...(values['runs-dir'] ? { runsDir: values['runs-dir'] } : {}),
      });
    }
    if (command === 'resume') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { ...COMMON, ...DASHBOARD_OPTIONS },
      });
      if (values.help) return printHelp(io, RESUME_HELP);
      if (positionals.length !== 1)
        throw new UsageError(
          `resume needs exactly one run directory, got ${positionals.length}: see labloop resume --help`,
        );
      return await execute(
        io,
        values,
        (options) => reopenCampaign(positionals[0] as string, options),
        runOptions(values),
      );
    }
    if (command === 'validate') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { help: COMMON.help },
      });
      if (values.help) return printHelp(io, VALIDATE_HELP);
      if (positionals.length !== 1)
        throw new UsageError(`validate needs exactly one campaign file, got ${positionals.length}`);
      const { campaign } = loadCampaign(positionals[0] as string);
      const kinds = [...new Set(campaign.protocol.steps.map((s) => s.device))].join(', ');
      io.stdout.write(
        `${positionals[0]}: valid — ${campaign.space.length} parameters, ${campaign.objectives[0]?.goal} ${campaign.objectives[0]?.name}, ` +
          `${campaign.budget.experiments} experiments in batches of ${campaign.planner.batch} (${campaign.planner.strategy}) on ${kinds}\n`,
      );
      return 0;
    }
    if (command === 'replay') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { help: COMMON.help, json: COMMON.json, 'time-scale': COMMON['time-scale'] },
      });
      if (values.help) return printHelp(io, REPLAY_HELP);
      if (positionals.length !== 1)
        throw new UsageError(`replay needs exactly one run directory, got ${positionals.length}`);
      const report = await replayRun(positionals[0] as string, runOptions(values));
      if (values.json) io.stdout.write(`${JSON.stringify({ ...report, summary: undefined })}\n`);
      else if (report.divergences.length === 0)
        io.stdout.write(
          `replayed ${report.experiments} experiments of ${report.recorded}: no divergence (replay in ${report.replayRunDir})\n`,
        );
      else {
        io.stdout.write(
          `replayed ${report.experiments} experiments of ${report.recorded}: ${report.divergences.length} divergences\n`,
        );
        for (const d of report.divergences.slice(0, 20))
          io.stdout.write(
            `  experiment ${d.experiment}, ${d.what}: recorded ${JSON.stringify(d.recorded)}, replayed ${JSON.stringify(d.replayed)}\n`,
          );
      }
      return report.divergences.length === 0 ? 0 : 1;
    }
    if (command === 'audit') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { help: COMMON.help },
      });
      if (values.help) return printHelp(io, AUDIT_HELP);
      if (positionals[0] !== 'verify' || positionals.length !== 2)
        throw new UsageError('usage: labloop audit verify <run-dir> (see labloop audit --help)');
      const verdict = verifyRun(positionals[1] as string);
      if (verdict.ok) {
        const anchored =
          verdict.anchoredSeq === undefined
            ? 'no anchor in the store'
            : `anchored at record ${verdict.anchoredSeq}`;
        io.stdout.write(`audit log intact: ${verdict.records} records, hash chain unbroken, ${anchored}\n`);
        return 0;
      }
      io.stdout.write(
        `audit log TAMPERED: line ${verdict.line}${verdict.seq === undefined ? '' : ` (record ${verdict.seq})`}: ${verdict.reason}\n`,
      );
      return 1;
    }
    throw new UsageError(
      `unknown command "${command}"; expected run, resume, validate, audit or replay (labloop --help)`,
    );
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      io.stderr.write(`labloop: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ContractError) {
      io.stderr.write(`labloop: ${error.message}\n`);
      return 2;
    }
    if (error instanceof RuntimeError) {
      io.stderr.write(`labloop: ${error.name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
