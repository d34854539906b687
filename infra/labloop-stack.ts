import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { DashboardHosting } from './constructs/dashboard-hosting.ts';
import { DataStore } from './constructs/data-store.ts';
import { DeviceGateway } from './constructs/device-gateway.ts';
import { LabApi } from './constructs/lab-api.ts';
import { LabFunctions } from './constructs/lambda-functions.ts';
import { LabWorkflows } from './constructs/workflows.ts';

/** Props of {@link LabloopStack}. */
export interface LabloopStackProps extends StackProps {
  /** The lab's id: the `{lab}` of its MQTT topics. */
  labId: string;
}

/**
 * One lab in the cloud: data, functions, device gateway, workflows, the API with its user pool and the dashboard,
 * wired with least-privilege grants.
 */
export class LabloopStack extends Stack {
  /** The data store. */
  readonly data: DataStore;
  /** The Lambda functions. */
  readonly functions: LabFunctions;
  /** IoT Core policy, topic rule and queues. */
  readonly gateway: DeviceGateway;
  /** The Step Functions state machines. */
  readonly workflows: LabWorkflows;
  /** The HTTP API and its Cognito user pool. */
  readonly api: LabApi;
  /** The dashboard on S3 and CloudFront. */
  readonly dashboard: DashboardHosting;

