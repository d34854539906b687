import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { CAMPAIGN_API_ROUTES } from '../functions/campaign-api/routes.ts';
import { REGISTER_DEVICE_ROUTES } from '../functions/register-device/routes.ts';
import { LabApi } from './constructs/lab-api.ts';

let template: Template;
beforeAll(() => {
  const stack = new Stack(new App(), 'Lab');
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => ({});'),
    });
  new LabApi(stack, 'Api', {
    campaignApi: fn('CampaignApi'),
    registerDevice: fn('RegisterDevice'),
    allowOrigins: ['https://d111.cloudfront.net'],
  });
  template = Template.fromStack(stack);
});

describe('LabApi', () => {
  it('a closed Cognito user pool: admins create users, strong passwords, TOTP MFA required, Plus tier', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
      UserPoolTier: 'PLUS',
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      PreventUserExistenceErrors: 'ENABLED',
    });
  });

  it('the labloop roles as Cognito groups, approver first', () => {
    const groups = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')).map((g) => [
      g.Properties.GroupName,
      g.Properties.Precedence,
    ]);
    expect(groups).toEqual([
      ['viewer', 2],
      ['operator', 1],
      ['approver', 0],
    ]);
  });

  it('every route the functions answer, and only those, behind the JWT authorizer', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => [
      r.Properties.RouteKey,
      r.Properties.AuthorizationType,
    ]);
    expect(routes.sort()).toEqual(
      [...CAMPAIGN_API_ROUTES, ...REGISTER_DEVICE_ROUTES].map((k) => [k, 'JWT']).sort(),
    );
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Audience: [Match.anyValue()], Issuer: Match.anyValue() },
    });
  });

  it('CORS for the dashboard origin only; a throttled stage with JSON access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: {
        AllowOrigins: ['https://d111.cloudfront.net'],
        AllowHeaders: ['authorization', 'content-type'],
        AllowMethods: ['GET', 'POST'],
        MaxAge: 3600,
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId"') },
    });
  });
});
