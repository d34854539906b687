/**
 * `npm run bench:cloud` — what the cloud path weighs and costs, measured offline.
 *
 * 1. Bundles: every Lambda of `infra/constructs/lambda-functions.ts`, bundled as `NodejsFunction` bundles it
 *    (esbuild: ESM, minified, node22, `@aws-sdk/*` left to the runtime, the createRequire banner); size of the
 *    minified `index.mjs` (the source map is not deployed in the zip's size budget).
 * 2. Cold import: a fresh `node` process imports each bundle (handler module top level: config parsing, clients,
 *    Powertools); the median of `--runs` processes. This machine runs Node 20; Lambda runs nodejs22.x on arm64.
 * 3. State transitions: the compiled campaign and experiment ASL run in the local ASL executor
 *    (`test/cloud/asl-executor.ts`) with scripted task results (every proposal approved, every step answered at
 *    once, values off target so the budget is spent); transitions of the campaign execution (its Map iterations
 *    included) plus every experiment execution, per experiment, as Step Functions Standard bills them.
 * 4. Cost per 1,000 experiments from the prices in {@link PRICES} and the counts above; what is assumed rather
 *    than counted (Lambda durations, device events per step, connected minutes) is in {@link ASSUMED}.
 *
 * Prints a table and writes bench-results/cloud.json. Options: --runs N (default 5), --experiments N (default
 * 96), --campaign path (default examples/colour-mixing.yaml).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { parse } from 'yaml';
import { type Campaign, CampaignSchema, createRng, ScaledClock } from '../contracts/index.ts';
import { FUNCTION_NAMES, FUNCTION_SIZES, type FunctionName } from '../infra/constructs/lambda-functions.ts';
import { AslExecutor, type TaskHandler } from '../test/cloud/asl-executor.ts';
import {
  type AslDefinition,
  campaignCompileOptions,
  compileMachine,
  experimentCompileOptions,
  RESOURCE_PLACEHOLDERS,
} from '../workflows/asl/index.ts';
import { campaignMachine, evaluateOutputValues, experimentMachine } from '../workflows/index.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    experiments: { type: 'string', default: '96' },
    campaign: { type: 'string', default: 'examples/colour-mixing.yaml' },
  },
});
const runs = Number(values.runs);
const budget = Number(values.experiments);

/**
 * List prices, US East (N. Virginia), from the AWS pricing pages (aws.amazon.com/step-functions/pricing,
 * /lambda/pricing, /iot-core/pricing). The Step Functions price was re-read from a stored copy of its page in
 * November 2026; the others are the list prices published since 2023 and were not re-checked online from this
 * offline machine. Free tiers are left out (they would make small labs look free).
 */
export const PRICES = {
  region: 'us-east-1',
  asOf: '2026-11 (Step Functions re-read); Lambda and IoT Core as published 2023–2025',
  stepFunctionsPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1e6,
  lambdaArmPerGbSecond: 0.0000133334,
  iotPerMessage: 1.0 / 1e6,
  iotPerRuleTriggered: 0.15 / 1e6,
  iotPerActionApplied: 0.15 / 1e6,
  iotPerConnectedMinute: 0.08 / 1e6,
};

/** What the cost model assumes instead of counting: change these and the numbers follow. */
export const ASSUMED = {
  /** Billed duration of one invocation, ms: DynamoDB and IoT round trips for most; planner work for plan-next. */
  durationMs: { default: 60, 'plan-next': 400 } as Record<string, number>,
  /** Share of invocations that are cold starts (Lambda bills the INIT phase). */
  coldStartShare: 0.05,
  /** Device events per step that reach IoT Core: `accepted` and the result (progress events are optional). */
  eventsPerStep: 2,
  /**
   * IoT Core messages per device step besides the events: the command published over HTTPS by dispatch-command,
   * its delivery to the device, and the device's PUBACK (MQTT 3.1.1 PUBACKs from devices are metered as messages).
   */
  commandMessagesPerStep: 3,
  /** Minutes one experiment keeps its devices busy, and devices connected while the campaign runs. */
  minutesPerExperiment: 5,
  connectedDevices: 2,
  /** Telemetry messages per connected device and minute: the agent's default heartbeat is one per 5 s. */
  telemetryPerMinute: 12,
};

