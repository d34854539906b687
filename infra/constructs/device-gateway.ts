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
  /** device-status: keeps the device registry's `online` and descriptor up to date. */
  deviceStatus: lambda.IFunction;
}

/**
 * IoT Core for one lab: the thing-scoped device policy (policy variables, no wildcards, no `iot:*`), and two
 * topic rules, each to an encrypted SQS queue (dead-letter queue after 5 receives) that feeds a function with
 * partial batch failures: every device's `events` to device-event, and every device's retained `status` (online
 * with its descriptor, offline, or the broker's last will) to device-status, which keeps the registry that
 * acquire-device leases from. Devices are registered by register-device, which attaches this policy to each
 * device's certificate.
 */
export class DeviceGateway extends Construct {
  /** The device policy's name, for register-device. */
  readonly policyName: string;
  /** The queue between the topic rule and device-event. */
  readonly queue: sqs.Queue;
  /** Where events go after 5 failed receives. */
  readonly deadLetterQueue: sqs.Queue;
  /** The queue between the status rule and device-status. */
  readonly statusQueue: sqs.Queue;
  /** Where statuses go after 5 failed receives. */
  readonly statusDeadLetterQueue: sqs.Queue;

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

    const ruleRole = new iam.Role(this, 'RuleRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com'),
      description: 'labloop topic rules: send device events and statuses to their queues',
    });
    const devices = `labloop/${props.labId}/devices/+`;
    [this.queue, this.deadLetterQueue] = this.ruleToQueue('Events', ruleRole, {
      description: `labloop ${props.labId}: device events → SQS → device-event`,
      sql: `SELECT * FROM '${devices}/events'`,
      target: props.deviceEvent,
    });
    // The payload travels base64-encoded, so that one which is not JSON still reaches device-status to be logged
    // and dropped; the device comes from the topic (the policy lets only that device publish there) and the order
    // of statuses from IoT Core's clock (the last will carries no time).
    [this.statusQueue, this.statusDeadLetterQueue] = this.ruleToQueue('Status', ruleRole, {
      description: `labloop ${props.labId}: device status → SQS → device-status → device registry`,
      sql: `SELECT encode(*, 'base64') AS payload, topic(4) AS deviceId, timestamp() AS receivedAt FROM '${devices}/status'`,
      target: props.deviceStatus,
    });
  }

  /** A topic rule to an encrypted queue (with its dead-letter queue) that feeds `target` in batches. */
  private ruleToQueue(
    id: 'Events' | 'Status',
    ruleRole: iam.Role,
    rule: { description: string; sql: string; target: lambda.IFunction },
  ): [sqs.Queue, sqs.Queue] {
    const deadLetterQueue = new sqs.Queue(this, `${id}Dlq`, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(180),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 5 },
    });
    queue.grantSendMessages(ruleRole);
    deadLetterQueue.grantSendMessages(ruleRole);
    new iot.CfnTopicRule(this, `${id}Rule`, {
      topicRulePayload: {
        description: rule.description,
        awsIotSqlVersion: '2016-03-23',
        sql: rule.sql,
        ruleDisabled: false,
        actions: [{ sqs: { queueUrl: queue.queueUrl, roleArn: ruleRole.roleArn, useBase64: false } }],
        errorAction: {
          sqs: { queueUrl: deadLetterQueue.queueUrl, roleArn: ruleRole.roleArn, useBase64: false },
        },
      },
    });
    rule.target.addEventSource(new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true }));
    return [queue, deadLetterQueue];
  }
}
