import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LabloopStack } from './labloop-stack.ts';

/**
 * Builds the CDK app: one {@link LabloopStack} for the lab named by the `labloop:labId` context, with cdk-nag's
 * AwsSolutions checks, whose findings fail the synth.
 */
export function buildApp(app: App = new App()): { app: App; stack: LabloopStack } {
  const labId = String(app.node.tryGetContext('labloop:labId') ?? 'lab-1');
  const stack = new LabloopStack(app, 'Labloop', { labId });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

if (process.argv[1]?.endsWith('app.ts')) buildApp().app.synth();
