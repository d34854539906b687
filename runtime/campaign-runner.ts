import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { createActor, toPromise } from 'xstate';
import {
  type Campaign,
  type Clock,
  type ParameterValues,
  ScaledClock,
  seedFrom,
} from '../contracts/index.ts';
import { EMERGENCY_STOP } from '../devices/index.ts';
import { createPlanner, type Planner, type PlannerState, restorePlanner } from '../planners/index.ts';
import { startSimulators } from '../simulators/index.ts';
import { type CampaignOutput, campaignMachine, type StopReason } from '../workflows/index.ts';
import { ApprovalDesk } from './approvals.ts';
import { type EmbeddedBroker, startBroker } from './broker.ts';
import { type BrokerAuth, brokerAuthFor, ensureLabCredentials, type LabCredentials } from './broker-auth.ts';
import { campaignActors } from './campaign-actors.ts';
import { parseCampaign } from './campaign-file.ts';
import { DeviceBus } from './device-bus.ts';
import { DevicePool } from './device-pool.ts';
import { BrokerError, OperatorActionError, RuntimeError } from './errors.ts';
import { RunDirectory } from './run-directory.ts';
import { Store } from './store.ts';

/** The summary printed at the end of a run (`labloop run --json` prints exactly this). */
export interface CampaignSummary {
  campaign: string;
  campaignId: string;
  reason: StopReason;
  error?: string;
  /** Proposals decided: succeeded + failed + rejected. */
  experiments: number;
  succeeded: number;
  failed: number;
  rejected: number;
  objective: { name: string; goal: 'maximise' | 'minimise' };
  best: { experimentId: string; parameters: ParameterValues; value: number } | null;
  seed: number;
  wallSeconds: number;
  runDir: string;
}

/** Live progress, reported on every state change and finished experiment. */
export interface CampaignProgressReport {
  state: string;
  budget: number;
  proposed: number;
  succeeded: number;
  failed: number;
  rejected: number;
  best: number | undefined;
}

/** Options of {@link runCampaign} and {@link resumeCampaign}. */
export interface RunOptions {
  /** Where run directories are created. @default 'runs' */
  runsDir?: string;
  /** Overrides the campaign file's seed. */
  seed?: number;
  /** An external broker (`mqtt://host:port`); without it an embedded broker starts. */
  brokerUrl?: string;
  /** Port of the embedded broker; 0 picks a free one. @default 1883, or a free port when 1883 is taken */
  port?: number;
  /** How many times faster than the wall clock simulated time runs. @default 1000 */
  timeScale?: number;
  /** Overrides `timeScale` with a clock of your own. */
  clock?: Clock;
  /** Overrides the generated campaign id (and so the run directory's name). */
  campaignId?: string;
  /** Wall ms to wait for the protocol's device kinds to come online. @default 15000 */
  deviceWait?: number;
  onProgress?: (report: CampaignProgressReport) => void;
  /** Prints one line for notices (a fallback port); silent by default. */
  onNotice?: (message: string) => void;
  /** Uses this planner instead of the campaign file's (a replay feeds the recorded proposals back). */
  planner?: Planner;
  /**
   * A lab credentials file (docs/security.md), or `true` for `credentials.json` in the run directory, generated on
   * the first run and read back on resume. With it the embedded broker requires a login and holds every client to
   * its own topics, and the simulated devices and the orchestrator log in with theirs.
   * @default true with the embedded broker; none with `brokerUrl`
   */
  credentials?: string | true;
  /** Aborting it aborts the campaign (running experiments are cancelled, the run directory stays resumable). */
  signal?: AbortSignal;
}

const LABLOOP_VERSION = '0.1.0';

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * Runs a campaign to its end on the local runtime: embedded (or external) MQTT broker, the campaign's simulated
 * instruments, the XState campaign machine, a SQLite store and a run directory.
 *
 * @example
 * const { campaign, source } = loadCampaign('examples/colour-mixing.yaml');
 * const summary = await runCampaign(campaign, source, { port: 0 });
 */
export async function runCampaign(
  campaign: Campaign,
  source: string,
  options: RunOptions = {},
): Promise<CampaignSummary> {
  return (await startCampaign(campaign, source, options)).done;
}

/** Resumes an interrupted campaign from its run directory; finished experiments are not run again. */
export async function resumeCampaign(
  dir: string,
  options: Omit<RunOptions, 'seed' | 'campaignId' | 'runsDir'> = {},
): Promise<CampaignSummary> {
  return (await reopenCampaign(dir, options)).done;
}

