import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { AWAITING_PAYMENT_INDEX, OPEN_PAYMENTS_INDEX, VIEW_BY_CUSTOMER_INDEX } from '../lambdas/domain/orders/index.ts';
import { COMMAND_ROUTES, OPERATOR_ONLY_ROUTES, QUERY_ROUTES } from '../lambdas/handlers/routes.ts';
import type { FaultTarget } from '../lambdas/platform/faults.ts';
import { LEGACY_CONFLICTS_METRIC, LEGACY_ORPHANS_METRIC, PAYMENT_STEPS_FAILED_METRIC } from '../lambdas/platform/metric-names.ts';
import { coordinatorProps, legacyCaptureProps, outboundTargets, routingTable, shardingSettings, stampLegacy } from './context.ts';
import { Ambassador } from './constructs/ambassador.ts';
import { AuditLog } from './constructs/audit-log.ts';
import { CircuitBreakers } from './constructs/circuit-breaker.ts';
import { CursorKey } from './constructs/cursor-key.ts';
import { EightfoldFunction } from './constructs/eightfold-function.ts';
import { EventStore } from './constructs/event-store.ts';
import { LeaderElection } from './constructs/leader-election.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { Notifications } from './constructs/notifications.ts';
import { OpsApi } from './constructs/ops-api.ts';
import { CALLS_ANOTHER_SYSTEM, PubSub } from './constructs/pub-sub.ts';
import { ReadModel } from './constructs/read-model.ts';
import { Sharding } from './constructs/sharding.ts';
import { StranglerFacade } from './constructs/strangler.ts';
import { orderServiceApi } from './order-api.ts';
import { stackOutputs } from './stack-outputs.ts';

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
  /** The legacy system Eightfold strangles: what Eightfold does not serve goes there; its integration API takes the bearer token in `integrationToken`. */
  readonly legacy: { readonly url: string; readonly integrationToken: ISecret | string };
}

/** The order service: one REST API in front of the pattern constructs, each owning its grants and environment. */
export class EightfoldStack extends Stack {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: EightfoldStackProps) {
    super(scope, id, props);
    const { stage } = props;
    const retain = stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    // Who calls: customers on their own orders, operators on anyone's and on /ops (lambdas/handlers/routes.ts says which).
    const { api, identity } = orderServiceApi(this, { ...props, operatorOnly: OPERATOR_ONLY_ROUTES, removalPolicy: retain });
    this.api = api;

    // Event Sourcing, command side: one Lambda for the order commands (shared code, grants and warm sandboxes).
    // No idempotency table: a keyed order's id derives from its Idempotency-Key, so the append is the record.
    const eventStore = new EventStore(this, 'EventStore', { removalPolicy: retain });
    const commands = new EightfoldFunction(this, 'CommandsFunction', { handler: 'commands', serviceName: 'commands' });
    eventStore.grantAppend(commands);
    // Ambassador + Circuit Breaker: outbound calls go through the ambassador, one breaker per target, shared by every instance.
    const targets = outboundTargets(this, props.paymentProvider, props.legacy);
    const breakers = new CircuitBreakers(this, 'CircuitBreakers');
    const ambassador = new Ambassador(this, 'Ambassador', { targets, breakers });
    ambassador.useFrom(commands, 'payment-provider');

    // CQRS, query side: the projector keeps OrdersView (sharded by customer); the queries function only reads.
    const sharding = new Sharding(this, 'Sharding', { ...shardingSettings(this), removalPolicy: retain });
    const readModel = new ReadModel(this, 'ReadModel', { eventStore, sharding });
    const queries = new EightfoldFunction(this, 'QueriesFunction', { handler: 'queries', serviceName: 'queries' });
    readModel.grantRead(queries, VIEW_BY_CUSTOMER_INDEX);
    eventStore.grantRead(queries);
    sharding.grantReadTotals(queries);
    new CursorKey(this, 'CursorKey').grantUse(queries);

    // Strangler Fig: Eightfold declares the routes it can serve; the routing table (cdk.json `eightfold:routes`)
    // says, route by route, whether Eightfold or legacy answers them. Everything else goes to legacy.
    const routed = {
      api,
      legacyUrl: props.legacy.url,
      routes: routingTable(this),
      authorizer: identity.authorizer,
      stampLegacy: stampLegacy(this),
    };
    const strangler = new StranglerFacade(this, 'Strangler', routed);
    for (const [route, options] of Object.entries(COMMAND_ROUTES)) strangler.serve(route, commands, options);
    for (const [route, options] of Object.entries(QUERY_ROUTES)) strangler.serve(route, queries, options);

