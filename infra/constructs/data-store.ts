import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Props of {@link DataStore}. */
export interface DataStoreProps {
  /** Years the audit archive's objects cannot be deleted or overwritten. @default 7 */
  auditRetentionYears?: number;
}

/**
 * The cloud state store: the single labloop table (keys in `functions/shared/table.ts`) and the Powertools
 * idempotency table, both with point-in-time recovery and TTL; the audit archive in S3 with Object Lock
 * (compliance mode), versioning, encryption, TLS only and server access logs.
 */
export class DataStore extends Construct {
  /** The single labloop table (`pk`, `sk`). */
  readonly table: dynamodb.TableV2;
  /** device-event's idempotency records. */
  readonly idempotencyTable: dynamodb.TableV2;
  /** The hash-chained audit log's archive. */
  readonly auditBucket: s3.Bucket;
  /** Where the buckets' server access logs go. */
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataStoreProps = {}) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.idempotencyTable = new dynamodb.TableV2(this, 'IdempotencyTable', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiration',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.auditBucket = new s3.Bucket(this, 'AuditArchive', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(
        Duration.days(365 * (props.auditRetentionYears ?? 7)),
      ),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'audit/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
