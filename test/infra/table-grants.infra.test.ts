/**
 * Every table of the order service and every function's DynamoDB actions on it, whole: a grant added,
 * widened or lost anywhere changes this table, on purpose or not at all. (The stand-ins' tables are theirs.)
 */
import { describe, expect, it } from 'vitest';
import { AWAITING_PAYMENT_INDEX, OPEN_PAYMENTS_INDEX } from '../../lambdas/domain/orders/index.ts';
import { eightfoldStack, grantedStatements } from '../helpers/stack.ts';

/** Table → function → its actions (without the `dynamodb:` prefix); ids without CDK's hash suffix. */
const EXPECTED: Record<string, Record<string, string[]>> = {
  EventStoreEvents: {
    CommandsFunction: ['PutItem', 'Query'],
    LeaderElectionCoordinator: ['PutItem', 'Query'],
    LegacyCaptureCoordinator: ['PutItem', 'Query'],
    PubSubPublisher: ['DescribeStream', 'GetRecords', 'GetShardIterator'],
    PubSubRefundsConsumer: ['PutItem', 'Query'],
    PubSubSalesConsumer: ['GetItem', 'Query'],
    QueriesFunction: ['GetItem', 'Query'],
    ReadModelProjector: ['DescribeStream', 'GetItem', 'GetRecords', 'GetShardIterator', 'Query'],
  },
  CircuitBreakersTable: {
    CommandsFunction: ['GetItem', 'UpdateItem'],
    LeaderElectionCoordinator: ['GetItem', 'UpdateItem'],
    LegacyCaptureCoordinator: ['GetItem', 'UpdateItem'],
    OpsFunction: ['GetItem', 'Scan', 'UpdateItem'],
    PubSubLegacySyncConsumer: ['GetItem', 'UpdateItem'],
    PubSubRefundsConsumer: ['GetItem', 'UpdateItem'],
  },
  ShardingShardMaps: {
    OpsFunction: ['GetItem'],
    PubSubSalesConsumer: ['GetItem', 'PutItem'],
    QueriesFunction: ['GetItem'],
    ReadModelProjector: ['GetItem', 'PutItem'],
  },
  ReadModelOrdersView: {
    // Scan on its two sparse indexes only (asserted below).
    LeaderElectionCoordinator: ['GetItem', 'Query', 'Scan'],
    QueriesFunction: ['GetItem', 'Query'],
    ReadModelProjector: ['GetItem', 'PutItem'],
  },
  ShardingSalesCounters: {
    OpsFunction: ['Query'],
    PubSubSalesConsumer: ['PutItem', 'UpdateItem'],
    QueriesFunction: ['BatchGetItem'],
  },
  NotificationsTable: {
    PubSubNotificationsConsumer: ['PutItem'],
    QueriesFunction: ['Query'],
  },
  PubSubSubscriberCheckpoints: {
    PubSubAuditConsumer: ['BatchGetItem', 'GetItem', 'PutItem'],
    PubSubNotificationsConsumer: ['BatchGetItem', 'GetItem', 'PutItem'],
  },
  AuditLogTable: {
    OpsFunction: ['Query'],
    PubSubAuditConsumer: ['PutItem'],
  },
  LeaderElectionLeasesTable: {
    LeaderElectionCoordinator: ['PutItem', 'UpdateItem'],
    OpsFunction: ['Query', 'UpdateItem'],
  },
  // Legacy's change capture: its lease, and its checkpoint beside it.
  LegacyCaptureLeasesTable: {
    LegacyCaptureCoordinator: ['GetItem', 'PutItem', 'UpdateItem'],
  },
  StranglerShadowComparisons: {
    OpsFunction: ['Query'],
  },
};

describe('the order service’s tables', () => {
  it('grants each function exactly the actions its part needs on each table, and no one else anything', () => {
    const { template } = eightfoldStack();
    const tables = Object.keys(template.findResources('AWS::DynamoDB::Table'));
    const granted: Record<string, Record<string, string[]>> = {};
    for (const { fn, actions, resource } of grantedStatements(template)) {
      for (const table of tables.filter((id) => resource.includes(`"${id}"`))) {
        const byFunction = (granted[table.replace(/[0-9A-F]{8}$/, '')] ??= {});
        byFunction[fn] = [...new Set([...(byFunction[fn] ?? []), ...actions.map((a) => a.replace('dynamodb:', ''))])].sort();
      }
    }
    expect(granted).toEqual(EXPECTED);
    expect(Object.keys(EXPECTED).sort()).toEqual(tables.map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort());
  });
});

describe('the coordinator’s worklists', () => {
  it('may scan the view’s two sparse indexes, and neither the view itself nor its other indexes', () => {
    const scans = grantedStatements().filter(({ fn, actions }) => fn === 'LeaderElectionCoordinator' && actions.includes('dynamodb:Scan'));
    expect(scans.map((s) => s.actions)).toEqual([['dynamodb:Scan']]);
    const arns = JSON.parse(scans[0]!.resource) as { 'Fn::Join': [string, unknown[]] }[];
    expect(arns.map((arn) => JSON.stringify(arn['Fn::Join'][1].at(-1)))).toEqual([
      JSON.stringify(`/index/${AWAITING_PAYMENT_INDEX}`),
      JSON.stringify(`/index/${OPEN_PAYMENTS_INDEX}`),
    ]);
  });
});
