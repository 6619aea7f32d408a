import { CfnOutput, type Stack } from 'aws-cdk-lib';
import type { Identity } from './constructs/identity.ts';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { AuditLog } from './constructs/audit-log.ts';
import type { CircuitBreakers } from './constructs/circuit-breaker.ts';
import type { EventStore } from './constructs/event-store.ts';
import type { LeaderElection } from './constructs/leader-election.ts';
import type { Monitoring } from './constructs/monitoring.ts';
import type { Notifications } from './constructs/notifications.ts';
import type { OpsApi } from './constructs/ops-api.ts';
import type { PubSub, Subscriber } from './constructs/pub-sub.ts';
import type { ReadModel } from './constructs/read-model.ts';
import type { Sharding } from './constructs/sharding.ts';

export interface EightfoldParts {
  readonly api: RestApi;
  readonly monitoring: Monitoring;
  readonly eventStore: EventStore;
  readonly readModel: ReadModel;
  readonly pubSub: PubSub;
  readonly breakers: CircuitBreakers;
  readonly leaderElection: LeaderElection;
  readonly legacyCapture: LeaderElection;
  readonly auditLog: AuditLog;
  readonly notifications: Notifications;
  readonly sharding: Sharding;
  readonly ops: OpsApi;
  readonly identity: Identity;
  /** Each subscriber by its name (camelCase): its queue and dead-letter queue are outputs. */
  readonly subscribers: Readonly<Record<string, Subscriber>>;
}

/**
 * The stack's outputs: what operators and the scripts (`npm run check-consistency`, `redrive`, `reshard`,
 * `rebuild-projections`, the e2e tests against a deployment) look up by name. The names are a contract.
 */
export function stackOutputs(stack: Stack, parts: EightfoldParts): void {
  const { monitoring, sharding } = parts;
  const outputs: Record<string, [value: string, description: string]> = {
    ApiUrl: [parts.api.url, 'Base URL of the Eightfold API'],
    AlarmTopicArn: [monitoring.alarmTopic.topicArn, 'Every alarm’s state changes: subscribe an email or a pager'],
    DashboardName: [monitoring.dashboard.dashboardName, 'The CloudWatch dashboard of every alarm'],
    EventsTableName: [parts.eventStore.table.tableName, 'The event store (npm run rebuild-projections)'],
    OrdersViewTableName: [parts.readModel.ordersView.tableName, 'The orders read model'],
    OrderEventsTopicArn: [parts.pubSub.topic.topicArn, 'Order events (FIFO), published from the event stream'],
    BreakerTransitionsTopicArn: [parts.breakers.transitions.topicArn, 'Every circuit-breaker transition (subscribe to be told)'],
    LeasesTableName: [parts.leaderElection.table.tableName, 'Leases, leadership changes and fences (GET /ops/leader)'],
    LegacyCaptureTableName: [
      parts.legacyCapture.table.tableName,
      'Legacy change capture’s lease and checkpoint, and the backfill’s (npm run migrate-legacy)',
    ],
    AuditLogTableName: [parts.auditLog.table.tableName, 'Every order event, append-only, for operators'],
    NotificationsTableName: [
      parts.notifications.table.tableName,
      'What the notifications subscriber delivered (npm run check-consistency)',
    ],
    SalesCountersTableName: [sharding.counters.tableName, 'Write-sharded sales counters (GET /ops/shards, npm run reshard)'],
    ShardMapsTableName: [sharding.shardMaps.tableName, 'The versioned shard maps (npm run reshard)'],
    IssuerUrl: [parts.identity.issuer, 'Whose tokens sign callers in (npm run token)'],
    ...(parts.identity.userPool && parts.identity.client
      ? {
          UserPoolId: [parts.identity.userPool.userPoolId, 'Customers and operators (group operators) sign in here (npm run token)'],
          UserPoolClientId: [parts.identity.client.userPoolClientId, 'The app client tokens are issued to'],
        }
      : {}),
  };
  for (const [camel, subscriber] of Object.entries(parts.subscribers)) {
    const name = camel[0]!.toUpperCase() + camel.slice(1);
    const lower = camel.toLowerCase();
    outputs[`${name}QueueUrl`] = [subscriber.queue.queueUrl, `The ${lower} subscriber's queue (npm run redrive -- ${lower})`];
    outputs[`${name}DeadLetterQueueUrl`] = [
      subscriber.deadLetterQueue.queueUrl,
      `What the ${lower} subscriber could not process (its DlqDepthAlarm watches it)`,
    ];
  }
  for (const [id, [value, description]] of Object.entries(outputs)) new CfnOutput(stack, id, { value, description });
}
