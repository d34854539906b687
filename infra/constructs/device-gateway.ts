import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { devicePolicyDocument } from '../iot-policy.ts';

/** Props of {@link DeviceGateway}. */
export interface DeviceGatewayProps {
  labId: string;
  /** device-event: turns events into task outcomes. */
  deviceEvent: lambda.IFunction;
}

/**
 * IoT Core for one lab: the thing-scoped device policy (policy variables, no wildcards, no `iot:*`), and the
 * topic rule that sends every device's `events` to an encrypted SQS queue (dead-letter queue after 5 receives)
 * that feeds device-event with partial batch failures. Devices are registered by register-device, which attaches
 * this policy to each device's certificate.
 */
export class DeviceGateway extends Construct {
  /** The device policy's name, for register-device. */
  readonly policyName: string;
  /** The queue between the topic rule and device-event. */
  readonly queue: sqs.Queue;
  /** Where events go after 5 failed receives. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DeviceGatewayProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const policy = new iot.CfnPolicy(this, 'DevicePolicy', {
      policyDocument: devicePolicyDocument(
        `arn:${stack.partition}:iot:${stack.region}:${stack.account}`,
        props.labId,
      ),
    });
    this.policyName = policy.ref;

    this.deadLetterQueue = new sqs.Queue(this, 'EventsDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Events', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(180),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    const ruleRole = new iam.Role(this, 'RuleRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com'),
      description: 'labloop topic rule: sends device events to the events queue',
    });
    this.queue.grantSendMessages(ruleRole);
    this.deadLetterQueue.grantSendMessages(ruleRole);
    new iot.CfnTopicRule(this, 'EventsRule', {
      topicRulePayload: {
        description: `labloop ${props.labId}: device events → SQS → device-event`,
        awsIotSqlVersion: '2016-03-23',
        sql: `SELECT * FROM 'labloop/${props.labId}/devices/+/events'`,
        ruleDisabled: false,
        actions: [{ sqs: { queueUrl: this.queue.queueUrl, roleArn: ruleRole.roleArn, useBase64: false } }],
        errorAction: {
          sqs: { queueUrl: this.deadLetterQueue.queueUrl, roleArn: ruleRole.roleArn, useBase64: false },
        },
      },
    });
    props.deviceEvent.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }),
    );
  }
}
