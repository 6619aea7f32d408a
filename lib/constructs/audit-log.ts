import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { RECENT_EVENTS_INDEX } from '../../lambdas/composition/recent-events.ts';
import type { EightfoldFunction } from './eightfold-function.ts';
import { grantOnTable } from './grants.ts';
import type { PubSub, Subscriber } from './pub-sub.ts';
import { ENV } from '../../lambdas/platform/environment.ts';

/**
 * Every order event, append-only, for operators: a subscriber of every event writes one entry per
 * (order, version), and files it under its minute so the ops console tails the latest events with a
 * Query of the last few minutes (lambdas/composition/recent-events.ts), not a Scan of the log.
 */
export class AuditLog extends Construct {
  readonly table: Table;
  readonly subscriber: Subscriber;

  constructor(scope: Construct, id: string, props: { readonly pubSub: PubSub; readonly removalPolicy: RemovalPolicy }) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'orderId', type: AttributeType.STRING },
      sortKey: { name: 'version', type: AttributeType.NUMBER },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: RECENT_EVENTS_INDEX,
      partitionKey: { name: 'tailBucket', type: AttributeType.STRING },
      sortKey: { name: 'recordedAt', type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: ['type', 'eventId'],
    });
    this.subscriber = props.pubSub.addSubscriber('Audit', {
      handler: 'audit-subscriber',
      environment: { [ENV.auditLog.table]: this.table.tableName },
    });
    // Append-only: the audit consumer may add entries, never change or remove one.
    grantOnTable(this.subscriber.consumer, this.table, ['dynamodb:PutItem']);
  }

  /** A function that reads the tail of recent events (the index only). */
  grantTail(fn: EightfoldFunction): void {
    grantOnTable(fn, this.table, ['dynamodb:Query'], [RECENT_EVENTS_INDEX]);
    fn.addEnvironment(ENV.auditLog.table, this.table.tableName);
  }
}