async function openBroker(
  options: RunOptions,
  auth?: BrokerAuth,
): Promise<{ url: string; broker?: EmbeddedBroker }> {
  if (options.brokerUrl) return { url: options.brokerUrl };
  try {
    const broker = await startBroker({ port: options.port ?? 1883, auth });
    return { url: broker.url, broker };
  } catch (error) {
    if (options.port !== undefined) throw error;
    const broker = await startBroker({ port: 0, auth });
    options.onNotice?.(`port 1883 is taken; the embedded broker listens on ${broker.url}`);
    return { url: broker.url, broker };
  }
}

/** Waits until every simulated device and at least one device of every kind the protocol needs is online. */
async function waitForDevices(
  bus: DeviceBus,
  kinds: string[],
  deviceIds: string[],
  wallMs: number,
): Promise<void> {
  const missing = () => [
    ...kinds.filter((kind) => bus.devicesOfKind(kind).length === 0).map((kind) => `a ${kind} device`),
    ...deviceIds.filter((id) => !bus.devices.get(id)?.online),
  ];
  const deadline = Date.now() + wallMs;
  while (missing().length > 0) {
    const left = deadline - Date.now();
    if (left <= 0)
      throw new RuntimeError(
        `${missing().join(', ')} did not come online within ${wallMs / 1000} s on lab ${bus.labId}; the protocol needs them (simulate them under simulators: or start the devices)`,
      );
    await Promise.race([once(bus, 'status'), new Promise((resolve) => setTimeout(resolve, left))]);
  }
}

/** What an operator can do to a running campaign (dashboard, API, CLI). */
export type OperatorAction =
  | { type: 'pause' | 'pause-now' | 'resume' | 'stop' | 'abort' | 'emergency-stop' }
  | { type: 'approve' | 'reject'; experimentId: string };

/** Who acts, and why; both go to the audit log. */
export interface ActedBy {
  /** e.g. `operator:alice`. */
  who: string;
  why?: string;
}

/** A campaign that is running: watch it, act on it, await its end. */
export interface CampaignSession {
  readonly campaignId: string;
  readonly campaign: Campaign;
  readonly runDir: RunDirectory;
  readonly store: Store;
  readonly bus: DeviceBus;
  readonly approvals: ApprovalDesk;
  readonly clock: Clock;
  /** The campaign machine's state: planning, gating, running, recording, paused, completed, aborted, failed. */
  state(): string;
  progress(): CampaignProgressReport;
  /** Carries out an operator action, or throws {@link OperatorActionError} saying why it is not allowed now. */
  act(action: OperatorAction, by: ActedBy): void;
  /** Resolves with the summary once the campaign has ended and everything is closed. */
  readonly done: Promise<CampaignSummary>;
}

const MACHINE_EVENTS = {
  pause: 'PAUSE',
  'pause-now': 'PAUSE_NOW',
  resume: 'RESUME',
  stop: 'STOP',
  abort: 'ABORT',
  'emergency-stop': 'ABORT',
} as const;

/** Starts a campaign and returns its session once it is running (see {@link runCampaign}). */
export async function startCampaign(
  campaign: Campaign,
  source: string,
  options: RunOptions = {},
): Promise<CampaignSession> {
  const clock = options.clock ?? new ScaledClock(options.timeScale ?? 1000);
  const seed = options.seed ?? campaign.seed ?? seedFrom(clock.now(), process.pid) % 1_000_000;
  const campaignId =
    options.campaignId ??
    `${campaign.name}-${stamp(clock.now())}-${(seedFrom(seed, clock.now(), process.pid) % 0x10000).toString(16).padStart(4, '0')}`;
  const runDir = RunDirectory.create(
    options.runsDir ?? 'runs',
    { campaignId, seed, createdAt: clock.now(), labloopVersion: LABLOOP_VERSION },
    source,
    clock,
  );
  return open({ campaign, runDir, clock, resume: false, options });
}

/** Reopens an interrupted campaign's run directory and carries on (see {@link resumeCampaign}). */
export async function reopenCampaign(
  dir: string,
  options: Omit<RunOptions, 'seed' | 'campaignId' | 'runsDir'> = {},
): Promise<CampaignSession> {
  const clock = options.clock ?? new ScaledClock(options.timeScale ?? 1000);
  const runDir = RunDirectory.open(dir, clock);
  const campaign = parseCampaign(runDir.campaignSource(), `${runDir.dir}/campaign.yaml`);
  return open({ campaign, runDir, clock, resume: true, options });
}

