import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { checkConsistency, type ConsistencyReport } from '../../scripts/check-consistency.ts';
import { eventually } from './eventually.ts';
import type { DeploymentOutputs } from './target.ts';

/** Every read model the checker knows, as the stacks' outputs name their tables. */
export function consistencyTables({ eightfold, legacy, paymentProvider }: DeploymentOutputs) {
  return {
    eventsTable: eightfold.EventsTableName!,
    viewTable: eightfold.OrdersViewTableName!,
    auditTable: eightfold.AuditLogTableName!,
    notificationsTable: eightfold.NotificationsTableName!,
    salesCountersTable: eightfold.SalesCountersTableName!,
    legacyOrdersTable: legacy.LegacyOrdersTableName!,
    chargesTable: paymentProvider.ChargesTableName!,
  };
}

/**
 * Waits for the read models to settle, then expects `npm run check-consistency` to find nothing wrong in
 * any of them, and every order in `expectedOrders` (answered 201) stored.
 */
export async function expectConsistent(
  outputs: DeploymentOutputs,
  client: DynamoDBDocumentClient,
  expectedOrders: Iterable<string> = [],
  timeoutMs = 90_000,
): Promise<ConsistencyReport> {
  const tables = consistencyTables(outputs);
  const report = await eventually(
    async () => {
      const current = await checkConsistency({ client, ...tables, shards: 16, expectedOrders });
      expect(current.inconsistencies).toEqual([]);
      return current;
    },
    // Each check scans every table: resting three times its length leaves the pipeline most of the machine.
    { timeoutMs, intervalMs: 1_000, restRatio: 3 },
  );
  expect(report.checked).toEqual(['EventStore', 'OrdersView', 'AuditLog', 'Notifications', 'SalesCounters', 'LegacyFeed', 'Payments']);
  return report;
}
