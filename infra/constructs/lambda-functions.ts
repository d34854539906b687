import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The Lambda functions of `functions/`, by folder name. */
export const FUNCTION_NAMES = [
  'dispatch-command',
  'device-event',
  'device-status',
  'acquire-device',
  'evaluate-output',
  'operator-await',
  'operator-inbox',
  'campaign-api',
  'register-device',
  'plan-next',
  'policy-gate',
] as const;
/** A function of {@link FUNCTION_NAMES}. */
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * Memory (MB) and timeout (s) where a function needs more than 256 MB and 30 s: the planner fits a Gaussian
 * process (CPU scales with memory on Lambda) within the campaign task's 120 s.
 */
export const FUNCTION_SIZES: Partial<Record<FunctionName, { memorySize: number; timeout: number }>> = {
  'plan-next': { memorySize: 1024, timeout: 110 },
};

/** Props of {@link LabFunctions}. */
export interface LabFunctionsProps {
  /** Environment every function gets (table names, lab id). */
  environment: Record<string, string>;
  /** Days CloudWatch keeps the functions' logs. @default one month */
  logRetention?: logs.RetentionDays;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Every function as a `NodejsFunction` on `nodejs22.x` (arm64), bundled locally by esbuild (never Docker):
 * minified ESM, `@aws-sdk/*` from the runtime, X-Ray active tracing, its own log group, and an execution role
 * with only the logs permission; callers grant the rest.
 */
export class LabFunctions extends Construct {
  /** Function by folder name. */
  readonly fn: Record<FunctionName, nodejs.NodejsFunction>;

  constructor(scope: Construct, id: string, props: LabFunctionsProps) {
    super(scope, id);
    const entries = FUNCTION_NAMES.map((name) => {
      const logGroup = new logs.LogGroup(this, `${name}-logs`, {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      });
      const role = new iam.Role(this, `${name}-role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `labloop ${name}: writes its own logs; other grants are added by the constructs that use it`,
      });
      logGroup.grantWrite(role);
      const fn = new nodejs.NodejsFunction(this, name, {
        entry: `${root}functions/${name}/handler.ts`,
        projectRoot: root,
        depsLockFilePath: `${root}package-lock.json`,
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: FUNCTION_SIZES[name]?.memorySize ?? 256,
        timeout: Duration.seconds(FUNCTION_SIZES[name]?.timeout ?? 30),
        tracing: lambda.Tracing.ACTIVE,
        role,
        logGroup,
        environment: {
          ...props.environment,
          POWERTOOLS_SERVICE_NAME: name,
          POWERTOOLS_METRICS_NAMESPACE: 'labloop',
          NODE_OPTIONS: '--enable-source-maps',
        },
        bundling: {
          forceDockerBundling: false,
          format: nodejs.OutputFormat.ESM,
          minify: true,
          sourceMap: true,
          target: 'node22',
          externalModules: ['@aws-sdk/*'],
          // ESM bundles of CommonJS dependencies (X-Ray SDK) need `require`.
          banner:
            "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        },
      });
      Validations.of(role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions, so they take Resource "*"; every other grant names its resource',
      });
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions::AwsSolutions-L1',
        reason:
          'nodejs22.x on purpose (DESIGN §9): the code is kept valid on Node 20, 22 and 24, and 22 is the newest LTS line the project tests its toolchain against; moving to nodejs24.x is a one-line change here',
      });
      return [name, fn] as const;
    });
    this.fn = Object.fromEntries(entries) as Record<FunctionName, nodejs.NodejsFunction>;
  }
}
