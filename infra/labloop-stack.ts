import { Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { DataStore } from './constructs/data-store.ts';
import { DeviceGateway } from './constructs/device-gateway.ts';
import { LabFunctions } from './constructs/lambda-functions.ts';
import { LabWorkflows } from './constructs/workflows.ts';

/** Props of {@link LabloopStack}. */
export interface LabloopStackProps extends StackProps {
  /** The lab's id: the `{lab}` of its MQTT topics. */
  labId: string;
}

/**
 * One lab in the cloud: data, functions, device gateway and workflows, wired with least-privilege grants.
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
    });
    this.workflows = new LabWorkflows(this, 'Workflows', {
      acquireDevice: fn['acquire-device'],
      dispatchCommand: fn['dispatch-command'],
      evaluateOutput: fn['evaluate-output'],
    });

    this.data.table.grantReadWriteData(fn['dispatch-command']);
    this.data.table.grantReadWriteData(fn['device-event']);
    this.data.table.grantReadWriteData(fn['acquire-device']);
    this.data.table.grantReadWriteData(fn['operator-await']);
    this.data.table.grantReadWriteData(fn['operator-inbox']);
    this.data.idempotencyTable.grantReadWriteData(fn['device-event']);
    for (const name of ['dispatch-command', 'device-event'] as const)
      this.workflows.grantTaskResponse(fn[name]);
    const commands = `arn:${this.partition}:iot:${this.region}:${this.account}:topic/labloop/${props.labId}/devices/*/commands`;
    fn['dispatch-command'].addToRolePolicy(
      new iam.PolicyStatement({ actions: ['iot:Publish'], resources: [commands] }),
    );
    Validations.of(fn['dispatch-command'].role as iam.IRole).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:topic/labloop/<labId>/devices/*/commands]'.replace(
        '<labId>',
        props.labId,
      ),
      reason:
        'the orchestrator sends commands to any device of this lab, registered at run time, so the device segment is "*"; the grant is publish-only and limited to the commands channel of this lab (devices themselves get a thing-scoped policy without wildcards)',
    });
  }
}
