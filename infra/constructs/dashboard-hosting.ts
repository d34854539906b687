import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerImage, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { InfraError } from '../errors.ts';

/** Props of {@link DashboardHosting}. */
export interface DashboardHostingProps {
  /** Where CloudFront and the bucket write their access logs (a bucket with ACLs enabled, for CloudFront). */
  accessLogs: s3.IBucket;
}

/** What {@link DashboardHosting.publish} writes as the app's `config.json`. */
export interface DashboardPublishOptions {
  /** The API the app calls (the HTTP API's URL; a deploy-time token is fine). */
  apiBase: string;
  /** @default 'labloop' */
  title?: string;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Builds the dashboard's static files into `outDir` with the same build the local runtime serves (`dashboard/
 * build.ts`), offline, and leaves `config.json` out: {@link DashboardHosting.publish} writes it at deploy time with
 * the API's URL, which is known only then.
 */
export function buildDashboardInto(outDir: string): void {
  try {
    execFileSync(process.execPath, ['--import', 'tsx', join(root, 'dashboard/build.ts'), '--out', outDir], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    throw new InfraError(`the dashboard build failed: ${stderr || (error as Error).message}`, {
      cause: error,
    });
  }
  rmSync(join(outDir, 'config.json'));
}

/**
 * The dashboard as a static site: a private S3 bucket (encrypted, TLS only, access-logged) behind CloudFront with
 * origin access control, HTTPS only, and the local server's security headers (the Content-Security-Policy also
 * lets the app call API Gateway in this region). The files come from the dashboard's own build, run at synth
 * time by CDK's local bundling (no Docker, no network); `config.json` is written at deploy time with the API's URL.
 */
export class DashboardHosting extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** `https://<id>.cloudfront.net`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: DashboardHostingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bucket = new s3.Bucket(this, 'Site', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'dashboard/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The local server's policy (runtime/api/internal/http.ts), plus the region's API Gateway endpoints: naming the
    // API itself would make a dependency cycle, since the API's CORS names this distribution.
    const csp = [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      `connect-src 'self' https://*.execute-api.${stack.region}.${stack.urlSuffix}`,
      "worker-src 'self'",
      "manifest-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; ');
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'labloop dashboard: the local server security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: csp, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
    });
    const origin = S3BucketOrigin.withOriginAccessControl(this.bucket);
    const fresh = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      responseHeadersPolicy: headers,
    };
    this.distribution = new cloudfront.Distribution(this, 'Cdn', {
      comment: 'labloop dashboard',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      // The API's address and the service worker must reach phones as soon as they change.
      additionalBehaviors: { '/config.json': fresh, '/sw.js': fresh },
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: props.accessLogs,
      logFilePrefix: 'cloudfront/',
    });
    this.url = `https://${this.distribution.distributionDomainName}`;
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-CFR1',
        reason:
          'no geo restriction: technicians open the dashboard from wherever they are; it serves only the static app shell (no data), and every API call needs a Cognito token',
      },
      {
        id: 'AwsSolutions::AwsSolutions-CFR2',
        reason:
          'no WAF on the static shell: it holds no data and takes no input; a CloudFront web ACL must live in us-east-1 and costs at least $5/month plus requests, out of proportion for one lab. The API behind it authenticates every request and is throttled',
      },
      {
        id: 'AwsSolutions::AwsSolutions-CFR4',
        reason:
          'the default *.cloudfront.net certificate is used, for which CloudFront fixes the minimum protocol at TLSv1; a lab that adds its own domain and ACM certificate sets minimumProtocolVersion TLSv1.2_2021. Browsers negotiate TLS 1.2/1.3 with CloudFront in any case',
      },
    );
  }

  /** What cdk-nag finds in CDK's own bucket-deployment handler (one per stack), each with why it stays. */
  private acknowledgeDeploymentHandler(): void {
    const stack = Stack.of(this);
    const handler = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!handler) throw new InfraError('no bucket-deployment handler found in the stack');
    const site = stack.resolve(stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)) as string;
    const copying =
      "CDK's BucketDeployment handler copies the build from the CDK asset bucket into the site bucket and deletes files the build no longer has (prune): ";
    Validations.of(handler).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's BucketDeployment handler (a CDK-managed singleton that runs only at deploy time) writes its logs through the AWS managed basic execution policy; it has no other managed policy",
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'CDK\'s BucketDeployment handler invalidates the dashboard\'s CloudFront cache after a deploy; cloudfront:CreateInvalidation and GetInvalidation are granted on "*" by CDK',
      },
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Action::${action}]`,
        reason: `${copying}CDK's read/write grants name action groups (${action}) on those two buckets only`,
      })),
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        reason: `${copying}it reads the staged build from the bootstrap asset bucket, whose object keys are content hashes`,
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${site}.Arn>/*]`,
        reason: `${copying}it writes every file of the app into the dashboard's own bucket`,
      },
      {
        id: 'AwsSolutions::AwsSolutions-L1',
        reason:
          "the runtime of CDK's BucketDeployment handler is chosen by aws-cdk-lib (Python, with the AWS CLI layer) and moves with CDK upgrades; it runs only during deploys",
      },
    );
  }

  /**
   * Uploads the dashboard (built at synth time) and its `config.json` to the bucket, and invalidates CloudFront's
   * cache. Call once the API exists.
   */
  publish(options: DashboardPublishOptions): s3deploy.BucketDeployment {
    if (this.node.tryFindChild('Deploy')) throw new InfraError('the dashboard is published once per stack');
    const app = s3deploy.Source.asset(join(root, 'dashboard'), {
      bundling: {
        // Never used: local bundling below always succeeds or throws, so synth needs neither Docker nor a network.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
        local: {
          tryBundle(outputDir: string) {
            buildDashboardInto(outputDir);
            return true;
          },
        },
      },
    });
    const deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      sources: [
        app,
        s3deploy.Source.jsonData('config.json', {
          apiBase: options.apiBase,
          title: options.title ?? 'labloop',
        }),
      ],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
    });
    this.acknowledgeDeploymentHandler();
    return deployment;
  }
}
