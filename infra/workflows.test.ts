import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { LabWorkflows } from './constructs/workflows.ts';

const NAMES = [
  'acquireDevice',
  'dispatchCommand',
  'evaluateOutput',
  'planNext',
  'policyGate',
  'operatorAwait',
  'operatorInbox',
] as const;

let template: Template;
beforeAll(() => {
  const stack = new Stack(new App(), 'Lab', { env: { account: '123456789012', region: 'eu-west-1' } });
  const functions = Object.fromEntries(
    NAMES.map((name) => [
      name,
      new lambda.Function(stack, name, {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('export const handler = async () => ({});'),
      }),
    ]),
  ) as Record<(typeof NAMES)[number], lambda.Function>;
  const workflows = new LabWorkflows(stack, 'Workflows', functions);
  workflows.grantCampaignTaskResponse(functions.operatorAwait);
  template = Template.fromStack(stack);
}, 60_000);

const machine = (name: string) =>
  Object.values(template.findResources('AWS::StepFunctions::StateMachine')).find(
    (m) => m.Properties.StateMachineName === name,
  )?.Properties;

describe('LabWorkflows', () => {
  it('deploys the experiment and campaign machines as Standard, logged (ALL) and traced', () => {
    for (const name of ['Lab-experiment', 'Lab-campaign'])
      expect(machine(name)).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      });
  });

  it('substitutes the campaign ASL: planner, gate, operator functions and the experiment machine', () => {
    const campaign = machine('Lab-campaign');
    expect(Object.keys(campaign.DefinitionSubstitutions).sort()).toEqual([
      'ExperimentStateMachineArn',
      'OperatorAwaitFunctionArn',
      'OperatorInboxFunctionArn',
      'PlanNextFunctionArn',
      'PolicyGateFunctionArn',
    ]);
    const definition = JSON.parse(campaign.DefinitionString) as {
      QueryLanguage: string;
      States: Record<
        string,
        { Type: string; ItemProcessor?: { States: Record<string, { Resource?: string }> } }
      >;
    };
    expect(definition.QueryLanguage).toBe('JSONata');
    const map = Object.values(definition.States).find((s) => s.Type === 'Map');
    expect(Object.values(map?.ItemProcessor?.States ?? {}).map((s) => s.Resource)).toEqual([
      'arn:aws:states:::states:startExecution.sync:2',
    ]);
    // Every placeholder the definition uses is substituted.
    const used = new Set<string>(campaign.DefinitionString.match(/\$\{[A-Za-z]+\}/g));
    expect([...used].map((p) => p.slice(2, -1)).sort()).toEqual(
      Object.keys(campaign.DefinitionSubstitutions).sort(),
    );
  });

  it('lets the campaign run its batches: start and watch experiment executions, and the managed events rule', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p).includes('WorkflowsCampaignRole'))
      .flatMap(
        (p) =>
          p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
      );
    const grant = (action: string) =>
      JSON.stringify(statements.filter((s) => [s.Action].flat().includes(action)).map((s) => s.Resource));
    expect(grant('states:StartExecution')).toContain('WorkflowsExperiment');
    expect(grant('states:DescribeExecution')).toContain(':execution:Lab-experiment:*');
    expect(grant('states:StopExecution')).toContain(':execution:Lab-experiment:*');
    expect(grant('events:PutRule')).toContain('rule/StepFunctionsGetEventsForStepFunctionsExecutionRule');
    expect(
      grant('lambda:InvokeFunction')
        .match(/planNext|policyGate|operatorAwait|operatorInbox/g)
        ?.sort(),
    ).toEqual(['operatorAwait', 'operatorInbox', 'planNext', 'policyGate']);
  });

  it('lets operator-await answer the campaign wait, on the campaign machine only', () => {
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('operatorAwaitServiceRole') }] },
      }),
    );
    const statement = policy?.Properties.PolicyDocument.Statement[0];
    expect(statement.Action).toEqual([
      'states:SendTaskSuccess',
      'states:SendTaskFailure',
      'states:SendTaskHeartbeat',
    ]);
    expect(JSON.stringify(statement.Resource)).toContain(
      ':states:eu-west-1:123456789012:stateMachine:Lab-campaign',
    );
  });
});
