import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, BillingMode, Table, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { FifoThroughputScope, SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EightfoldFunction } from './eightfold-function.ts';
import type { EventStore } from './event-store.ts';
import { acknowledge } from '../compliance.ts';
import { awsManagedSnsKey, grantPublishTo } from './grants.ts';
import { deadLetterAlarm } from './monitoring.ts';
import { ENV } from '../../lambdas/platform/environment.ts';

export interface PubSubProps {
  /** The event store whose stream is the outbox. */
  readonly eventStore: EventStore;
}

export interface SubscriberProps {
  /** Handler module under lambdas/handlers/. */
  readonly handler: string;
  /** Event types this subscriber receives (an SNS filter policy on `eventType`). @default every event */
  readonly eventTypes?: readonly string[];
  readonly environment?: Record<string, string>;
  /** Receives before a message is parked in the DLQ. @default 3 */
  readonly maxReceiveCount?: number;
  /**
   * Whether the subscriber applies events in order with a per-order checkpoint (the ordered consumer).
   * One whose effects commute and carry their own exactly-once marker needs neither. @default true
   */
  readonly checkpoints?: boolean;
  /**
   * Failed messages come back after a delay doubling from `first` to `max` per receive, instead of the
   * queue's fixed visibility timeout: for a subscriber that waits out another system's outage.
   * @default the visibility timeout
   */
  readonly retryBackoff?: { readonly first: Duration; readonly max: Duration };
  /** Messages per invocation. @default 10 */
  readonly batchSize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /**
   * The consumer may park a message that can never succeed (its handler says which) in the DLQ at once,
   * rather than retry it `maxReceiveCount` times: it may send to its DLQ. @default false
   */
  readonly parksPoison?: boolean;
}

/**
 * A subscriber that calls another system waits out its outages: failed messages back off from 1 s to
 * 5 min, about 2 h of receives before the DLQ, with five messages an invocation of at most 15 s (legacy's
 * 2 attempts of 1 s each, five times over, when it hangs). Its effects are idempotent at the other system,
 * which keeps the order (a revision, a key): no checkpoints of ours.
 */
export const CALLS_ANOTHER_SYSTEM = {
  checkpoints: false,
  retryBackoff: { first: Duration.seconds(1), max: Duration.minutes(5) },
  maxReceiveCount: 30,
  batchSize: 5,
  timeout: Duration.seconds(15),
} as const satisfies Partial<SubscriberProps>;

/**
 * Pub/Sub on the event store: a publisher Lambda turns the stream into messages on a FIFO topic of order
 * events (group = order id, deduplication = event id), and each subscriber is a FIFO queue with its own DLQ,
 * DLQ-depth alarm and consumer Lambda. Subscribers keep their per-order progress in one checkpoints table.
 */
export class PubSub extends Construct {
  readonly topic: Topic;
  readonly publisher: EightfoldFunction;
  /** Stream batches that could not be published before the records expired (24 h): pointers to republish. */
  readonly publisherDeadLetterQueue: Queue;
  readonly checkpoints: ITable;