    // Pub/Sub: the event stream, published to a FIFO topic, fanned out to subscribers with exactly-once effects.
    const pubSub = new PubSub(this, 'PubSub', { eventStore });
    const notifications = new Notifications(this, 'Notifications', { pubSub });
    notifications.grantRead(queries);
    const auditLog = new AuditLog(this, 'AuditLog', { pubSub, removalPolicy: retain });
    // Sharding: units sold per SKU on write-sharded counters; sums commute and each event carries its own
    // applied-marker, so no order and no checkpoint. A cancellation's items come from the order's OrderPlaced.
    const sales = pubSub.addSubscriber('Sales', {
      handler: 'sales-subscriber',
      eventTypes: ['OrderPlaced', 'OrderImported', 'OrderCancelled'],
      checkpoints: false,
    });
    sharding.grantCount(sales.consumer);
    eventStore.grantRead(sales.consumer);
    // Legacy stays whole meanwhile: every order event is fed to it in its own terms (the anti-corruption layer).
    // A conflict (legacy holds another version than the feed gave it) is parked in the DLQ at once.
    const legacySync = pubSub.addSubscriber('LegacySync', {
      handler: 'legacy-sync-subscriber',
      ...CALLS_ANOTHER_SYSTEM,
      parksPoison: true,
    });
    // The payment saga's compensation: every RefundRequested refunded at the provider, then recorded; past the
    // DLQ, the reconciler still runs it. Two refunds an invocation: each may take the provider's 3 attempts of 2 s.
    const refunds = pubSub.addSubscriber('Refunds', {
      handler: 'refunds-subscriber',
      eventTypes: ['RefundRequested'],
      ...CALLS_ANOTHER_SYSTEM,
      batchSize: 2,
    });
    eventStore.grantAppend(refunds.consumer);
    ambassador.useFrom(legacySync.consumer, 'legacy');
    ambassador.useFrom(refunds.consumer, 'payment-provider');

    // Leader Election: contenders take scheduled turns; the holder cancels orders left unpaid and reconciles
    // payments, its appends fenced. Money it cannot put where it belongs for three turns in a row is an alarm.
    const leaderElection = new LeaderElection(this, 'LeaderElection', coordinatorProps(this));
    eventStore.grantAppend(leaderElection.coordinator);
    readModel.grantRead(leaderElection.coordinator, AWAITING_PAYMENT_INDEX, OPEN_PAYMENTS_INDEX);
    readModel.grantScanOf(leaderElection.coordinator, AWAITING_PAYMENT_INDEX, OPEN_PAYMENTS_INDEX);
    ambassador.useFrom(leaderElection.coordinator, 'payment-provider');
    leaderElection.alarmWhenWorkStuck('PaymentStepsStuckAlarm', PAYMENT_STEPS_FAILED_METRIC, PAYMENT_STEPS_STUCK);

    // Strangler Fig, the other way: while legacy still takes orders, a leader of its own polls legacy's changes
    // and takes them in as events; conflicts on routes legacy owns are an alarm (docs/design.md).
    const legacyCapture = new LeaderElection(this, 'LegacyCapture', legacyCaptureProps(this));
    eventStore.grantAppend(legacyCapture.coordinator);
    ambassador.useFrom(legacyCapture.coordinator, 'legacy');
    strangler.grantReadRoutes(legacyCapture.coordinator);
    legacyCapture.alarmWhenWorkStuck('LegacyConflictAlarm', LEGACY_CONFLICTS_METRIC, LEGACY_CONFLICT, 1);
    legacyCapture.alarmWhenWorkStuck('LegacyOrphanAlarm', LEGACY_ORPHANS_METRIC, LEGACY_ORPHAN, 1);

    const subscribers = { notifications: notifications.subscriber, audit: auditLog.subscriber, sales, legacySync, refunds };
    const queues = [
      ...Object.entries(subscribers).map(([name, s]) => ({ name, queue: s.queue, deadLetterQueue: s.deadLetterQueue })),
      { name: 'projector', deadLetterQueue: readModel.deadLetterQueue },
      { name: 'publisher', deadLetterQueue: pubSub.publisherDeadLetterQueue },
    ];
    const observed = { breakers, knownBreakers: Object.keys(targets), leaderElection, sharding, strangler, auditLog, queues };
    const ops = new OpsApi(this, 'Ops', { api, stage, faults: props.faults, authorizer: identity.authorizer, ...observed });
    strangler.build();

    // Every alarm the constructs made, to one topic and one dashboard; what scripts and operators look up, as outputs.
    const monitoring = new Monitoring(this, 'Monitoring', { dashboardName: `eightfold-${stage}` });
    monitoring.watch(this);
    const parts = {
      api,
      monitoring,
      eventStore,
      readModel,
      pubSub,
      breakers,
      leaderElection,
      legacyCapture,
      auditLog,
      notifications,
      sharding,
    };
    stackOutputs(this, { ...parts, ops, identity, subscribers });
  }
}

const PAYMENT_STEPS_STUCK =
  'Payments in flight or refunds owed the reconciler could not conclude on three turns in a row: see the coordinator’s “payment steps still open” log lines (npm run check-consistency names the orders)';
const LEGACY_CONFLICT =
  'Legacy changed an order on a route legacy owns, and Eightfold could not take the change (the order moved on here): see the order’s LegacyChangeRejected event; npm run check-consistency names it';
const LEGACY_ORPHAN = 'Legacy holds an order Eightfold’s feed wrote that Eightfold’s event store does not: see the legacy-capture log';
