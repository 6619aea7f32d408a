import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { LambdaIntegration, ResponseType, RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Construct } from 'constructs';
import { EightfoldFunction } from './constructs/eightfold-function.ts';
import { EventStore } from './constructs/event-store.ts';
import { PubSub } from './constructs/pub-sub.ts';
import { ReadModel } from './constructs/read-model.ts';
import { CUSTOMER_FACING_EVENTS } from '../lambdas/domain/orders/notifications.ts';

export interface EightfoldStackProps extends StackProps {
  /** Deployment stage; fault injection exists only outside `prod`. */
  readonly stage: string;
  /** The app version reported by `GET /health`. */
  readonly version: string;
}

/** The order service: one REST API in front of the pattern constructs. */
export class EightfoldStack extends Stack {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: EightfoldStackProps) {
    super(scope, id, props);

    // REST API (v1), not HTTP API (v2): LocalStack's free plan serves only v1.
    this.api = new RestApi(this, 'Api', {
      restApiName: `eightfold-${props.stage}`,
      description: 'Eightfold order service',
      deployOptions: { stageName: 'prod' },
      cloudWatchRole: false,
    });
    // API Gateway's own answers (unknown route, bad key, throttled, integration failure) keep the
    // contract too: the error body shape and the X-Served-By header.
    for (const type of [ResponseType.DEFAULT_4XX, ResponseType.DEFAULT_5XX]) {
      this.api.addGatewayResponse(`Gateway${type.responseType}`, {
        type,
        responseHeaders: { 'X-Served-By': "'eightfold'", 'Content-Type': "'application/json'" },
        templates: { 'application/json': '{"error":{"code":"$context.error.responseType","message":$context.error.messageString}}' },
      });
    }

    const health = new EightfoldFunction(this, 'HealthFunction', {
      handler: 'health',
      serviceName: 'health',
      environment: { EIGHTFOLD_VERSION: props.version, EIGHTFOLD_STAGE: props.stage },
      memorySize: 128,
      timeout: undefined,
    });
    this.api.root.addResource('health').addMethod('GET', new LambdaIntegration(health));

    // Event Sourcing + CQRS, command side: one Lambda for the order commands. They share code, table
    // grants and warm sandboxes; one function per command would triple the cold starts for no isolation gain.
    const retain = props.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const eventStore = new EventStore(this, 'EventStore', { removalPolicy: retain });
    // Powertools idempotency records (Idempotency-Key on POST /orders), expired by TTL after a day.
    const idempotency = new Table(this, 'Idempotency', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiration',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const commands = new EightfoldFunction(this, 'CommandsFunction', {
      handler: 'commands',
      serviceName: 'commands',
      environment: { EVENTS_TABLE: eventStore.table.tableName, IDEMPOTENCY_TABLE: idempotency.tableName, SNAPSHOT_EVERY: '50' },
    });
    eventStore.grantAppend(commands);
    idempotency.grantReadWriteData(commands);
    const commandIntegration = new LambdaIntegration(commands);
    const orders = this.api.root.addResource('orders');
    orders.addMethod('POST', commandIntegration);
    const order = orders.addResource('{orderId}');
    order.addResource('cancel').addMethod('POST', commandIntegration);
    order.addResource('ship').addMethod('POST', commandIntegration);

    // Query side: the projector keeps OrdersView; the queries function only reads (the view, and the
    // event store for the audit trail and time travel).
    const readModel = new ReadModel(this, 'ReadModel', { eventStore });
    const queries = new EightfoldFunction(this, 'QueriesFunction', {
      handler: 'queries',
      serviceName: 'queries',
      environment: { EVENTS_TABLE: eventStore.table.tableName, ORDERS_VIEW_TABLE: readModel.ordersView.tableName },
    });
    readModel.grantRead(queries);
    eventStore.grantRead(queries);
    const queryIntegration = new LambdaIntegration(queries);
    order.addMethod('GET', queryIntegration);
    order.addResource('events').addMethod('GET', queryIntegration);
    order.addResource('history').addMethod('GET', queryIntegration);
    this.api.root.addResource('customers').addResource('{customerId}').addResource('orders').addMethod('GET', queryIntegration);

    // Pub/Sub: the event stream, published to a FIFO topic, fanned out to subscribers with exactly-once effects.
    const pubSub = new PubSub(this, 'PubSub', { eventStore });
    const notificationsTable = new Table(this, 'Notifications', {
      partitionKey: { name: 'customerId', type: AttributeType.STRING },
      sortKey: { name: 'notificationId', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const notifications = pubSub.addSubscriber('Notifications', {
      handler: 'notifications-subscriber',
      eventTypes: CUSTOMER_FACING_EVENTS,
      environment: { NOTIFICATIONS_TABLE: notificationsTable.tableName },
    });
    notificationsTable.grant(notifications.consumer, 'dynamodb:PutItem');
    const auditLog = new Table(this, 'AuditLog', {
      partitionKey: { name: 'orderId', type: AttributeType.STRING },
      sortKey: { name: 'version', type: AttributeType.NUMBER },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: retain,
    });
    const audit = pubSub.addSubscriber('Audit', { handler: 'audit-subscriber', environment: { AUDIT_LOG_TABLE: auditLog.tableName } });
    // Append-only: the audit consumer may add entries, never change or remove one.
    auditLog.grant(audit.consumer, 'dynamodb:PutItem');
    notificationsTable.grant(queries, 'dynamodb:Query');
    queries.addEnvironment('NOTIFICATIONS_TABLE', notificationsTable.tableName);
    this.api.root.getResource('customers')!.getResource('{customerId}')!.addResource('notifications').addMethod('GET', queryIntegration);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Eightfold API' });
    new CfnOutput(this, 'EventsTableName', { value: eventStore.table.tableName, description: 'The event store (npm run rebuild-projections)' });
    new CfnOutput(this, 'OrdersViewTableName', { value: readModel.ordersView.tableName, description: 'The orders read model' });
    new CfnOutput(this, 'OrderEventsTopicArn', { value: pubSub.topic.topicArn, description: 'Order events (FIFO), published from the event stream' });
    new CfnOutput(this, 'AuditLogTableName', { value: auditLog.tableName, description: 'Every order event, append-only, for operators' });
    for (const [name, subscriber] of Object.entries({ Notifications: notifications, Audit: audit })) {
      new CfnOutput(this, `${name}QueueUrl`, { value: subscriber.queue.queueUrl, description: `The ${name.toLowerCase()} subscriber's queue (npm run redrive -- ${name.toLowerCase()})` });
    }
  }
}