  constructor(scope: Construct, id: string, props: PubSubProps) {
    super(scope, id);
    // FIFO: per-order order is delivered, not reconstructed by every consumer (see docs/design.md).
    // Event ids are unique, so deduplicating within a message group loses nothing and lifts the topic's
    // 3,000 messages/s quota to the regional maximum (high-throughput FIFO).
    this.topic = new Topic(this, 'OrderEvents', {
      fifo: true,
      contentBasedDeduplication: false,
      fifoThroughputScope: FifoThroughputScope.MESSAGE_GROUP,
      enforceSSL: true,
      masterKey: awsManagedSnsKey(this),
    });
    this.publisherDeadLetterQueue = new Queue(this, 'PublisherDlq', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    acknowledge(this.publisherDeadLetterQueue, {
      'AwsSolutions-SQS3': 'It is a dead-letter queue itself: the OnFailure destination of the publisher’s stream mapping.',
    });
    deadLetterAlarm(
      this,
      this.publisherDeadLetterQueue,
      'Stream records SNS refused for the stream’s whole 24 h retention: republish those orders’ events from the event store (see Operations).',
    );
    this.publisher = new EightfoldFunction(this, 'Publisher', {
      handler: 'publisher',
      serviceName: 'publisher',
      // The table name only decodes items; the publisher reads nothing but its stream.
      environment: { [ENV.pubSub.topic]: this.topic.topicArn, [ENV.eventStore.table]: props.eventStore.table.tableName },
    });
    grantPublishTo(this.publisher, this.topic);
    this.publisher.addEventSource(
      new DynamoEventSource(props.eventStore.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        // An unpublished event blocks its shard until SNS takes it: retried, never skipped, never bisected
        // (order matters), for as long as the stream keeps the record.
        retryAttempts: -1,
        bisectBatchOnError: false,
        reportBatchItemFailures: true,
        parallelizationFactor: 1,
        onFailure: new SqsDlq(this.publisherDeadLetterQueue),
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: { NewImage: { eventId: { S: FilterRule.exists() } } },
          }),
        ],
      }),
    );
    this.checkpoints = new Table(this, 'SubscriberCheckpoints', {
      partitionKey: { name: 'subscriber', type: AttributeType.STRING },
      sortKey: { name: 'streamId', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      // A lost checkpoint would let a redelivered event apply its effect twice.
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** A subscriber: FIFO queue + DLQ + alarm + consumer, subscribed with raw delivery and an optional filter. */
  addSubscriber(id: string, props: SubscriberProps): Subscriber {
    return new Subscriber(this, id, { ...props, pubSub: this });
  }
}

export class Subscriber extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly consumer: EightfoldFunction;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: SubscriberProps & { pubSub: PubSub }) {
    super(scope, id);
    const name = id.toLowerCase();
    const timeout = props.timeout ?? Duration.seconds(10);
    this.deadLetterQueue = new Queue(this, 'Dlq', {
      fifo: true,
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new Queue(this, 'Queue', {
      fifo: true,
      // High-throughput FIFO: quotas and deduplication per message group (per order), as on the topic.
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      // AWS's guidance for Lambda consumers: six times the function timeout, so retries do not overlap.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 3 },
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.deadLetterAlarm = deadLetterAlarm(
      this,
      this.deadLetterQueue,
      `Messages the ${name} subscriber could not process are waiting in its DLQ (npm run redrive -- ${name})`,
    );
    props.pubSub.topic.addSubscription(
      new SqsSubscription(this.queue, {
        rawMessageDelivery: true,
        filterPolicy: props.eventTypes ? { eventType: SubscriptionFilter.stringFilter({ allowlist: [...props.eventTypes] }) } : undefined,
      }),
    );
    this.consumer = new EightfoldFunction(this, 'Consumer', {
      handler: props.handler,
      serviceName: `${name}-subscriber`,
      timeout,
      environment: {
        ...props.environment,
        [ENV.pubSub.subscriber]: name,
        ...(props.checkpoints === false ? {} : { [ENV.pubSub.checkpoints]: props.pubSub.checkpoints.tableName }),
        ...(props.retryBackoff
          ? {
              [ENV.pubSub.queueUrl]: this.queue.queueUrl,
              [ENV.pubSub.retryBackoffSeconds]: `${props.retryBackoff.first.toSeconds()}:${props.retryBackoff.max.toSeconds()}`,
            }
          : {}),
        ...(props.parksPoison ? { [ENV.pubSub.deadLetterQueueUrl]: this.deadLetterQueue.queueUrl } : {}),
      },
    });
    if (props.parksPoison) this.deadLetterQueue.grantSendMessages(this.consumer);
    if (props.checkpoints !== false) {
      // Each subscriber reads and writes only its own partition of the checkpoints table (a batch's checkpoints in
      // one BatchGetItem; a checkpoint's conditional Put, alone or in the effect's transaction, is PutItem's).
      this.consumer.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'],
          resources: [props.pubSub.checkpoints.tableArn],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [name] } },
        }),
      );
    }
    // The event source's consume grant includes sqs:ChangeMessageVisibility, which the retry backoff uses.
    this.consumer.addEventSource(new SqsEventSource(this.queue, { batchSize: props.batchSize ?? 10, reportBatchItemFailures: true }));
  }
}