const root = resolve(import.meta.dirname, '..');
const outDir = join(root, 'bench-results', 'cloud');

interface BundleRow {
  name: FunctionName;
  bytes: number;
  coldImportMs: number;
}

async function bundle(name: FunctionName): Promise<{ file: string; bytes: number }> {
  const file = join(outDir, name, 'index.mjs');
  const result = await build({
    entryPoints: [join(root, 'functions', name, 'handler.ts')],
    outfile: file,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'silent',
    write: false,
  });
  const bytes = (result.outputFiles[0] as { contents: Uint8Array }).contents;
  mkdirSync(join(outDir, name), { recursive: true });
  writeFileSync(file, bytes);
  return { file, bytes: bytes.length };
}

/** A fresh node process imports the bundle; the time of the `import()` alone, in ms. */
function coldImport(file: string): number {
  const env = {
    PATH: process.env.PATH ?? '',
    // The AWS SDK warns about Node 20 on every import; the warning is not what is measured.
    NODE_NO_WARNINGS: '1',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'labloop-bench',
    IDEMPOTENCY_TABLE_NAME: 'labloop-bench-idempotency',
    LAB_ID: 'bench',
    CAMPAIGN_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:bench-campaign',
    EXPERIMENT_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:bench-experiment',
    DEVICE_POLICY_NAME: 'bench-device-policy',
    POWERTOOLS_METRICS_NAMESPACE: 'labloop',
  };
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const samples = Array.from({ length: runs }, () =>
    Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' })),
  ).sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

interface TransitionResult {
  batch: number;
  experiments: number;
  campaignTransitions: number;
  experimentTransitions: number;
  perExperiment: number;
  /** Lambda invocations by function, per experiment (device-event excluded: it is fed by IoT, not by the ASL). */
  invocations: Partial<Record<FunctionName, number>>;
  steps: number;
  status: string;
}

const RESOURCE_FUNCTIONS: Record<string, FunctionName> = {
  [RESOURCE_PLACEHOLDERS.planNext]: 'plan-next',
  [RESOURCE_PLACEHOLDERS.policyGate]: 'policy-gate',
  [RESOURCE_PLACEHOLDERS.acquireDevice]: 'acquire-device',
  [RESOURCE_PLACEHOLDERS.dispatchCommand]: 'dispatch-command',
  [RESOURCE_PLACEHOLDERS.evaluateOutput]: 'evaluate-output',
  [RESOURCE_PLACEHOLDERS.operatorAwait]: 'operator-await',
  [RESOURCE_PLACEHOLDERS.operatorInbox]: 'operator-inbox',
};

/** Runs one campaign through the compiled ASL with scripted task results and counts what Step Functions bills. */
async function transitions(campaign: Campaign, batch: number): Promise<TransitionResult> {
  const campaignAsl = compileMachine(campaignMachine, campaignCompileOptions()).definition;
  const experimentAsl = compileMachine(experimentMachine, experimentCompileOptions()).definition;
  const campaignId = 'bench';
  const calls: Partial<Record<FunctionName, number>> = {};
  const ids: string[] = [];
  let proposed = 0;
  let executor: AslExecutor | undefined;
  const lambda: Record<string, TaskHandler> = {
    [RESOURCE_PLACEHOLDERS.planNext]: async (payload) => {
      const p = payload as { actor: string; input: { count?: number } };
      if (p.actor === 'recordBatch')
        return { proposed, succeeded: proposed, failed: 0, rejected: 0, best: undefined };
      return Array.from({ length: p.input.count ?? 0 }, () => {
        proposed += 1;
        const experimentId = `${campaignId}-e${String(proposed).padStart(4, '0')}`;
        ids.push(experimentId);
        const parameters = Object.fromEntries(campaign.space.map((d) => [d.name, 'low' in d ? d.low : 0]));
        return {
          experimentId,
          campaignId,
          index: proposed,
          batch: 0,
          parameters,
          strategy: 'sobol',
          proposedAt: 0,
        };
      });
    },
    [RESOURCE_PLACEHOLDERS.policyGate]: async (payload) => ({
      approved: (payload as { input: { proposals: unknown[] } }).input.proposals,
      rejections: [],
    }),
    [RESOURCE_PLACEHOLDERS.operatorInbox]: async () => ({ events: [] }),
    [RESOURCE_PLACEHOLDERS.acquireDevice]: async (payload) => ({
      deviceId: `${(payload as { input: { kind: string } }).input.kind}-1`,
    }),
    [RESOURCE_PLACEHOLDERS.dispatchCommand]: async (payload) => {
      // The device answers at once: `result` settles the token, as device-event does with SendTaskSuccess.
      const token = (payload as { taskToken: string }).taskToken;
      queueMicrotask(() =>
        executor?.sendTaskSuccess(token, {
          output: { ok: true, r: 0.3, g: 0.3, b: 0.3, value: 1 },
          firmware: '1.0',
        }),
      );
      return {};
    },
    [RESOURCE_PLACEHOLDERS.evaluateOutput]: async (payload) => {
      const { input } = payload as { input: { expression: string; scope: never } };
      return evaluateOutputValues(input.expression, input.scope);
    },
  };
  const resources = Object.fromEntries(
    Object.entries(lambda).map(([arn, handler]) => [
      arn,
      (async (payload, context) => {
        const name = RESOURCE_FUNCTIONS[arn] as FunctionName;
        calls[name] = (calls[name] ?? 0) + 1;
        return handler(payload, context);
      }) satisfies TaskHandler,
    ]),
  );
  executor = new AslExecutor({
    clock: new ScaledClock(1e6),
    rng: createRng(1),
    resources,
    stateMachines: { [RESOURCE_PLACEHOLDERS.experimentStateMachine]: experimentAsl as AslDefinition },
  });
  const objective = campaign.objectives[0] as Campaign['objectives'][number];
  const run = await executor.start(
    campaignAsl,
    {
      campaignId,
      budget: { experiments: budget },
      batchSize: batch,
      // No target: every run spends the whole budget, so runs of different batch sizes compare.
      objective: { name: objective.name, goal: objective.goal },
      protocol: campaign.protocol,
    },
    campaignId,
  );
  let experimentTransitions = 0;
  const children = executor.list(RESOURCE_PLACEHOLDERS.experimentStateMachine);
  for (const id of ids) {
    // One execution per experiment: no batch ran twice.
    const runs = children.filter((c) => (c.input as { experimentId?: string }).experimentId === id);
    const summary = runs[0];
    if (!summary || runs.length > 1)
      throw new Error(`experiment ${id} ran in ${runs.length} executions, expected 1`);
    const child = await executor.describe(summary.executionArn).done;
    if (child?.status !== 'SUCCEEDED')
      throw new Error(`experiment ${id} ended ${child?.status}: ${child?.cause}`);
    experimentTransitions += child.transitions;
  }
  if (run.status !== 'SUCCEEDED' || ids.length !== budget)
    throw new Error(`the campaign ended ${run.status} after ${ids.length} experiments: ${run.cause ?? ''}`);
  return {
    batch,
    experiments: ids.length,
    campaignTransitions: run.transitions,
    experimentTransitions,
    perExperiment: (run.transitions + experimentTransitions) / ids.length,
    invocations: Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, v / ids.length])),
    steps: campaign.protocol.steps.length,
    status: run.status,
  };
}

