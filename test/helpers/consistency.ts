import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { checkConsistency, type ConsistencyReport } from '../../scripts/check-consistency.ts';
import type { LocalCloud } from '../../scripts/local-cloud/local-cloud.ts';
import { eventually } from './eventually.ts';

/** Every read model the checker knows, as the local cloud names their tables. */
export function consistencyTables(cloud: LocalCloud) {
  const table = (id: string, stack?: string) => cloud.resource(id, stack).physicalId;
  return {
    eventsTable: table('EventStore/Events'),
    viewTable: table('ReadModel/OrdersView'),
    auditTable: table('AuditLog'),
    notificationsTable: table('Notifications'),
    salesCountersTable: table('Sharding/SalesCounters'),
    legacyOrdersTable: table('Orders', 'EightfoldLegacy-dev'),
    chargesTable: table('Charges'),
  };
}

/**
 * Waits for the read models to settle, then expects `npm run check-consistency` to find nothing wrong in
 * any of them, and every order in `expectedOrders` (answered 201) stored.
 */
export async function expectConsistent(cloud: LocalCloud, client: DynamoDBDocumentClient, expectedOrders: Iterable<string> = [], timeoutMs = 90_000): Promise<ConsistencyReport> {
  const tables = consistencyTables(cloud);
  const report = await eventually(
    async () => {
      const current = await checkConsistency({ client, ...tables, shards: 16, expectedOrders });
      expect(current.inconsistencies).toEqual([]);
      return current;
    },
    { timeoutMs, intervalMs: 1_000 },
  );
  expect(report.checked).toEqual(['EventStore', 'OrdersView', 'AuditLog', 'Notifications', 'SalesCounters', 'LegacyFeed', 'Payments']);
  return report;
}
