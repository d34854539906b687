import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CAMPAIGN_API_ROUTES } from '../../functions/campaign-api/routes.ts';
import { REGISTER_DEVICE_ROUTES } from '../../functions/register-device/routes.ts';
import { ROLES } from '../../functions/shared/http-api.ts';

/** Props of {@link LabApi}. */
export interface LabApiProps {
  /** campaign-api: start, act on and read campaigns. */
  campaignApi: lambda.IFunction;
  /** register-device: things, certificates and the device registry. */
  registerDevice: lambda.IFunction;
  /** Browser origins allowed to call the API (the dashboard's CloudFront URL). @default none */
  allowOrigins?: string[];
  /** Requests per second the API accepts on average, and in a burst. @default 50 and 100 */
  throttle?: { rate: number; burst: number };
}

/**
 * The lab's HTTP API (API Gateway v2): every route behind a JWT authorizer on a Cognito user pool, whose groups
 * `viewer`, `operator` and `approver` are the labloop roles (the functions check them, as the local dashboard
 * does). Sign-up is closed (an administrator creates users), passwords are strong and MFA (TOTP) is required;
 * the pool is on the Plus feature plan for threat protection. Access logs go to CloudWatch as JSON; the stage
 * is throttled.
 */
export class LabApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly userPool: cognito.UserPool;
  /** The app client the dashboard and `aws cognito-idp initiate-auth` sign in with (no secret). */
  readonly client: cognito.UserPoolClient;
  /** `https://<id>.execute-api.<region>.amazonaws.com`: the routes are under `/api/…`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: LabApiProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      // Audit first: risky sign-ins are logged, not blocked, until the lab has tuned the risk configuration.
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.AUDIT_ONLY,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    ROLES.forEach((role, precedence) => {
      new cognito.CfnUserPoolGroup(this, `Group-${role}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: role,
        // Lower precedence wins in Cognito: approver (0) < operator (1) < viewer (2).
        precedence: ROLES.length - 1 - precedence,
        description: `labloop ${role}`,
      });
    });
    this.client = this.userPool.addClient('Dashboard', {
      generateSecret: false,
      authFlows: { userSrp: true, userPassword: true },
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      preventUserExistenceErrors: true,
    });

    const authorizer = new HttpUserPoolAuthorizer('Cognito', this.userPool, {
      userPoolClients: [this.client],
    });
    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'labloop lab API: campaigns and devices',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      ...(props.allowOrigins && props.allowOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: props.allowOrigins,
              allowHeaders: ['authorization', 'content-type'],
              allowMethods: [apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new apigw.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttle?.rate ?? 50, burstLimit: props.throttle?.burst ?? 100 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
      },
    });
    this.url = this.api.apiEndpoint;

    const integrations = [
      { fn: props.campaignApi, routes: CAMPAIGN_API_ROUTES },
      { fn: props.registerDevice, routes: REGISTER_DEVICE_ROUTES },
    ];
    for (const { fn, routes } of integrations) {
      const integration = new HttpLambdaIntegration(`${fn.node.id}-integration`, fn);
      for (const route of routes) {
        const [method, path] = route.split(' ') as [string, string];
        this.api.addRoutes({
          path,
          methods: [method as apigw.HttpMethod],
          integration,
        });
      }
    }
  }
}