/** Dollars per 1,000 experiments, by line, from the counted transitions and invocations and the assumptions. */
function costPer1000(t: TransitionResult, bundles: BundleRow[]) {
  const n = 1000;
  const memoryGb = (name: FunctionName) => (FUNCTION_SIZES[name]?.memorySize ?? 256) / 1024;
  const invocations: Partial<Record<FunctionName, number>> = {
    ...t.invocations,
    'device-event': ASSUMED.eventsPerStep * t.steps,
  };
  let requests = 0;
  let gbSeconds = 0;
  for (const [name, perExperiment] of Object.entries(invocations) as [FunctionName, number][]) {
    const count = perExperiment * n;
    const ms = ASSUMED.durationMs[name] ?? (ASSUMED.durationMs.default as number);
    const init = bundles.find((b) => b.name === name)?.coldImportMs ?? 0;
    requests += count;
    gbSeconds += count * memoryGb(name) * ((ms + ASSUMED.coldStartShare * init) / 1000);
  }
  // Connected device-minutes while 1,000 experiments run, `batch` at a time.
  const minutes = (n * ASSUMED.minutesPerExperiment * ASSUMED.connectedDevices) / t.batch;
  const messages =
    n * t.steps * (ASSUMED.commandMessagesPerStep + ASSUMED.eventsPerStep) +
    minutes * ASSUMED.telemetryPerMinute;
  const rules = n * t.steps * ASSUMED.eventsPerStep;
  const lines = {
    stepFunctions: t.perExperiment * n * PRICES.stepFunctionsPerTransition,
    lambdaRequests: requests * PRICES.lambdaPerRequest,
    lambdaDuration: gbSeconds * PRICES.lambdaArmPerGbSecond,
    iotMessages: messages * PRICES.iotPerMessage,
    iotRules: rules * (PRICES.iotPerRuleTriggered + PRICES.iotPerActionApplied),
    iotConnectivity: minutes * PRICES.iotPerConnectedMinute,
  };
  const total = Object.values(lines).reduce((a, b) => a + b, 0);
  return {
    lines,
    total,
    counts: { transitions: t.perExperiment * n, requests, gbSeconds, messages, rules, minutes },
  };
}

