import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { DeviceGateway } from '../../infra/constructs/device-gateway.ts';
import { devicePolicyProblems, type IotPolicyDocument } from '../../infra/iot-policy.ts';

/** Flattens CloudFormation intrinsics into text (`Ref` → `${Ref:Name}`), so a policy reads as AWS will see it. */
function flatten(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(flatten);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if ('Fn::Join' in record) {
    const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => String(flatten(part))).join(separator);
  }
  if ('Ref' in record) return `\${Ref:${String(record.Ref)}}`;
  if ('Fn::GetAtt' in record) return `\${GetAtt:${JSON.stringify(record['Fn::GetAtt'])}}`;
  return Object.fromEntries(Object.entries(record).map(([key, child]) => [key, flatten(child)]));
}

const asList = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [String(value)]);

/** Every `AWS::IoT::Policy` of a template, its document flattened to text. */
function iotPolicies(template: Template): Array<[string, IotPolicyDocument]> {
  return Object.entries(template.findResources('AWS::IoT::Policy')).map(([name, resource]) => {
    const document = flatten(
      (resource as { Properties: { PolicyDocument: unknown } }).Properties.PolicyDocument,
    ) as {
      Statement: Array<{ Effect: string; Action: unknown; Resource: unknown }>;
    };
    return [
      name,
      {
        ...document,
        Statement: document.Statement.map((s) => ({
          ...s,
          Action: asList(s.Action),
          Resource: asList(s.Resource),
        })),
      } as IotPolicyDocument,
    ];
  });
}

describe('IoT policies of the synthesized device gateway', () => {
  // The gateway alone, with one stand-in function for both rules: synthesizing it takes milliseconds, bundling the whole app does not.
  const stack = new Stack(new App(), 'PolicyLint');
  const deviceEvent = new lambda.Function(stack, 'DeviceEvent', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  new DeviceGateway(stack, 'Gateway', { labId: 'lint-lab', deviceEvent, deviceStatus: deviceEvent });
  const template = Template.fromStack(stack);
  const text = JSON.stringify(template.toJSON());

  it('grants devices only thing-scoped resources: no wildcard, no iot:*', () => {
    const policies = iotPolicies(template);
    expect(policies.length).toBeGreaterThan(0);
    for (const [name, document] of policies) expect(devicePolicyProblems(document), name).toEqual([]);
  });

  it('would catch a broad policy slipped into the app', () => {
    const broad = new Stack(new App(), 'Broad');
    new iot.CfnPolicy(broad, 'Broad', {
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['iot:*'],
            Resource: [`arn:${broad.partition}:iot:*:*:topic/labloop/#`],
          },
        ],
      },
    });
    const [[, document] = ['', undefined]] = iotPolicies(Template.fromStack(broad));
    expect(devicePolicyProblems(document as IotPolicyDocument)).toEqual([
      'statement 0: action iot:* is a wildcard',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation substitution, not a template literal
      'statement 0: resource arn:${Ref:AWS::Partition}:iot:*:*:topic/labloop/# has a wildcard',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation substitution, not a template literal
      'statement 0: resource arn:${Ref:AWS::Partition}:iot:*:*:topic/labloop/# is not scoped to the connecting thing',
    ]);
  });

  it('grants iot:* nowhere in the gateway, to devices or to its rule', () => {
    expect(text).not.toMatch(/"iot:\*"/);
  });
});
