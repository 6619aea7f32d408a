import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AWAITING_PAYMENT_INDEX, OPEN_PAYMENTS_INDEX, VIEW_BY_CUSTOMER_INDEX } from '../../lambdas/domain/orders/index.ts';
import { EightfoldFunction } from './eightfold-function.ts';
import type { EventStore } from './event-store.ts';
import type { Sharding } from './sharding.ts';
import { grantOnTable } from './grants.ts';
import { acknowledge } from '../compliance.ts';
import { deadLetterAlarm } from './monitoring.ts';
import { ENV } from '../../lambdas/platform/environment.ts';

export interface ReadModelProps {
  /** The event store whose stream feeds the view (and whose events heal gaps). */
  readonly eventStore: EventStore;
  /** The shard map the projector stamps each row's shard by. */
  readonly sharding: Sharding;
  /** Records per projector invocation. @default 100 */
  readonly batchSize?: number;
  /** Retries of a failing batch before it goes to the dead-letter queue. @default 5 */
  readonly retryAttempts?: number;
}

/**
 * CQRS read side: the OrdersView table (one row per order, a by-customer index newest first) kept by a
 * projector on the event store's stream. Ordered and idempotent per order; a batch that keeps failing is
 * bisected, retried, then parked in a DLQ (the view heals from the store when later events arrive).
 */
export class ReadModel extends Construct {
  readonly ordersView: ITable;
  readonly projector: EightfoldFunction;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: ReadModelProps) {
    super(scope, id);
    this.ordersView = new Table(this, 'OrdersView', {
      partitionKey: { name: 'orderId', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      // A view is rebuilt from the event store at will: nothing to keep.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Keyed by a part of the customer's list, not the customer: a busy account's orders spread over parts.
    (this.ordersView as Table).addGlobalSecondaryIndex({
      indexName: VIEW_BY_CUSTOMER_INDEX,
      partitionKey: { name: 'customerPart', type: AttributeType.STRING },
      sortKey: { name: 'customerOrderKey', type: AttributeType.STRING },
    });
    // Each row carries its customer's shard, but no index is keyed by it: every order would write one of N
    // partitions, the hottest of which capped the shop near 13,000 orders a second (docs/scaling.md), for
    // the sake of a reshard that reads every shard anyway. The reshard scans the table instead.
    // Sparse: only orders awaiting payment carry its key, so the payment-timeout job reads nothing else.
    (this.ordersView as Table).addGlobalSecondaryIndex({
      indexName: AWAITING_PAYMENT_INDEX,
      partitionKey: { name: 'awaitingPayment', type: AttributeType.STRING },
      sortKey: { name: 'customerOrderKey', type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    // Sparse: only orders with a payment step open (a charge in flight, a refund owed) carry its key: the reconciler's worklist.
    (this.ordersView as Table).addGlobalSecondaryIndex({
      indexName: OPEN_PAYMENTS_INDEX,
      partitionKey: { name: 'paymentOpen', type: AttributeType.STRING },
      sortKey: { name: 'paymentOpenSince', type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    acknowledge(this.ordersView, {
      'AwsSolutions-DDB3':
        'A projection: `npm run rebuild-projections` rebuilds it from the event store, which has point-in-time recovery.',
    });
    this.deadLetterQueue = new Queue(this, 'ProjectorDlq', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    acknowledge(this.deadLetterQueue, {
      'AwsSolutions-SQS3': 'It is a dead-letter queue itself: the OnFailure destination of the projector’s stream mapping.',
    });
    deadLetterAlarm(
      this,
      this.deadLetterQueue,
      'Stream records the projector gave up on: their orders’ rows heal on their next event, or now with npm run rebuild-projections.',
    );
    this.projector = new EightfoldFunction(this, 'Projector', {
      handler: 'projector',
      serviceName: 'projector',
      environment: {
        [ENV.eventStore.table]: props.eventStore.table.tableName,
        [ENV.readModel.ordersView]: this.ordersView.tableName,
        ...props.sharding.routingEnvironment,
      },
    });
    props.sharding.grantRoute(this.projector);
    grantOnTable(this.projector, this.ordersView, ['dynamodb:GetItem', 'dynamodb:PutItem']);
    props.eventStore.grantRead(this.projector);
    this.projector.addEventSource(
      new DynamoEventSource(props.eventStore.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: props.batchSize ?? 100,
        bisectBatchOnError: true,
        retryAttempts: props.retryAttempts ?? 5,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.deadLetterQueue),
        // Snapshots share the table and carry no eventId: only events reach the projector.
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: { NewImage: { eventId: { S: FilterRule.exists() } } },
          }),
        ],
      }),
    );
  }

  /** Reads of the view and of the named indexes: no write of any kind. */
  grantRead(fn: EightfoldFunction, ...indexes: string[]): Grant {
    fn.addEnvironment(ENV.readModel.ordersView, this.ordersView.tableName);
    return grantOnTable(fn, this.ordersView, ['dynamodb:GetItem', 'dynamodb:Query'], indexes);
  }

  /** Scans of the named (sparse) indexes, and of nothing else: a small one is read whole in one request. */
  grantScanOf(fn: EightfoldFunction, ...indexes: string[]): Grant {
    return Grant.addToPrincipal({
      grantee: fn,
      actions: ['dynamodb:Scan'],
      resourceArns: indexes.map((index) => `${this.ordersView.tableArn}/index/${index}`),
    });
  }
}
