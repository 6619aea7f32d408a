import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Grant } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { EightfoldFunction } from './eightfold-function.ts';
import { ENV } from '../../lambdas/platform/environment.ts';

export interface EventStoreProps {
  /** Keep the table when the stack is deleted (the log is the source of truth). @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** An appender writes a snapshot with every this many events, so a load folds at most as many. @default 50 */
  readonly snapshotEvery?: number;
}

/**
 * The event store: one table, one partition per stream. Events sit at `position` = version, snapshots at
 * version + 0.5 (see lambdas/patterns/event-sourcing). Its stream (new images) is the outbox every read
 * model and publisher consumes.
 */
export class EventStore extends Construct {
  readonly table: ITable;
  private readonly snapshotEvery: number;

  constructor(scope: Construct, id: string, props: EventStoreProps = {}) {
    super(scope, id);
    this.snapshotEvery = props.snapshotEvery ?? 50;
    this.table = new Table(this, 'Events', {
      partitionKey: { name: 'streamId', type: AttributeType.STRING },
      sortKey: { name: 'position', type: AttributeType.NUMBER },
      billingMode: BillingMode.PAY_PER_REQUEST,
      stream: StreamViewType.NEW_IMAGE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /**
   * Load and append: Query for the stream, conditional PutItem (alone or in a transaction). No reads of other
   * tables, no updates or deletes. A transaction's conditional Put needs PutItem alone: ConditionCheckItem is
   * for a transaction's ConditionCheck, which the store never makes (the local cloud's IAM holds it to that).
   */
  grantAppend(fn: EightfoldFunction): Grant {
    fn.addEnvironment(ENV.eventStore.table, this.table.tableName);
    fn.addEnvironment(ENV.eventStore.snapshotEvery, String(this.snapshotEvery));
    return this.table.grant(fn, 'dynamodb:Query', 'dynamodb:PutItem');
  }

  /** Read streams (the audit trail, time travel, gap healing). */
  grantRead(fn: EightfoldFunction): Grant {
    fn.addEnvironment(ENV.eventStore.table, this.table.tableName);
    return this.table.grant(fn, 'dynamodb:Query', 'dynamodb:GetItem');
  }
}