async function open(run: {
  campaign: Campaign;
  runDir: RunDirectory;
  clock: Clock;
  resume: boolean;
  options: RunOptions;
}): Promise<CampaignSession> {
  const { campaign, runDir, clock, resume, options } = run;
  const { campaignId, seed } = runDir.meta;
  const started = performance.now();
  const objective = campaign.objectives[0] as Campaign['objectives'][number];
  const cleanups: Array<() => Promise<void> | void> = [() => runDir.close()];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  };
  try {
    // The embedded broker always requires logins; an external broker's own security applies to it.
    const wanted = options.credentials ?? (options.brokerUrl ? undefined : true);
    const credentials: LabCredentials | undefined =
      wanted === undefined
        ? undefined
        : ensureLabCredentials(
            wanted === true ? join(runDir.dir, 'credentials.json') : wanted,
            campaign.lab,
            campaign.simulators.flatMap((s) =>
              Array.from({ length: s.count }, (_, i) => `${s.kind}-${i + 1}`),
            ),
          );
    const { url, broker } = await openBroker(options, credentials && (await brokerAuthFor(credentials)));
    if (broker) cleanups.unshift(() => broker.close());
    const lab = await startSimulators({
      brokerUrl: url,
      labId: campaign.lab,
      clock,
      seed,
      simulators: campaign.simulators,
      journalDir: runDir.journalDir,
      credentials: credentials?.devices,
      // At least 2 wall seconds between heartbeats however fast simulated time runs: cheap, and a broker restart or
      // a reconnect (about a second) does not look like a dead device.
      heartbeat: Math.max(30, clock instanceof ScaledClock ? 2 * clock.speed : 0),
    });
    cleanups.unshift(() => lab.stop());
    const bus = await DeviceBus.connect({
      url,
      labId: campaign.lab,
      clock,
      clientId: `labloop-${campaignId}`,
      ...credentials?.orchestrator,
    }).catch((error: Error) => {
      throw new BrokerError(error.message, { cause: error });
    });
    cleanups.unshift(() => bus.close());
    bus.on('event', (event) =>
      runDir.append({ type: 'device.event', event }, clock.now(), `device:${event.deviceId}`),
    );
    bus.on('status', (device) =>
      runDir.append(
        {
          type: 'device.status',
          deviceId: device.deviceId,
          state: !device.online ? 'offline' : device.lost ? 'lost' : 'online',
        },
        clock.now(),
        `device:${device.deviceId}`,
      ),
    );
    await waitForDevices(
      bus,
      [...new Set(campaign.protocol.steps.map((s) => s.device))],
      lab.devices.map((d) => d.deviceId),
      options.deviceWait ?? 15_000,
    );

    const store = new Store(runDir.storeFile);
    cleanups.push(() => {
      runDir.writeResults(campaign, store.resultRows(campaignId));
      store.anchorAudit(campaignId, runDir.log.head());
      store.close();
    });
    if (!resume)
      store.createCampaign({
        id: campaignId,
        name: campaign.name,
        lab: campaign.lab,
        spec: campaign,
        seed,
        createdAt: clock.now(),
      });
    const saved = resume ? store.plannerState(campaignId) : undefined;
    const planner =
      options.planner ??
      (saved
        ? restorePlanner(saved as PlannerState)
        : createPlanner({
            space: campaign.space,
            objectives: campaign.objectives,
            constraints: campaign.constraints,
            planner: campaign.planner,
            seed,
          }));

    const approvals = new ApprovalDesk(clock);
    const workflowVersion = `labloop@${LABLOOP_VERSION}+${createHash('sha256').update(JSON.stringify(campaign.protocol)).digest('hex').slice(0, 12)}`;
    const machine = campaignMachine.provide({
      actors: campaignActors({
        campaign,
        campaignId,
        workflowVersion,
        store,
        runDir,
        bus,
        pool: new DevicePool(bus, clock),
        planner,
        approvals,
        clock,
      }),
    });
    const snapshot = resume ? store.snapshot(campaignId) : undefined;
    const actor = createActor(machine, {
      clock,
      input: { campaignId, budget: campaign.budget, batchSize: campaign.planner.batch, objective },
      ...(snapshot ? { snapshot: snapshot as never } : {}),
    });
    const progress = (): CampaignProgressReport => {
      const state = actor.getSnapshot();
      const c = state.context;
      return {
        state: String(state.value),
        budget: campaign.budget.experiments,
        proposed: c.proposed,
        succeeded: c.succeeded,
        failed: c.failed,
        rejected: c.rejected,
        best: c.best?.value,
      };
    };
    let lastState = '';
    actor.subscribe((state) => {
      store.saveSnapshot(campaignId, actor.getPersistedSnapshot(), clock.now());
      const name = String(state.value);
      if (name !== lastState) {
        lastState = name;
        runDir.append({ type: 'campaign.state', state: name }, clock.now(), 'runtime');
      }
      options.onProgress?.(progress());
    });
    runDir.append(
      resume
        ? {
            type: 'campaign.resumed',
            campaignId,
            state: snapshot ? String((snapshot as { value: unknown }).value) : 'start',
          }
        : { type: 'campaign.started', campaignId, name: campaign.name, seed },
      clock.now(),
      'runtime',
    );

    /** Emergency stops and interrupts in flight: the session stays open until every device has answered. */
    const requests: Array<Promise<unknown>> = [];
    const unconfirmed = (what: string) => (error: Error) =>
      options.onNotice?.(`${what} was not confirmed: ${error.message}`);
    /** Pause now and abort stop the commands of the cancelled experiments at their devices. */
    const interruptRunning = () => {
      for (const { deviceId, commandId } of store.commandsInFlight(campaignId))
        requests.push(
          bus.interrupt(deviceId, commandId).catch(unconfirmed(`interrupt of ${commandId} on ${deviceId}`)),
        );
    };
    const act = (action: OperatorAction, by: ActedBy): void => {
      const experimentId = 'experimentId' in action ? action.experimentId : undefined;
      // The action is recorded before what it causes, so the audit log reads in cause-and-effect order.
      const record = () =>
        runDir.append(
          { type: 'operator.action', action: action.type, ...(experimentId ? { experimentId } : {}) },
          clock.now(),
          by.who,
          by.why,
        );
      if (action.type === 'emergency-stop') {
        record();
        // Every device of the lab, whatever the campaign's state: halting is always allowed.
        for (const device of bus.devices.values())
          if (device.online)
            requests.push(
              bus
                .sendReserved(device.deviceId, EMERGENCY_STOP)
                .catch(unconfirmed(`emergency stop of ${device.deviceId}`)),
            );
        if (actor.getSnapshot().status === 'active') actor.send({ type: 'ABORT' });
      } else if (action.type === 'approve' || action.type === 'reject') {
        approvals.decide(
          action.experimentId,
          action.type === 'approve' ? 'approved' : 'rejected',
          by.who,
          by.why,
        );
        record();
      } else {
        const state = actor.getSnapshot();
        const event = { type: MACHINE_EVENTS[action.type] };
        if (state.status !== 'active' || !state.can(event))
          throw new OperatorActionError(
            `cannot ${action.type} the campaign while it is ${String(state.value)}`,
          );
        if (action.type === 'pause' && state.context.pauseRequested)
          throw new OperatorActionError(
            'a pause is already requested; it takes effect at the next safe point',
          );
        if (action.type === 'stop' && state.context.stopRequested)
          throw new OperatorActionError(
            'a stop is already requested; it takes effect after the running batch',
          );
        record();
        actor.send(event);
        if (action.type === 'pause-now' || action.type === 'abort') interruptRunning();
      }
    };
    const onAbort = () => {
      if (actor.getSnapshot().status === 'active')
        act({ type: 'abort' }, { who: 'runtime', why: String(options.signal?.reason ?? 'aborted') });
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    actor.start();
    if (options.signal?.aborted) onAbort();

    const done = (async (): Promise<CampaignSummary> => {
      try {
        const output: CampaignOutput = await toPromise(actor);
        options.signal?.removeEventListener('abort', onAbort);
        await Promise.all(requests);
        // Progress is recomputed from the store: it also counts experiments finished before a resume.
        const totals = store.progress(campaignId, objective);
        const summary: CampaignSummary = {
          campaign: campaign.name,
          campaignId,
          reason: output.reason,
          ...(output.error === undefined ? {} : { error: output.error }),
          experiments: totals.succeeded + totals.failed + totals.rejected,
          succeeded: totals.succeeded,
          failed: totals.failed,
          rejected: totals.rejected,
          objective: { name: objective.name, goal: objective.goal },
          best: totals.best ?? null,
          seed,
          wallSeconds: Math.round((performance.now() - started) / 10) / 100,
          runDir: runDir.dir,
        };
        const status =
          output.reason === 'error' ? 'failed' : output.reason === 'aborted' ? 'aborted' : 'completed';
        store.finishCampaign(campaignId, status, summary, clock.now());
        runDir.append(
          {
            type: 'campaign.finished',
            reason: output.reason,
            ...(output.error ? { error: output.error } : {}),
          },
          clock.now(),
          'runtime',
        );
        return summary;
      } finally {
        await cleanUp();
      }
    })();
    return {
      campaignId,
      campaign,
      runDir,
      store,
      bus,
      approvals,
      clock,
      state: () => String(actor.getSnapshot().value),
      progress,
      act,
      done,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
