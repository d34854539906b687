import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { compileMachine, experimentCompileOptions } from '../../workflows/asl/index.ts';
import { experimentMachine } from '../../workflows/index.ts';

/** Props of {@link LabWorkflows}. */
export interface LabWorkflowsProps {
  acquireDevice: lambda.IFunction;
  dispatchCommand: lambda.IFunction;
  evaluateOutput: lambda.IFunction;
}

/**
 * The compiled workflows as Standard state machines (ASL from `workflows/asl`, compiled at synth from the same
 * XState machines the local runtime interprets), with every execution's events logged and X-Ray tracing on.
 * Function ARNs reach the definitions through `DefinitionSubstitutions`.
 */
export class LabWorkflows extends Construct {
  /** One experiment: its device steps in order. */
  readonly experiment: sfn.StateMachine;
  /**
   * The experiment machine's ARN built from its fixed name, not from the resource: functions that answer its task
   * tokens are granted on it without a dependency cycle (the machine already depends on their ARNs).
   */
  readonly experimentArn: string;

  constructor(scope: Construct, id: string, props: LabWorkflowsProps) {
    super(scope, id);
    const { definition } = compileMachine(experimentMachine, experimentCompileOptions());
    const stack = Stack.of(this);
    const experimentName = `${stack.stackName}-experiment`;
    this.experimentArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: experimentName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const logGroup = new logs.LogGroup(this, 'ExperimentLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.experiment = new sfn.StateMachine(this, 'Experiment', {
      stateMachineName: experimentName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition)),
      definitionSubstitutions: {
        AcquireDeviceFunctionArn: props.acquireDevice.functionArn,
        DispatchCommandFunctionArn: props.dispatchCommand.functionArn,
        EvaluateOutputFunctionArn: props.evaluateOutput.functionArn,
      },
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    this.grantInvoke(props);
    Validations.of(this.experiment).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions logging (logs:CreateLogDelivery and the other log-delivery actions) and X-Ray tracing (xray:PutTraceSegments) have no resource-level permissions and require Resource "*"',
    });
  }

  /** Lets `fn` answer the experiment's task tokens (success, failure, heartbeat). */
  grantTaskResponse(fn: lambda.IFunction): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        resources: [this.experimentArn],
      }),
    );
  }

  private grantInvoke(props: LabWorkflowsProps): void {
    for (const fn of [props.acquireDevice, props.dispatchCommand, props.evaluateOutput])
      this.experiment.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
      );
  }
}
