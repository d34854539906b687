import type net from 'node:net';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import mqtt, { type MqttClient } from 'mqtt';
import {
  type Campaign,
  type Clock,
  createRng,
  type DeviceEvent,
  DeviceStatusSchema,
  parseWith,
  ScaledClock,
  systemClock,
} from '../../contracts/index.ts';
import { labFilter, parseDeviceTopic } from '../../devices/index.ts';
import { acquireDevice } from '../../functions/acquire-device/core.ts';
import type { CampaignApiDeps } from '../../functions/campaign-api/start.ts';
import { type DeviceEventResult, handleDeviceEvent } from '../../functions/device-event/core.ts';
import { dispatchCommand } from '../../functions/dispatch-command/core.ts';
import { evaluateOutput } from '../../functions/evaluate-output/core.ts';
import { awaitOperator } from '../../functions/operator-await/core.ts';
import { takeInbox } from '../../functions/operator-inbox/core.ts';
import { planNext } from '../../functions/plan-next/core.ts';
import { gateBatch } from '../../functions/policy-gate/core.ts';
import { DeviceEventSchema } from '../../functions/shared/contracts.mini.ts';
import { recordKind } from '../../functions/shared/devices.ts';
import { type ExperimentItem, experimentItems } from '../../functions/shared/experiment-items.ts';
import { keys } from '../../functions/shared/table.ts';
import { type TaskPayload, TaskPayloadSchema } from '../../functions/shared/task-payload.ts';
import { type SimulatedLab, startSimulators } from '../../simulators/index.ts';
import {
  campaignCompileOptions,
  compileMachine,
  experimentCompileOptions,
  RESOURCE_PLACEHOLDERS,
} from '../../workflows/asl/index.ts';
import { campaignMachine, experimentMachine } from '../../workflows/index.ts';
import { startTestBroker, type TestBroker } from '../support/broker.ts';
import { AslExecutor, type ExecutionResult, type TaskHandler } from './asl-executor.ts';
import {
  type LocalDynamo,
  localIotCore,
  localStepFunctions,
  startLocalDynamo,
  type TokenCall,
} from './local-aws.ts';

const campaignAsl = compileMachine(campaignMachine, campaignCompileOptions());
const experimentAsl = compileMachine(experimentMachine, experimentCompileOptions());
/** The campaign state machine's ARN in the cloud-shaped lab (the experiment's is its placeholder, as the Map names it). */
const CAMPAIGN_STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:labloop-campaign';

/** Options of {@link startCloudLab}. */
export interface CloudLabOptions {
  /** The campaign file whose simulators form the lab and whose lab id the topics use. */
  campaign: Campaign;
  /** Seeds the simulators (and the executor's retry jitter), as the local runner seeds them. */
  seed: number;
  /** Simulated seconds per wall second. @default 1000 */
  timeScale?: number;
  /** Delivers every device event twice, as IoT Core's rule and SQS may (at-least-once). @default false */
  duplicateEvents?: boolean;
}

/** One device event as the device-event function saw it, and what it made of it. */
export interface HandledEvent {
  event: DeviceEvent;
  result: DeviceEventResult;
}

/** A cloud-shaped lab: the compiled workflows on the local executor, the real function cores, local AWS stand-ins. */
export interface CloudLab {
  readonly dynamo: LocalDynamo;
  readonly broker: TestBroker;
  readonly lab: SimulatedLab;
  readonly executor: AslExecutor;
  readonly clock: Clock;
  /** The Step Functions client the cores use; its task-token calls reach {@link executor}. */
  readonly sfn: SFNClient;
  /** What campaign-api's core works with here: this lab's table, executor, broker (as IoT Core) and lab id. */
  readonly api: CampaignApiDeps;
  /** Every `SendTask*` call the cores made, and whether the token was still waiting. */
  readonly tokenCalls: TokenCall[];
  /** Every device event fed to device-event, in order. */
  readonly events: HandledEvent[];
  /** Errors a core threw outside a workflow task (device-event, the registry feed); a run must end with none. */
  readonly errors: Error[];
  /**
   * Queues an operator event as campaign-api does (the next `eventSeq` of the campaign's `META` item, then the
   * `EVENT#` item), for operator-inbox, operator-await and policy-gate to read.
   */
  queueEvent(
    campaignId: string,
    event: { type: string; experimentId?: string; by?: string; why?: string },
  ): Promise<number>;
  /** Starts the campaign's execution (named after the campaign id) and resolves when it ends. */
  run(campaignId: string): Promise<{ execution: ExecutionResult; experiments: ExperimentItem[] }>;
  close(): Promise<void>;
}

