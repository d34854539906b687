import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  campaignCompileOptions,
  compileMachine,
  experimentCompileOptions,
} from '../../workflows/asl/index.ts';
import { campaignMachine, experimentMachine } from '../../workflows/index.ts';

/** Props of {@link LabWorkflows}. */
export interface LabWorkflowsProps {
  acquireDevice: lambda.IFunction;
  dispatchCommand: lambda.IFunction;
  evaluateOutput: lambda.IFunction;
  /** plan-next: the campaign's `planBatch` and `recordBatch` tasks. */
  planNext: lambda.IFunction;
  /** policy-gate: the campaign's `gateBatch` task. */
  policyGate: lambda.IFunction;
  /** operator-await: the campaign's waiting states (`.waitForTaskToken`). */
  operatorAwait: lambda.IFunction;
  /** operator-inbox: the operator events queued while a campaign task ran. */
  operatorInbox: lambda.IFunction;
}

/**
 * The compiled workflows as Standard state machines (ASL from `workflows/asl`, compiled at synth from the same
 * XState machines the local runtime interprets), with every execution's events logged and X-Ray tracing on.
 * Function ARNs and the experiment machine's ARN reach the definitions through `DefinitionSubstitutions`. The
 * campaign runs each batch as a Map of experiment executions (`startExecution.sync:2`), named after their
 * experiment ids.
 */
export class LabWorkflows extends Construct {
  /** One experiment: its device steps in order. */
  readonly experiment: sfn.StateMachine;
  /** A closed-loop campaign: plan, gate, run a batch of experiments, record; operator events in between. */
  readonly campaign: sfn.StateMachine;
  /**
   * The machines' ARNs built from their fixed names, not from the resources: functions that answer their task
   * tokens are granted on them without a dependency cycle (the machines already depend on the functions' ARNs).
   */
  readonly experimentArn: string;
  readonly campaignArn: string;

  constructor(scope: Construct, id: string, props: LabWorkflowsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const arnOf = (name: string, resource = 'stateMachine') =>
      stack.formatArn({
        service: 'states',
        resource,
        resourceName: name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const experimentName = `${stack.stackName}-experiment`;
    const campaignName = `${stack.stackName}-campaign`;
    this.experimentArn = arnOf(experimentName);
    this.campaignArn = arnOf(campaignName);

    this.experiment = this.machine(
      'Experiment',
      experimentName,
      compileMachine(experimentMachine, experimentCompileOptions()).definition,
      {
        AcquireDeviceFunctionArn: props.acquireDevice.functionArn,
        DispatchCommandFunctionArn: props.dispatchCommand.functionArn,
        EvaluateOutputFunctionArn: props.evaluateOutput.functionArn,
      },
    );
    this.grantInvoke(this.experiment, [props.acquireDevice, props.dispatchCommand, props.evaluateOutput]);

    this.campaign = this.machine(
      'Campaign',
      campaignName,
      compileMachine(campaignMachine, campaignCompileOptions()).definition,
      {
        PlanNextFunctionArn: props.planNext.functionArn,
        PolicyGateFunctionArn: props.policyGate.functionArn,
        OperatorAwaitFunctionArn: props.operatorAwait.functionArn,
        OperatorInboxFunctionArn: props.operatorInbox.functionArn,
        ExperimentStateMachineArn: this.experiment.stateMachineArn,
      },
    );
    this.grantInvoke(this.campaign, [
      props.planNext,
      props.policyGate,
      props.operatorAwait,
      props.operatorInbox,
    ]);
    // A batch: start experiment executions and wait for them (`.sync:2` polls them and, when the Map is stopped,
    // stops them), through the managed EventBridge rule Step Functions uses to hear that they ended.
    this.campaign.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [this.experiment.stateMachineArn],
      }),
    );
    const experimentExecutions = arnOf(`${experimentName}:*`, 'execution');
    this.campaign.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [experimentExecutions],
      }),
    );
    this.campaign.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          stack.formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule',
          }),
        ],
      }),
    );
    Validations.of(this.campaign).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${experimentName}:*]`,
      reason:
        "a batch starts experiment executions named after experiment ids that exist only at run time; DescribeExecution and StopExecution (for .sync:2) are limited to executions of this lab's experiment machine",
    });
  }

  private machine(
    id: string,
    name: string,
    definition: object,
    substitutions: Record<string, string>,
  ): sfn.StateMachine {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const machine = new sfn.StateMachine(this, id, {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition)),
      definitionSubstitutions: substitutions,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    Validations.of(machine).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions logging (logs:CreateLogDelivery and the other log-delivery actions) and X-Ray tracing (xray:PutTraceSegments) have no resource-level permissions and require Resource "*"',
    });
    return machine;
  }

  /** Lets `fn` answer the experiment's task tokens (success, failure, heartbeat). */
  grantTaskResponse(fn: lambda.IFunction): void {
    this.grantTokens(fn, this.experimentArn);
  }

  /** Lets `fn` answer the campaign's task tokens: the operator wait, answered by operator-await or campaign-api. */
  grantCampaignTaskResponse(fn: lambda.IFunction): void {
    this.grantTokens(fn, this.campaignArn);
  }

  private grantTokens(fn: lambda.IFunction, machineArn: string): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        resources: [machineArn],
      }),
    );
  }

  private grantInvoke(machine: sfn.StateMachine, functions: lambda.IFunction[]): void {
    for (const fn of functions)
      machine.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
      );
  }
}
