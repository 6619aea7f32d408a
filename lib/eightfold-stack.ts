import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { CfnRestApi, LambdaIntegration, ResponseType, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { EightfoldFunction } from './constructs/eightfold-function.ts';
import { SERVICE_API_STAGE, ServiceApi } from './constructs/service-api.ts';
import { alarmAtOrAbove, Monitoring } from './constructs/monitoring.ts';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { COORDINATOR_SERVICE, METRICS_NAMESPACE, PAYMENT_STEPS_FAILED_METRIC } from '../lambdas/platform/metric-names.ts';
import { EventStore } from './constructs/event-store.ts';
import { Ambassador } from './constructs/ambassador.ts';
import { CircuitBreakers } from './constructs/circuit-breaker.ts';
import { LeaderElection } from './constructs/leader-election.ts';
import { PubSub } from './constructs/pub-sub.ts';
import { ReadModel } from './constructs/read-model.ts';
import { Sharding } from './constructs/sharding.ts';
import { StranglerFacade } from './constructs/strangler.ts';
import { AWAITING_PAYMENT_INDEX, OPEN_PAYMENTS_INDEX, VIEW_BY_CUSTOMER_INDEX } from '../lambdas/domain/orders/index.ts';
import { CUSTOMER_FACING_EVENTS } from '../lambdas/domain/orders/notifications.ts';
import { routingTableSchema, type RoutingTable } from '../lambdas/patterns/strangler/index.ts';
import { issuesText } from '../lambdas/platform/http.ts';
import { RECENT_EVENTS_INDEX } from '../lambdas/composition/recent-events.ts';
import type { FaultTarget } from '../lambdas/platform/faults.ts';
import { grantOnTable } from './constructs/grants.ts';

export interface EightfoldStackProps extends StackProps {
  /** Deployment stage; fault injection exists only outside `prod`. */
  readonly stage: string;
  /** The app version reported by `GET /health`. */
  readonly version: string;
  /**
   * The payment provider the ambassador calls: the stand-in stack, or a real one with the same contract
   * (`apiToken` then the complete ARN of the secret holding its bearer token).
   */
  readonly paymentProvider: { readonly url: string; readonly apiToken: ISecret | string };
  /** The stand-ins' faults table and the stand-ins it reaches (`PUT /ops/faults/{target}`, outside prod). @default none: no fault injection */
  readonly faults?: { readonly table: ITable; readonly targets: readonly FaultTarget[] };
  /** The legacy system Eightfold strangles: what Eightfold does not serve goes there. */
  readonly legacy: { readonly url: string };
}

/** Outbound policy of the payment provider; `-c eightfold:outbound='{"payment-provider":{"timeoutMs":500}}'` overrides any field. */
const PAYMENT_PROVIDER_POLICY = {
  timeoutMs: 2_000,
  maxAttempts: 3,
  baseDelayMs: 50,
  maxDelayMs: 1_000,
  retryBudgetRatio: 0.2,
  minRetriesPerSecond: 5,
};

/** Outbound policy of legacy, called by the sync subscriber: short, because a waiting message costs nothing. */
const LEGACY_POLICY = { timeoutMs: 1_000, maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 500, retryBudgetRatio: 0.2, minRetriesPerSecond: 5 };

/**
 * The coordinator and its singleton work; `-c eightfold:coordinator='{"paymentTimeoutMinutes":5}'` overrides any field.
 * `paymentReconcileAfterSeconds`: how long a payment step may stay open before the reconciler asks the
 * provider; it must exceed the longest a charge request can take to reach the provider (the ambassador's
 * attempts and the provider's own timeout), so that "no charge under this key" is final.
 */
const COORDINATOR = {
  everyMinutes: 1,
  leaseSeconds: 180,
  clockSkewMarginSeconds: 5,
  contenders: 3,
  paymentTimeoutMinutes: 30,
  paymentReconcileAfterSeconds: 300,
};

/** Stage-wide throttle of the API, all callers together; `-c eightfold:throttle='{"rateLimit":200}'` overrides either. */
const THROTTLE = { rateLimit: 1_000, burstLimit: 2_000 };

/**
 * N shards, S write shards per counter, and how long a Lambda trusts the shard map it read;
 * `-c eightfold:sharding='{"shards":32}'` overrides any (a reshard moves a running system).
 */
const SHARDING = { shards: 16, writeShards: 8, mapCacheSeconds: 10 };

/** The strangler's routing table, from context `eightfold:routes` (cdk.json): the one place routes move. */
function routingTable(scope: Construct): RoutingTable {
  const parsed = routingTableSchema.safeParse(objectContext<RoutingTable>(scope, 'eightfold:routes'));
  if (!parsed.success) throw new Error(`eightfold:routes: ${issuesText(parsed.error)}`);
  return parsed.data;
}

/** A real provider's token, by the complete ARN of its secret; the stand-in's, as its stack made it. */
function secretOf(scope: Construct, secret: ISecret | string): ISecret {
  return typeof secret === 'string' ? Secret.fromSecretCompleteArn(scope, 'PaymentProviderToken', secret) : secret;
}

/** A context value holding an object: as given in cdk.json, or as JSON text from `-c key=…`. */
function objectContext<T>(scope: Construct, key: string): Partial<T> {
  const value: unknown = scope.node.tryGetContext(key);
  return (typeof value === 'string' ? JSON.parse(value) : (value ?? {})) as Partial<T>;
}

/** The order service: one REST API in front of the pattern constructs. */
export class EightfoldStack extends Stack {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: EightfoldStackProps) {
    super(scope, id, props);

    this.api = new ServiceApi(this, 'Api', {
      restApiName: `eightfold-${props.stage}`,
      description: 'Eightfold order service',
      // Detailed metrics: a request count per method, which GET /ops/routes reports per strangler route.
      detailedMetrics: true,
      throttle: { ...THROTTLE, ...objectContext<typeof THROTTLE>(this, 'eightfold:throttle') },
      logs: { retention: props.stage === 'prod' ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH },
      openBecause:
        'The shop’s public order API: the contract names the customer in each request and has no caller identity. /ops/* takes an API key (its own throttled usage plan). Put an authorizer in front where the shop has sign-in.',
    });
    // Locally, this API answers on bare paths (the payment provider's is under /restapis/{id}/prod/_user_request_).
    (this.api.node.defaultChild as CfnRestApi).addMetadata('LocalCloud::DefaultApi', true);
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
    const commands = new EightfoldFunction(this, 'CommandsFunction', {
      handler: 'commands',
      serviceName: 'commands',
      // No idempotency table: a keyed order's id derives from its Idempotency-Key, so the append is the record.
      environment: { EVENTS_TABLE: eventStore.table.tableName, SNAPSHOT_EVERY: '50' },
    });
    eventStore.grantAppend(commands);
    // Strangler Fig: Eightfold declares the routes it can serve; the routing table in cdk.json
    // (`eightfold:routes`) says, route by route, whether Eightfold or legacy answers them.
    const strangler = new StranglerFacade(this, 'Strangler', {
      api: this.api,
      stageName: SERVICE_API_STAGE,
      legacyUrl: props.legacy.url,
      routes: routingTable(this),
    });
    strangler.serve('POST /orders', commands);
    strangler.serve('POST /orders/{orderId}/cancel', commands);
    strangler.serve('POST /orders/{orderId}/ship', commands);

    // Ambassador + Circuit Breaker: the commands function pays through the ambassador, whose breaker state
    // every instance shares in the Breakers table.
    const breakers = new CircuitBreakers(this, 'CircuitBreakers');
    const overrides = objectContext<Record<string, Partial<typeof PAYMENT_PROVIDER_POLICY>>>(this, 'eightfold:outbound');
    const outboundTargets = {
      'payment-provider': {
        baseUrl: props.paymentProvider.url,
        ...PAYMENT_PROVIDER_POLICY,
        ...overrides['payment-provider']!,
        authSecret: secretOf(this, props.paymentProvider.apiToken),
      },
      legacy: { baseUrl: props.legacy.url, ...LEGACY_POLICY, ...overrides.legacy! },
    };
    const ambassador = new Ambassador(this, 'Ambassador', { targets: outboundTargets });
    // One breaker per outbound target.
    for (const target of Object.keys(outboundTargets)) breakers.alarmWhenOpen(target);
    breakers.useFrom(commands);
    ambassador.useFrom(commands);
    // A payment's decision is the provider's answer: it has no dry run to shadow.
    strangler.serve('POST /orders/{orderId}/payment', commands, { shadowable: false });

    // Query side: the projector keeps OrdersView; the queries function only reads (the view, and the
    // event store for the audit trail and time travel).
    const sharding = new Sharding(this, 'Sharding', {
      ...SHARDING,
      ...objectContext<typeof SHARDING>(this, 'eightfold:sharding'),
      removalPolicy: retain,
    });
    const readModel = new ReadModel(this, 'ReadModel', { eventStore, sharding });
    const queries = new EightfoldFunction(this, 'QueriesFunction', {
      handler: 'queries',
      serviceName: 'queries',
      environment: { EVENTS_TABLE: eventStore.table.tableName, ORDERS_VIEW_TABLE: readModel.ordersView.tableName },
    });
    readModel.grantRead(queries, VIEW_BY_CUSTOMER_INDEX);
    eventStore.grantRead(queries);
    for (const route of [
      'GET /orders/{orderId}',
      'GET /orders/{orderId}/events',
      'GET /orders/{orderId}/history',
      'GET /customers/{customerId}/orders',
    ])
      strangler.serve(route, queries);

    // Pub/Sub: the event stream, published to a FIFO topic, fanned out to subscribers with exactly-once effects.
    const pubSub = new PubSub(this, 'PubSub', { eventStore });
    const notificationsTable = new Table(this, 'Notifications', {
      partitionKey: { name: 'customerId', type: AttributeType.STRING },
      sortKey: { name: 'notificationId', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
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
    // The ops console's tail of recent events: entries filed under their minute (lambdas/composition/recent-events.ts).
    auditLog.addGlobalSecondaryIndex({
      indexName: RECENT_EVENTS_INDEX,
      partitionKey: { name: 'tailBucket', type: AttributeType.STRING },
      sortKey: { name: 'recordedAt', type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: ['type', 'eventId'],
    });
    const audit = pubSub.addSubscriber('Audit', { handler: 'audit-subscriber', environment: { AUDIT_LOG_TABLE: auditLog.tableName } });
    // Append-only: the audit consumer may add entries, never change or remove one.
    grantOnTable(audit.consumer, auditLog, ['dynamodb:PutItem']);
    // Sharding: units sold per SKU on write-sharded counters, routed by a versioned shard map.
    const sales = pubSub.addSubscriber('Sales', {
      handler: 'sales-subscriber',
      eventTypes: ['OrderPlaced', 'OrderCancelled'],
      environment: { ...sharding.environment, EVENTS_TABLE: eventStore.table.tableName },
      // Sums commute and each event carries its own applied-marker: no order, no checkpoint.
      checkpoints: false,
    });
    sharding.grantCount(sales.consumer);
    // A cancellation's items come from the order's OrderPlaced.
    eventStore.grantRead(sales.consumer);
    sharding.grantReadTotals(queries);
    for (const [name, value] of Object.entries(sharding.environment)) queries.addEnvironment(name, value);
    strangler.serve('GET /products/{sku}/sales', queries);
    notificationsTable.grant(queries, 'dynamodb:Query');
    queries.addEnvironment('NOTIFICATIONS_TABLE', notificationsTable.tableName);
    strangler.serve('GET /customers/{customerId}/notifications', queries);

    // Leader Election: contenders take scheduled turns; the lease holder cancels orders left unpaid, its
    // appends fenced. The local cloud's --time-scale shrinks every duration alike.
    const timeScale = Number(this.node.tryGetContext('local-cloud:time-scale') ?? 1);
    const coordinator = { ...COORDINATOR, ...objectContext<typeof COORDINATOR>(this, 'eightfold:coordinator') };
    const leaderElection = new LeaderElection(this, 'LeaderElection', {
      handler: 'coordinator',
      leaseName: 'coordinator',
      every: Duration.minutes(coordinator.everyMinutes),
      lease: Duration.millis(coordinator.leaseSeconds * 1000),
      clockSkewMargin: Duration.millis(coordinator.clockSkewMarginSeconds * 1000),
      contenders: coordinator.contenders,
      timeScale,
      environment: {
        EVENTS_TABLE: eventStore.table.tableName,
        ORDERS_VIEW_TABLE: readModel.ordersView.tableName,
        PAYMENT_TIMEOUT_MS: String(Math.round((coordinator.paymentTimeoutMinutes * 60_000) / timeScale)),
        PAYMENT_RECONCILE_AFTER_MS: String(Math.round((coordinator.paymentReconcileAfterSeconds * 1000) / timeScale)),
      },
    });
    eventStore.grantAppend(leaderElection.coordinator);
    readModel.grantRead(leaderElection.coordinator, AWAITING_PAYMENT_INDEX, OPEN_PAYMENTS_INDEX);
    // The payment reconciler asks the provider about payments in flight and runs refunds still owed; money
    // it cannot put where it belongs for three turns in a row is an alarm (and `npm run check-consistency` names the orders).
    breakers.useFrom(leaderElection.coordinator);
    ambassador.useFrom(leaderElection.coordinator);
    const stepsFailed = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: PAYMENT_STEPS_FAILED_METRIC,
      dimensionsMap: { service: COORDINATOR_SERVICE, lease: leaderElection.leaseName },
      statistic: 'Sum',
      period: Duration.minutes(coordinator.everyMinutes),
    });
    alarmAtOrAbove(
      this,
      'PaymentStepsStuckAlarm',
      stepsFailed,
      1,
      'Payments in flight or refunds owed the reconciler could not conclude on three turns in a row: see the coordinator’s “payment steps still open” log lines',
      3,
    );

    // Operations, behind an API key: breakers and the leader everywhere; fault injection and step-down
    // everywhere but production.
    const ops = new EightfoldFunction(this, 'OpsFunction', {
      handler: 'ops',
      serviceName: 'ops',
      environment: {
        BREAKERS_TABLE: breakers.table.tableName,
        KNOWN_BREAKERS: Object.keys(outboundTargets).join(','),
        EIGHTFOLD_STAGE: props.stage,
        LEASES_TABLE: leaderElection.table.tableName,
        LEASE_NAME: leaderElection.leaseName,
        ...sharding.environment,
      },
    });
    sharding.grantObserve(ops);
    breakers.grantOperate(ops);
    leaderElection.grantObserve(ops);
    const opsIntegration = new LambdaIntegration(ops);
    const opsResource = this.api.root.addResource('ops');
    const breakersResource = opsResource.addResource('breakers');
    breakersResource.addMethod('GET', opsIntegration, { apiKeyRequired: true });
    breakersResource.addResource('{name}').addMethod('PUT', opsIntegration, { apiKeyRequired: true });
    opsResource.addResource('shards').addMethod('GET', opsIntegration, { apiKeyRequired: true });
    const leaderResource = opsResource.addResource('leader');
    leaderResource.addMethod('GET', opsIntegration, { apiKeyRequired: true });
    if (props.stage !== 'prod' && props.faults) {
      props.faults.table.grant(ops, 'dynamodb:PutItem');
      ops.addEnvironment('FAULTS_TABLE', props.faults.table.tableName);
      ops.addEnvironment('FAULT_TARGETS', props.faults.targets.join(','));
      opsResource.addResource('faults').addResource('{target}').addMethod('PUT', opsIntegration, { apiKeyRequired: true });
    }
    if (props.stage !== 'prod') {
      leaderElection.grantStepDown(ops);
      leaderResource.addResource('step-down').addMethod('POST', opsIntegration, { apiKeyRequired: true });
    }
    const opsKey = this.api.addApiKey('OpsApiKey', {
      apiKeyName: `eightfold-${props.stage}-ops`,
      description: 'Operators of Eightfold (/ops/*)',
    });
    const opsPlan = this.api.addUsagePlan('OpsUsagePlan', {
      name: `eightfold-${props.stage}-ops`,
      throttle: { rateLimit: 10, burstLimit: 20 },
    });
    opsPlan.addApiKey(opsKey);
    opsPlan.addApiStage({ stage: this.api.deploymentStage });

    // Strangler Fig: every route as the table says; everything else (any other path, any other method) to legacy.
    strangler.grantObserve(ops);
    opsResource.addResource('routes').addMethod('GET', opsIntegration, { apiKeyRequired: true });
    strangler.build();
    // The ops console (GET /console): a page on the operators' API, keyed by the operator who opens it.
    const opsConsole = new EightfoldFunction(this, 'ConsoleFunction', {
      handler: 'console',
      serviceName: 'console',
      environment: { EIGHTFOLD_STAGE: props.stage },
      memorySize: 128,
    });
    this.api.root.addResource('console').addMethod('GET', new LambdaIntegration(opsConsole));
    grantOnTable(ops, auditLog, ['dynamodb:Query'], [RECENT_EVENTS_INDEX]);
    ops.addEnvironment('AUDIT_LOG_TABLE', auditLog.tableName);
    opsResource.addResource('events').addMethod('GET', opsIntegration, { apiKeyRequired: true });
    // Subscribers that call another system wait out its outages: messages back off from 1 s to 5 min, about
    // 2 h before the DLQ; legacy's at most 5 × (2 attempts of 1 s) per invocation when it hangs.
    const callsOut = {
      checkpoints: false,
      retryBackoff: { first: Duration.seconds(1), max: Duration.minutes(5) },
      maxReceiveCount: 30,
      batchSize: 5,
      timeout: Duration.seconds(15),
    };
    // Legacy stays whole meanwhile: every order event is fed to it through the ambassador and its breaker.
    const legacySync = pubSub.addSubscriber('LegacySync', { handler: 'legacy-sync-subscriber', ...callsOut });
    // The payment saga's compensation: every RefundRequested refunded at the provider, then recorded; past
    // the DLQ, the reconciler still runs it.
    // Two refunds an invocation: each may take the provider's 3 attempts of 2 s when it hangs.
    const refunds = pubSub.addSubscriber('Refunds', {
      handler: 'refunds-subscriber',
      eventTypes: ['RefundRequested'],
      environment: { EVENTS_TABLE: eventStore.table.tableName },
      ...callsOut,
      batchSize: 2,
    });
    eventStore.grantAppend(refunds.consumer);
    for (const subscriber of [legacySync, refunds]) {
      breakers.useFrom(subscriber.consumer);
      ambassador.useFrom(subscriber.consumer);
    }

    // GET /ops/queues: each subscriber's backlog and dead letters, and the stream consumers' dead letters.
    const subscribers = { notifications, audit, sales, legacySync, refunds };
    const queues = [
      ...Object.entries(subscribers).map(([name, s]) => ({ name, queue: s.queue, deadLetterQueue: s.deadLetterQueue })),
      { name: 'projector', queue: undefined, deadLetterQueue: readModel.deadLetterQueue },
      { name: 'publisher', queue: undefined, deadLetterQueue: pubSub.publisherDeadLetterQueue },
    ];
    for (const { queue, deadLetterQueue } of queues) for (const q of [queue, deadLetterQueue]) q?.grant(ops, 'sqs:GetQueueAttributes');
    ops.addEnvironment(
      'OBSERVED_QUEUES',
      this.toJsonString(
        queues.map(({ name, queue, deadLetterQueue }) => ({ name, url: queue?.queueUrl, deadLetterUrl: deadLetterQueue.queueUrl })),
      ),
    );
    opsResource.addResource('queues').addMethod('GET', opsIntegration, { apiKeyRequired: true });

    // Every alarm the constructs made, to one topic and one dashboard.
    const monitoring = new Monitoring(this, 'Monitoring', { dashboardName: `eightfold-${props.stage}` });
    monitoring.watch(this);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Eightfold API' });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: monitoring.alarmTopic.topicArn,
      description: 'Every alarm’s state changes: subscribe an email or a pager',
    });
    new CfnOutput(this, 'DashboardName', {
      value: monitoring.dashboard.dashboardName,
      description: 'The CloudWatch dashboard of every alarm',
    });
    new CfnOutput(this, 'EventsTableName', {
      value: eventStore.table.tableName,
      description: 'The event store (npm run rebuild-projections)',
    });
    new CfnOutput(this, 'OrdersViewTableName', { value: readModel.ordersView.tableName, description: 'The orders read model' });
    new CfnOutput(this, 'OrderEventsTopicArn', {
      value: pubSub.topic.topicArn,
      description: 'Order events (FIFO), published from the event stream',
    });
    new CfnOutput(this, 'OpsApiKeyId', {
      value: opsKey.keyId,
      description: 'aws apigateway get-api-key --include-value --api-key <id> gives the x-api-key value',
    });
    new CfnOutput(this, 'BreakerTransitionsTopicArn', {
      value: breakers.transitions.topicArn,
      description: 'Every circuit-breaker transition (subscribe to be told)',
    });
    new CfnOutput(this, 'LeasesTableName', {
      value: leaderElection.table.tableName,
      description: 'Leases, leadership changes and fences (GET /ops/leader)',
    });
    new CfnOutput(this, 'AuditLogTableName', { value: auditLog.tableName, description: 'Every order event, append-only, for operators' });
    new CfnOutput(this, 'NotificationsTableName', {
      value: notificationsTable.tableName,
      description: 'What the notifications subscriber delivered (npm run check-consistency)',
    });
    new CfnOutput(this, 'SalesCountersTableName', {
      value: sharding.counters.tableName,
      description: 'Write-sharded sales counters (GET /ops/shards, npm run reshard)',
    });
    new CfnOutput(this, 'ShardMapsTableName', {
      value: sharding.shardMaps.tableName,
      description: 'The versioned shard maps (npm run reshard)',
    });
    for (const [name, subscriber] of Object.entries({
      Notifications: notifications,
      Audit: audit,
      Sales: sales,
      LegacySync: legacySync,
      Refunds: refunds,
    })) {
      new CfnOutput(this, `${name}QueueUrl`, {
        value: subscriber.queue.queueUrl,
        description: `The ${name.toLowerCase()} subscriber's queue (npm run redrive -- ${name.toLowerCase()})`,
      });
      new CfnOutput(this, `${name}DeadLetterQueueUrl`, {
        value: subscriber.deadLetterQueue.queueUrl,
        description: `What the ${name.toLowerCase()} subscriber could not process (its DlqDepthAlarm watches it)`,
      });
    }
  }
}
