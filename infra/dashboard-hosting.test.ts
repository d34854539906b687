import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboardInto, DashboardHosting } from './constructs/dashboard-hosting.ts';

let template: Template;
let hosting: DashboardHosting;
beforeAll(() => {
  // Bundling skipped: the build itself is tested below.
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Lab');
  const accessLogs = new s3.Bucket(stack, 'Logs', {
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
  });
  hosting = new DashboardHosting(stack, 'Dashboard', { accessLogs });
  hosting.publish({ apiBase: 'https://api.example.org', title: 'labloop lab-7' });
  template = Template.fromStack(stack);
});

describe('DashboardHosting', () => {
  it('a private, encrypted, TLS-only, access-logged bucket behind CloudFront with origin access control', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: Match.objectLike({}),
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'dashboard/' },
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https', Compress: true }),
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue() })],
        Logging: Match.objectLike({ Prefix: 'cloudfront/' }),
      }),
    });
  });

  it('config.json and sw.js are never cached; the local server CSP, with the region API Gateway', () => {
    const distribution = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0];
    const behaviors = distribution?.Properties.DistributionConfig.CacheBehaviors as Array<{
      PathPattern: string;
      CachePolicyId: string;
    }>;
    // CachingDisabled's managed policy id.
    expect(behaviors.map((b) => [b.PathPattern, b.CachePolicyId])).toEqual([
      ['/config.json', '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'],
      ['/sw.js', '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'],
    ]);
    const policy = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0];
    const headers = policy?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = JSON.stringify(headers.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self' https://*.execute-api.");
    expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
  });

  it('uploads the app and a config.json naming the API, then invalidates the cache; once', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DistributionPaths: ['/*'],
      Prune: true,
      SourceObjectKeys: [Match.anyValue(), Match.anyValue()],
    });
    expect(() => hosting.publish({ apiBase: 'https://other.example.org' })).toThrow(
      'the dashboard is published once per stack',
    );
  });
});

describe('buildDashboardInto', () => {
  const out = mkdtempSync(join(tmpdir(), 'labloop-dashboard-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes the dashboard build offline, leaving config.json to the deployment', () => {
    buildDashboardInto(out);
    expect(readdirSync(out).sort()).toEqual([
      'app.js',
      'icon-192.png',
      'icon-512.png',
      'icon.svg',
      'index.html',
      'manifest.webmanifest',
      'styles.css',
      'sw.js',
    ]);
    expect(existsSync(join(out, 'config.json'))).toBe(false);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('<html');
  }, 120_000);
});
