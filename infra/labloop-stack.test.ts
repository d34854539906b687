import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
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
    expect(functions).toHaveLength(6);
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

  it('LabWorkflows: the compiled experiment machine, Standard, logged and traced, its ARNs substituted', () => {
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines).toHaveLength(1);
    const machine = machines[0]?.Properties;
    expect(machine).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
    expect(Object.keys(machine.DefinitionSubstitutions).sort()).toEqual([
      'AcquireDeviceFunctionArn',
      'DispatchCommandFunctionArn',
      'EvaluateOutputFunctionArn',
    ]);
    const definition = JSON.parse(machine.DefinitionString) as { QueryLanguage: string; States: object };
    expect(definition.QueryLanguage).toBe('JSONata');
    expect(JSON.stringify(definition)).toContain('lambda:invoke.waitForTaskToken');
  });
});
