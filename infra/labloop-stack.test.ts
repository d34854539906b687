import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { FUNCTION_NAMES } from './constructs/lambda-functions.ts';
import { devicePolicyProblems, type IotPolicyDocument } from './iot-policy.ts';

// One synth for the whole file; bundling is skipped (the bench and `npm run synth` bundle for real).
let template: Template;
let synthError: unknown;
beforeAll(() => {
  const { app, stack } = buildApp(
    new App({ context: { 'aws:cdk:bundling-stacks': [], 'labloop:labId': 'lab-7' } }),
  );
  try {
    app.synth(); // runs cdk-nag: an unacknowledged finding throws here
  } catch (error) {
    synthError = error;
  }
  template = Template.fromStack(stack);
}, 120_000);

describe('LabloopStack', () => {
  it('synthesizes with cdk-nag AwsSolutions and no unacknowledged findings', () => {
    expect(synthError).toBeUndefined();
  });

  it('DataStore: table and idempotency table with PITR and TTL; audit archive with Object Lock', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      Replicas: [
        Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 7 * 365 } },
      },
      BucketEncryption: Match.objectLike({}),
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('LabFunctions: every function on nodejs22.x, arm64, with active tracing', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Runtime !== undefined && f.Properties.Environment?.Variables?.LAB_ID === 'lab-7',
    );
    expect(functions).toHaveLength(FUNCTION_NAMES.length);
    expect(FUNCTION_NAMES).toEqual(
      expect.arrayContaining(['campaign-api', 'register-device', 'plan-next', 'policy-gate']),
    );
    for (const f of functions)
      expect(f.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
      });
  });

  it('DeviceGateway: a thing-scoped device policy, events rule → SQS (DLQ) → device-event', () => {
    const policies = Object.values(template.findResources('AWS::IoT::Policy'));
    expect(policies).toHaveLength(1);
    const document = policies[0]?.Properties.PolicyDocument as IotPolicyDocument;
    // Resource ARNs are CloudFormation joins; flatten them to text before checking.
    const flat = JSON.parse(
      JSON.stringify(document, (_, v) =>
        v && typeof v === 'object' && 'Fn::Join' in v
          ? (v['Fn::Join'][1] as unknown[]).map(String).join('')
          : v,
      ),
    ) as IotPolicyDocument;
    expect(devicePolicyProblems(flat)).toEqual([]);
    expect(JSON.stringify(flat)).not.toContain('iot:*');
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: Match.objectLike({
        Sql: "SELECT * FROM 'labloop/lab-7/devices/+/events'",
        Actions: [{ Sqs: Match.objectLike({}) }],
        ErrorAction: { Sqs: Match.objectLike({}) },
      }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('DeviceGateway: status rule → SQS (DLQ) → device-status, which may read and write registry items only', () => {
    const rules = Object.entries(template.findResources('AWS::IoT::TopicRule'));
    const [[, status] = ['', undefined]] = rules.filter(([id]) => id.startsWith('GatewayStatusRule'));
    expect(status?.Properties.TopicRulePayload).toMatchObject({
      Sql: "SELECT encode(*, 'base64') AS payload, topic(4) AS deviceId, timestamp() AS receivedAt FROM 'labloop/lab-7/devices/+/status'",
      Actions: [{ Sqs: { QueueUrl: { Ref: expect.stringMatching(/^GatewayStatus[0-9A-F]{8}$/) } } }],
      ErrorAction: { Sqs: { QueueUrl: { Ref: expect.stringMatching(/^GatewayStatusDlq/) } } },
    });
    const queues = template.findResources('AWS::SQS::Queue');
    const statusQueue = Object.entries(queues).find(([id]) => /^GatewayStatus[0-9A-F]{8}$/.test(id));
    expect(statusQueue?.[1].Properties).toMatchObject({
      RedrivePolicy: { maxReceiveCount: 5 },
      SqsManagedSseEnabled: true,
    });
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map(
      (m) => m.Properties,
    );
    const fed = mappings.find((m) => JSON.stringify(m.EventSourceArn).includes(statusQueue?.[0] ?? '?'));
    expect(fed).toMatchObject({
      FunctionName: { Ref: expect.stringMatching(/^Functionsdevicestatus/) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => /devicestatusrole/i.test(JSON.stringify(p.Properties.Roles)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>)
      .flatMap((s) => [s.Action].flat())
      .filter((a) => !a.startsWith('xray:') && !a.startsWith('logs:'));
    expect(statements.filter((a) => !a.startsWith('sqs:')).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
  });

  it('LabWorkflows: the compiled experiment and campaign machines, Standard, logged and traced, ARNs substituted', () => {
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).map(
      (m) => m.Properties,
    );
    expect(machines.map((m) => m.StateMachineName).sort()).toEqual([
      'Labloop-campaign',
      'Labloop-experiment',
    ]);
    for (const machine of machines) {
      expect(machine).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      });
      const definition = JSON.parse(machine.DefinitionString) as { QueryLanguage: string };
      expect(definition.QueryLanguage).toBe('JSONata');
    }
    const experiment = machines.find((m) => m.StateMachineName === 'Labloop-experiment');
    expect(Object.keys(experiment.DefinitionSubstitutions).sort()).toEqual([
      'AcquireDeviceFunctionArn',
      'DispatchCommandFunctionArn',
      'EvaluateOutputFunctionArn',
    ]);
    expect(experiment.DefinitionString).toContain('lambda:invoke.waitForTaskToken');
  });

  it('LabApi and DashboardHosting: seven JWT routes, a Cognito pool with groups, the dashboard on CloudFront', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 7);
    template.resourceCountIs('AWS::Cognito::UserPoolGroup', 3);
    template.resourceCountIs('AWS::CloudFront::Distribution', 1);
    template.hasResourceProperties('Custom::CDKBucketDeployment', { DistributionPaths: ['/*'] });
  });

  it('campaign-api and register-device get their machines, the device policy and narrow grants', () => {
    const fn = (service: string) =>
      Object.values(template.findResources('AWS::Lambda::Function')).find(
        (f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
      )?.Properties.Environment.Variables;
    expect(Object.keys(fn('campaign-api'))).toEqual(
      expect.arrayContaining(['CAMPAIGN_STATE_MACHINE_ARN', 'EXPERIMENT_STATE_MACHINE_ARN', 'TABLE_NAME']),
    );
    expect(fn('register-device').DEVICE_POLICY_NAME).toEqual({
      Ref: expect.stringMatching(/^GatewayDevicePolicy/),
    });
    const actions = (role: RegExp) =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((p) => role.test(JSON.stringify(p.Properties.Roles)))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>)
        .flatMap((s) => [s.Action].flat())
        .filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('xray:') && !a.startsWith('logs:'))
        .sort();
    expect(actions(/registerdevicerole/i)).toEqual([
      'iot:AttachPolicy',
      'iot:AttachThingPrincipal',
      'iot:CreateKeysAndCertificate',
      'iot:CreateThing',
      'iot:DetachPolicy',
      'iot:DetachThingPrincipal',
      'iot:ListThingPrincipals',
      'iot:UpdateCertificate',
    ]);
    expect(actions(/campaignapirole/i)).toEqual([
      // interrupt on pause now and abort, on the lab's command topics only
      'iot:Publish',
      'states:DescribeExecution',
      'states:ListExecutions',
      'states:ListExecutions',
      'states:SendTaskFailure',
      'states:SendTaskHeartbeat',
      'states:SendTaskSuccess',
      'states:StartExecution',
      'states:StopExecution',
    ]);
    expect(JSON.stringify(template.toJSON())).not.toContain('"iot:*"');
  });

  it('outputs what docs/deploy-aws.md uses', () => {
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual([
      'ApiUrl',
      'CampaignStateMachineArn',
      'DashboardUrl',
      'DevicePolicyName',
      'LabId',
      'UserPoolClientId',
      'UserPoolId',
    ]);
  });
});
