import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { NOTIFIER_EVENTS } from '../../lambdas/domain/orders/notifications.ts';
import type { EightfoldFunction } from './eightfold-function.ts';
import type { PubSub, Subscriber } from './pub-sub.ts';
import { ENV } from '../../lambdas/platform/environment.ts';

/**
 * What customers are told: a subscriber of the customer-facing events writes one notification per event
 * (exactly once) into a table keyed by customer, newest first, which the queries function reads.
 */
export class Notifications extends Construct {
  readonly table: Table;
  readonly subscriber: Subscriber;

  constructor(scope: Construct, id: string, props: { readonly pubSub: PubSub }) {
    super(scope, id);
    // What customers were told: nothing re-sends a lost notification (rebuild-projections rebuilds the view
    // only), so point-in-time recovery guards it, and check-consistency names any missing one.
    // The partition key kept its name: it holds the customer and a part (`c1#3`), since a busy account's spread.
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'customerId', type: AttributeType.STRING },
      sortKey: { name: 'notificationId', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.subscriber = props.pubSub.addSubscriber(id, {
      handler: 'notifications-subscriber',
      eventTypes: NOTIFIER_EVENTS,
      environment: { [ENV.notifications.table]: this.table.tableName },
    });
    this.table.grant(this.subscriber.consumer, 'dynamodb:PutItem');
  }

  /** A function that lists a customer's notifications. */
  grantRead(fn: EightfoldFunction): void {
    this.table.grant(fn, 'dynamodb:Query');
    fn.addEnvironment(ENV.notifications.table, this.table.tableName);
  }
}