/** A Lambda's invocation as the executor makes it: the task payload parsed as the handler parses it, then the core. */
function lambda(name: string, core: (payload: TaskPayload) => Promise<unknown>): TaskHandler {
  return (payload) => core(parseWith(TaskPayloadSchema, payload, `${name} task payload`));
}

/**
 * Starts a lab shaped like the cloud deployment, in one process: dynalite as DynamoDB, aedes as IoT Core's broker,
 * the compiled campaign and experiment state machines on {@link AslExecutor} (Step Functions), the real cores of
 * every function as their Lambdas, and the campaign's simulated instruments on the broker. What IoT rules do in
 * the cloud is done by one MQTT client here: device status → the device registry items, device events →
 * device-event's core (one at a time, as an SQS batch of one).
 */
export async function startCloudLab(options: CloudLabOptions): Promise<CloudLab> {
  const { campaign } = options;
  const clock = new ScaledClock(options.timeScale ?? 1000);
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  try {
    const dynamo = await startLocalDynamo();
    closers.push(() => dynamo.close());
    const broker = await startTestBroker();
    closers.push(() => broker.close());
    const { db, table } = dynamo;
    let executor: AslExecutor | undefined;
    const { sfn, calls: tokenCalls } = localStepFunctions(() => executor as AslExecutor);
    const iot = localIotCore(broker.aedes);
    const base = { db, table, clock };

    const resources: Record<string, TaskHandler> = {
      [RESOURCE_PLACEHOLDERS.planNext]: lambda('plan-next', (p) => planNext(p, base)),
      [RESOURCE_PLACEHOLDERS.policyGate]: lambda('policy-gate', (p) => gateBatch(p, base)),
      [RESOURCE_PLACEHOLDERS.acquireDevice]: lambda('acquire-device', (p) =>
        acquireDevice(p, { ...base, leaseSeconds: 7200 }),
      ),
      [RESOURCE_PLACEHOLDERS.dispatchCommand]: lambda('dispatch-command', (p) =>
        dispatchCommand(p, { ...base, iot, sfn, labId: campaign.lab }),
      ),
      [RESOURCE_PLACEHOLDERS.evaluateOutput]: lambda('evaluate-output', (p) => evaluateOutput(p)),
      [RESOURCE_PLACEHOLDERS.operatorAwait]: lambda('operator-await', (p) =>
        awaitOperator(p, { db, sfn, table }),
      ),
      [RESOURCE_PLACEHOLDERS.operatorInbox]: lambda('operator-inbox', (p) => takeInbox(p, { db, table })),
    };
    executor = new AslExecutor({
      clock,
      // A function's own run time is wall time, however fast the lab's clock runs.
      taskClock: systemClock,
      rng: createRng(options.seed),
      resources,
      stateMachines: {
        [CAMPAIGN_STATE_MACHINE]: campaignAsl.definition,
        [RESOURCE_PLACEHOLDERS.experimentStateMachine]: experimentAsl.definition,
      },
    });
    const api: CampaignApiDeps = {
      db,
      sfn,
      iot,
      table,
      labId: campaign.lab,
      campaignStateMachineArn: CAMPAIGN_STATE_MACHINE,
      experimentStateMachineArn: RESOURCE_PLACEHOLDERS.experimentStateMachine,
      clock,
    };

    // The IoT rules: device status → registry, device events → device-event.
    const errors: Error[] = [];
    const events: HandledEvent[] = [];
    const online = new Set<string>();
    let lab: SimulatedLab | undefined;
    let chain: Promise<unknown> = Promise.resolve();
    const serially = (work: () => Promise<unknown>) => {
      chain = chain.then(work).catch((error: Error) => errors.push(error));
    };
    const inFlight = new Set<Promise<unknown>>();
    const track = (work: () => Promise<unknown>) => {
      const running = work().catch((error: Error) => errors.push(error));
      inFlight.add(running);
      void running.finally(() => inFlight.delete(running));
    };
    const settle = async () => {
      await chain;
      while (inFlight.size > 0) await Promise.all(inFlight);
    };
    const rules: MqttClient = await mqtt.connectAsync(broker.url, {
      clientId: 'iot-rules',
      reconnectPeriod: 0,
    });
    (rules.stream as net.Socket).setNoDelay(true);
    closers.push(() => rules.endAsync());
    rules.on('message', (topic, payload) => {
      const where = parseDeviceTopic(topic);
      if (!where) return;
      if (where.channel === 'status') {
        if (payload.length === 0) return;
        const status = parseWith(
          DeviceStatusSchema,
          JSON.parse(payload.toString('utf8')),
          `status on ${topic}`,
        );
        serially(async () => {
          if (status.state === 'online') {
            await db.send(
              new PutCommand({
                TableName: table,
                Item: {
                  ...keys.device(status.descriptor.kind, status.deviceId),
                  deviceId: status.deviceId,
                  kind: status.descriptor.kind,
                  online: true,
                  descriptor: JSON.parse(JSON.stringify(status.descriptor)),
                },
              }),
            );
            // register-device records the kind before a device can connect; the stand-in does it here.
            await recordKind(db, table, status.descriptor.kind);
            online.add(status.deviceId);
          } else {
            const kind = lab?.devices.find((d) => d.deviceId === status.deviceId)?.kind;
            online.delete(status.deviceId);
            if (kind)
              await db.send(
                new UpdateCommand({
                  TableName: table,
                  Key: keys.device(kind, status.deviceId),
                  UpdateExpression: 'SET online = :false',
                  ExpressionAttributeValues: { ':false': false },
                }),
              );
          }
        });
      } else if (where.channel === 'events') {
        const event = parseWith(DeviceEventSchema, JSON.parse(payload.toString('utf8')), `event on ${topic}`);
        // Each event is its own invocation, concurrent with the others, as SQS feeds a Lambda.
        for (let copy = 0; copy < (options.duplicateEvents ? 2 : 1); copy++)
          track(async () => {
            events.push({ event, result: await handleDeviceEvent(event, { db, sfn, table }) });
          });
      }
    });
    await rules.subscribeAsync(
      ['status', 'events'].map((channel) => labFilter(campaign.lab, channel as 'status')),
      { qos: 1 },
    );

    lab = await startSimulators({
      brokerUrl: broker.url,
      labId: campaign.lab,
      clock,
      seed: options.seed,
      simulators: campaign.simulators,
      heartbeat: Math.max(30, 2 * clock.speed),
    });
    const started = lab;
    closers.push(() => started.stop());
    const deadline = Date.now() + 10_000;
    while (started.devices.some((d) => !online.has(d.deviceId))) {
      if (Date.now() > deadline)
        throw new Error(
          `devices ${started.devices.map((d) => d.deviceId).join(', ')} did not all register within 10 s; online: ${[...online].join(', ')}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await chain;

    return {
      dynamo,
      broker,
      lab: started,
      executor,
      clock,
      sfn,
      api,
      tokenCalls,
      events,
      errors,
      async queueEvent(campaignId, event) {
        const counter = await db.send(
          new UpdateCommand({
            TableName: table,
            Key: keys.campaign(campaignId),
            UpdateExpression: 'ADD eventSeq :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':one': 1 },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        const seq = Number(counter.Attributes?.eventSeq);
        await db.send(
          new PutCommand({
            TableName: table,
            Item: { ...keys.operatorEvent(campaignId, seq), ...event, seq, at: clock.now() },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return seq;
      },
      async run(campaignId) {
        // What campaign-api's start does: the campaign's META item, then an execution named after the campaign.
        await db.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...keys.campaign(campaignId),
              campaignId,
              spec: JSON.parse(JSON.stringify(campaign)),
              seed: options.seed,
              startedAt: clock.now(),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        const objective = campaign.objectives[0];
        const execution = await (executor as AslExecutor).start(
          campaignAsl.definition,
          {
            campaignId,
            budget: campaign.budget,
            batchSize: campaign.planner.batch,
            objective,
            protocol: campaign.protocol,
          },
          campaignId,
        );
        await settle();
        return { execution, experiments: await experimentItems(db, table, campaignId) };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