  constructor(scope: Construct, id: string, props: LabloopStackProps) {
    super(scope, id, props);
    this.data = new DataStore(this, 'Data');
    this.functions = new LabFunctions(this, 'Functions', {
      environment: {
        TABLE_NAME: this.data.table.tableName,
        IDEMPOTENCY_TABLE_NAME: this.data.idempotencyTable.tableName,
        LAB_ID: props.labId,
      },
    });
    const fn = this.functions.fn;
    this.gateway = new DeviceGateway(this, 'Gateway', {
      labId: props.labId,
      deviceEvent: fn['device-event'],
      deviceStatus: fn['device-status'],
    });
    this.workflows = new LabWorkflows(this, 'Workflows', {
      acquireDevice: fn['acquire-device'],
      dispatchCommand: fn['dispatch-command'],
      evaluateOutput: fn['evaluate-output'],
      planNext: fn['plan-next'],
      policyGate: fn['policy-gate'],
      operatorAwait: fn['operator-await'],
      operatorInbox: fn['operator-inbox'],
    });
    this.dashboard = new DashboardHosting(this, 'Dashboard', { accessLogs: this.data.accessLogs });
    this.api = new LabApi(this, 'Api', {
      campaignApi: fn['campaign-api'],
      registerDevice: fn['register-device'],
      allowOrigins: [this.dashboard.url],
    });
    this.dashboard.publish({ apiBase: this.api.url, title: `labloop ${props.labId}` });

    for (const name of [
      'dispatch-command',
      'device-event',
      'acquire-device',
      'operator-await',
      'operator-inbox',
      'campaign-api',
      'register-device',
      'plan-next',
      'policy-gate',
    ] as const)
      this.data.table.grantReadWriteData(fn[name]);
    this.data.idempotencyTable.grantReadWriteData(fn['device-event']);
    // device-status reads a device's kind and writes its registry items; nothing else in the table.
    this.data.table.grant(fn['device-status'], 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem');
    for (const name of ['dispatch-command', 'device-event'] as const)
      this.workflows.grantTaskResponse(fn[name]);
    for (const name of ['operator-await', 'campaign-api'] as const)
      this.workflows.grantCampaignTaskResponse(fn[name]);
    // dispatch-command sends commands; campaign-api sends `interrupt` (pause now, abort) and `emergencyStop`.
    for (const name of ['dispatch-command', 'campaign-api'] as const)
      this.grantPublishCommands(name, props.labId);
    this.grantCampaignApi();
    this.grantRegisterDevice();
    this.outputs(props.labId);
  }

  private grantPublishCommands(name: 'dispatch-command' | 'campaign-api', labId: string): void {
    const fn = this.functions.fn[name];
    const commands = `arn:${this.partition}:iot:${this.region}:${this.account}:topic/labloop/${labId}/devices/*/commands`;
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['iot:Publish'], resources: [commands] }));
    Validations.of(fn.role as iam.IRole).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:topic/labloop/${labId}/devices/*/commands]`,
      reason:
        'the orchestrator sends commands to any device of this lab, registered at run time, so the device segment is "*"; the grant is publish-only and limited to the commands channel of this lab (devices themselves get a thing-scoped policy without wildcards)',
    });
  }

  /** campaign-api starts, lists and reads campaign executions, and stops a campaign's experiments on abort. */
  private grantCampaignApi(): void {
    const fn = this.functions.fn['campaign-api'];
    const w = this.workflows;
    fn.addEnvironment('CAMPAIGN_STATE_MACHINE_ARN', w.campaign.stateMachineArn);
    fn.addEnvironment('EXPERIMENT_STATE_MACHINE_ARN', w.experiment.stateMachineArn);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution', 'states:ListExecutions'],
        resources: [w.campaign.stateMachineArn],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution'],
        resources: [`${w.campaignArn.replace(':stateMachine:', ':execution:')}:*`],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:ListExecutions'],
        resources: [w.experiment.stateMachineArn],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:StopExecution'],
        resources: [`${w.experimentArn.replace(':stateMachine:', ':execution:')}:*`],
      }),
    );
    Validations.of(fn.role as iam.IRole).acknowledge(
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${this.stackName}-campaign:*]`,
        reason:
          "campaign executions are named after campaign ids chosen at run time; campaign-api only describes executions of this lab's campaign machine",
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${this.stackName}-experiment:*]`,
        reason:
          "abort and pause-now stop a campaign's running experiments, whose executions are named after experiment ids made at run time; the grant is StopExecution on executions of this lab's experiment machine only",
      },
    );
  }

  /** register-device creates things and certificates and attaches the device policy; nothing else in IoT. */
  private grantRegisterDevice(): void {
    const fn = this.functions.fn['register-device'];
    const iotArn = (resource: string) =>
      `arn:${this.partition}:iot:${this.region}:${this.account}:${resource}`;
    fn.addEnvironment('DEVICE_POLICY_NAME', this.gateway.policyName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iot:CreateThing', 'iot:ListThingPrincipals'],
        resources: [iotArn('thing/*')],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iot:AttachThingPrincipal', 'iot:DetachThingPrincipal'],
        resources: [iotArn('thing/*'), iotArn('cert/*')],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iot:AttachPolicy', 'iot:DetachPolicy'],
        resources: [iotArn('cert/*'), iotArn(`policy/${this.gateway.policyName}`)],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['iot:UpdateCertificate'], resources: [iotArn('cert/*')] }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['iot:CreateKeysAndCertificate'], resources: ['*'] }),
    );
    Validations.of(fn.role as iam.IRole).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          "iot:CreateKeysAndCertificate has no resource-level permissions (the certificate does not exist yet), nor do X-Ray's xray:PutTraceSegments and xray:PutTelemetryRecords; every other grant of register-device names its resource",
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:thing/*]',
        reason:
          'things are named after device ids an operator registers at run time; the grant is create/list/attach/detach on things, never delete or update',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:cert/*]',
        reason:
          'certificate ids are made by CreateKeysAndCertificate at run time; the grant is attach/detach and status changes (to retire a certificate an unfinished registration left), never delete',
      },
    );
  }

  private outputs(labId: string): void {
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out('LabId', labId, 'the {lab} of the MQTT topics');
    out('ApiUrl', this.api.url, 'the HTTP API; routes under /api');
    out('DashboardUrl', this.dashboard.url, 'the dashboard on CloudFront');
    out(
      'UserPoolId',
      this.api.userPool.userPoolId,
      'Cognito user pool: create users, add them to viewer/operator/approver',
    );
    out('UserPoolClientId', this.api.client.userPoolClientId, 'the app client to sign in with');
    out('DevicePolicyName', this.gateway.policyName, 'the thing-scoped IoT policy register-device attaches');
    out('CampaignStateMachineArn', this.workflows.campaign.stateMachineArn, 'the campaign state machine');
  }
}