rmSync(outDir, { recursive: true, force: true });
const campaign = CampaignSchema.parse(parse(readFileSync(resolve(root, values.campaign), 'utf8')));
const bundles: BundleRow[] = [];
for (const name of FUNCTION_NAMES) {
  const { file, bytes } = await bundle(name);
  bundles.push({ name, bytes, coldImportMs: coldImport(file) });
}
const batches = [...new Set([1, campaign.planner.batch, 8])].sort((a, b) => a - b);
const runsByBatch: TransitionResult[] = [];
for (const batch of batches) runsByBatch.push(await transitions(campaign, batch));
const main = runsByBatch.find((r) => r.batch === campaign.planner.batch) as TransitionResult;
const cost = costPer1000(main, bundles);

const KB = 1024;
console.log(
  `\nlabloop bench:cloud — node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}, ${runs} cold imports per bundle, ${budget} experiments of ${campaign.name}\n`,
);
console.log(`${'function'.padEnd(18)}${'bundle'.padStart(10)}${'cold import'.padStart(14)}  ≤ 300 KB`);
for (const b of bundles)
  console.log(
    `${b.name.padEnd(18)}${`${(b.bytes / KB).toFixed(1)} KB`.padStart(10)}${`${b.coldImportMs.toFixed(0)} ms`.padStart(14)}  ${b.bytes <= 300 * KB ? 'yes' : 'NO'}`,
  );
console.log(
  `\n${'batch'.padEnd(8)}${'campaign'.padStart(10)}${'experiments'.padStart(13)}${'per experiment'.padStart(16)}  ≤ 25`,
);
for (const r of runsByBatch)
  console.log(
    `${String(r.batch).padEnd(8)}${String(r.campaignTransitions).padStart(10)}${String(r.experimentTransitions).padStart(13)}${r.perExperiment.toFixed(2).padStart(16)}  ${r.perExperiment <= 25 ? 'yes' : 'NO'}`,
  );
console.log(`\ncost per 1,000 experiments (batch ${main.batch}, ${main.steps} steps each, ${PRICES.region})`);
for (const [line, dollars] of Object.entries(cost.lines))
  console.log(`  ${line.padEnd(18)}$${dollars.toFixed(4)}`);
console.log(`  ${'total'.padEnd(18)}$${cost.total.toFixed(4)}   ≤ $2: ${cost.total <= 2 ? 'yes' : 'NO'}`);

mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(
  join(root, 'bench-results', 'cloud.json'),
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      node: process.version,
      load: loadavg(),
      campaign: campaign.name,
      bundles: bundles.map((b) => ({ ...b, kb: b.bytes / KB, underTarget: b.bytes <= 300 * KB })),
      transitions: runsByBatch,
      cost: { per1000Experiments: cost, prices: PRICES, assumed: ASSUMED },
      targets: { bundleKb: 300, transitionsPerExperiment: 25, dollarsPer1000: 2 },
    },
    null,
    2,
  )}\n`,
);
console.log('\nwrote bench-results/cloud.json (bundles in bench-results/cloud/)');
