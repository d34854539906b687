import { campaignTwins } from './campaign.twins.ts';
import { experimentTwins } from './experiment.twins.ts';
import type { CompileOptions } from './types.ts';

/** Where the compiled machines' tasks run: Lambda function ARNs and the experiment state machine's ARN. */
export interface CloudResources {
  planNext: string;
  policyGate: string;
  acquireDevice: string;
  dispatchCommand: string;
  evaluateOutput: string;
  operatorAwait: string;
  operatorInbox: string;
  experimentStateMachine: string;
}

/** `${name}`: a placeholder that a deployment substitutes. */
function placeholder(name: string): string {
  return `\${${name}}`;
}

/**
 * `${Substitution}` placeholders for {@link CloudResources}: the CDK app fills them in through the state
 * machine's `DefinitionSubstitutions`; the local ASL executor maps them to handlers.
 */
export const RESOURCE_PLACEHOLDERS: CloudResources = {
  planNext: placeholder('PlanNextFunctionArn'),
  policyGate: placeholder('PolicyGateFunctionArn'),
  acquireDevice: placeholder('AcquireDeviceFunctionArn'),
  dispatchCommand: placeholder('DispatchCommandFunctionArn'),
  evaluateOutput: placeholder('EvaluateOutputFunctionArn'),
  operatorAwait: placeholder('OperatorAwaitFunctionArn'),
  operatorInbox: placeholder('OperatorInboxFunctionArn'),
  experimentStateMachine: placeholder('ExperimentStateMachineArn'),
};

/** How long a device may stay silent (no `accepted`, `progress` or result) before a step counts as lost, in s. */
export const DEVICE_HEARTBEAT_SECONDS = 300;

/**
 * Compile options of `campaignMachine` for the cloud: the planner and gate are Lambdas, a batch is a Map of
 * experiment executions named after their experiment ids, operator events come through callback waits.
 */
export function campaignCompileOptions(resources: CloudResources = RESOURCE_PLACEHOLDERS): CompileOptions {
  return {
    comment: 'labloop campaign (compiled from workflows/campaign.machine.ts)',
    twins: campaignTwins,
    actors: {
      planBatch: { kind: 'task', functionArn: resources.planNext, timeoutSeconds: 120 },
      gateBatch: { kind: 'task', functionArn: resources.policyGate, timeoutSeconds: 60 },
      runBatch: {
        kind: 'map',
        items: 'proposals',
        itemInput: `{
          "campaignId": $campaignId,
          "experimentId": $item.experimentId,
          "index": $item.index,
          "parameters": $item.parameters,
          "protocol": $states.context.Execution.Input.protocol
        }`,
        executionName: '$item.experimentId',
        stateMachineArn: resources.experimentStateMachine,
        resultVariable: 'outcomes',
      },
      recordBatch: { kind: 'task', functionArn: resources.planNext, timeoutSeconds: 120 },
    },
    payloadContext: '{ "campaignId": $campaignId }',
    payloadExtras: { recordBatch: '{ "outcomes": $outcomes }' },
    operator: { awaitFunctionArn: resources.operatorAwait, inboxFunctionArn: resources.operatorInbox },
  };
}

/**
 * Compile options of `experimentMachine` for the cloud: a device step is a `.waitForTaskToken` task whose token
 * the dispatch function stores with the command; the device's result settles it.
 */
export function experimentCompileOptions(resources: CloudResources = RESOURCE_PLACEHOLDERS): CompileOptions {
  return {
    comment: 'labloop experiment (compiled from workflows/experiment.machine.ts)',
    twins: experimentTwins,
    actors: {
      acquireDevice: {
        kind: 'task',
        functionArn: resources.acquireDevice,
        // Every device of the kind is busy: wait for one, as the local pool does, but not forever.
        retry: [
          {
            ErrorEquals: ['DeviceBusy'],
            IntervalSeconds: 5,
            BackoffRate: 1.5,
            MaxDelaySeconds: 120,
            MaxAttempts: 40,
            JitterStrategy: 'FULL',
          },
        ],
      },
      deviceStep: {
        kind: 'callback',
        functionArn: resources.dispatchCommand,
        heartbeatSeconds: DEVICE_HEARTBEAT_SECONDS,
      },
      evaluateOutput: { kind: 'task', functionArn: resources.evaluateOutput },
    },
    skipActions: {
      releaseDevice:
        'device-event releases the device lease when its command settles; a lease left by a timeout expires on its own',
    },
    payloadContext: '{ "campaignId": $campaignId, "experimentId": $experimentId }',
  };
}
