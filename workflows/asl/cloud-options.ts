import { campaignTwins } from './campaign.twins.ts';
import { EXPERIMENT_EXECUTION_NAME } from './execution-names.ts';
import { experimentTwins } from './experiment.twins.ts';
import type { AslRetrier, CompileOptions } from './types.ts';

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
 * How the campaign waits for a person to approve proposals: the policy-gate function fails `ApprovalPending` while
 * any proposal of the batch waits, and the gate task is tried again after 5 s, then less and less often (at most
 * every 60 s) until the proposals' approval timeout, when the gate rejects what is still undecided. Each try
 * answers from the decisions stored so far, so the attempts only bound the history (~4 events a try: an hour's
 * wait is about 65 tries).
 */
export const APPROVAL_POLL: AslRetrier = {
  ErrorEquals: ['ApprovalPending'],
  IntervalSeconds: 5,
  BackoffRate: 1.5,
  MaxDelaySeconds: 60,
  MaxAttempts: 99_999_999,
  JitterStrategy: 'NONE',
};

/**
 * Compile options of `campaignMachine` for the cloud: the planner and gate are Lambdas, a batch is a Map of
 * experiment executions named after their experiment ids and the run of the Map (`execution-names.ts`), operator
 * events come through callback waits.
 */
export function campaignCompileOptions(resources: CloudResources = RESOURCE_PLACEHOLDERS): CompileOptions {
  return {
    comment: 'labloop campaign (compiled from workflows/campaign.machine.ts)',
    twins: campaignTwins,
    actors: {
      planBatch: { kind: 'task', functionArn: resources.planNext, timeoutSeconds: 120 },
      gateBatch: {
        kind: 'task',
        functionArn: resources.policyGate,
        timeoutSeconds: 60,
        retry: [APPROVAL_POLL],
      },
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
        // `<experimentId>-<Map entered, ms base 36>`: a batch run again after pause now gets new executions.
        executionName: EXPERIMENT_EXECUTION_NAME,
        stateMachineArn: resources.experimentStateMachine,
        resultVariable: 'outcomes',
      },
      recordBatch: { kind: 'task', functionArn: resources.planNext, timeoutSeconds: 120 },
    },
    payloadContext: '{ "campaignId": $campaignId }',
    // The Map's outputs are the experiments' results in the order of `approved`; the ids pair them up.
    payloadExtras: { recordBatch: '{ "outcomes": $outcomes, "experimentIds": [$approved.experimentId] }' },
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
