/**
 * `npm run check-consistency -- [--stack Eightfold-dev] [--events-table T --view-table V --audit-table A --maps-table M]`
 *
 * Compares the read models with the event store, the source of truth: each order's OrdersView row must be
 * exactly the fold of its events (the projection's own `apply`, every attribute), and its audit log must
 * hold each of its events once, at its version, with its event id. Run it once traffic has settled (the
 * read models trail the store by the stream's lag); it prints what disagrees and exits 1 if anything does.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { orderUpcasters, shardedViewProjection, type OrderViewRow } from '../lambdas/domain/orders/index.ts';
import type { ViewRow } from '../lambdas/patterns/cqrs/index.ts';
import { EventStore } from '../lambdas/patterns/event-sourcing/index.ts';
import { SHARD_MAP, ShardMapStore } from '../lambdas/patterns/sharding/index.ts';
import { scanSegment, type Stream } from './rebuild-projections.ts';
import { resolveTables } from './stack-outputs.ts';

export interface ConsistencyOptions {
  readonly client: DynamoDBDocumentClient;
  readonly eventsTable: string;
  readonly viewTable: string;
  readonly auditTable: string;
  /** The shard count view rows are stamped with (the shard map's current one). */
  readonly shards: number;
  /** Parallel Scan segments of the event store. @default 4 */
  readonly segments?: number;
}

export interface Inconsistency {
  readonly orderId: string;
  readonly readModel: 'OrdersView' | 'AuditLog';
  readonly problem: string;
}

export interface ConsistencyReport {
  readonly orders: number;
  readonly events: number;
  readonly inconsistencies: Inconsistency[];
}

export async function checkConsistency(options: ConsistencyOptions): Promise<ConsistencyReport> {
  const { client } = options;
  const store = new EventStore({ client, tableName: options.eventsTable, upcasters: orderUpcasters });
  const projection = shardedViewProjection({ shards: options.shards });
  const inconsistencies: Inconsistency[] = [];
  let orders = 0;
  let events = 0;
  const check = async ({ streamId, events: history }: Stream): Promise<void> => {
    orders++;
    events += history.length;
    const expected: ViewRow | undefined = history.reduce<OrderViewRow | undefined>((row, event) => projection.apply(row, event), undefined);
    const { Item: row } = await client.send(new GetCommand({ TableName: options.viewTable, Key: { [projection.keyAttribute]: streamId }, ConsistentRead: true }));
    if (!row) inconsistencies.push({ orderId: streamId, readModel: 'OrdersView', problem: 'no row' });
    else {
      const fields = [...new Set([...Object.keys(expected ?? {}), ...Object.keys(row)])].filter((field) => !isDeepStrictEqual(row[field], expected?.[field]));
      if (fields.length) inconsistencies.push({ orderId: streamId, readModel: 'OrdersView', problem: `differs from the events in ${fields.sort().join(', ')}` });
    }
    const audited: { version: number; eventId: string }[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({ TableName: options.auditTable, KeyConditionExpression: 'orderId = :id', ExpressionAttributeValues: { ':id': streamId }, ExclusiveStartKey: startKey, ConsistentRead: true }),
      );
      audited.push(...((page.Items ?? []) as { version: number; eventId: string }[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const expectedEntries = history.map((e) => `${e.version}:${e.eventId}`).join(' ');
    const auditedEntries = audited.map((e) => `${e.version}:${e.eventId}`).join(' ');
    if (auditedEntries !== expectedEntries) {
      inconsistencies.push({ orderId: streamId, readModel: 'AuditLog', problem: `holds versions [${audited.map((e) => e.version).join(', ')}] for events 1 to ${history.length}` });
    }
  };
  const segments = options.segments ?? 4;
  await Promise.all(Array.from({ length: segments }, (_, segment) => scanSegment(options, store, segment, segments, check)));
  return { orders, events, inconsistencies };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { 'events-table': { type: 'string' }, 'view-table': { type: 'string' }, 'audit-table': { type: 'string' }, 'maps-table': { type: 'string' }, stack: { type: 'string' } },
  });
  const { eventsTable, viewTable, auditTable, mapsTable } = await resolveTables(values, values.stack, {
    eventsTable: { flag: 'events-table', env: 'EVENTS_TABLE', output: 'EventsTableName' },
    viewTable: { flag: 'view-table', env: 'ORDERS_VIEW_TABLE', output: 'OrdersViewTableName' },
    auditTable: { flag: 'audit-table', env: 'AUDIT_LOG_TABLE', output: 'AuditLogTableName' },
    mapsTable: { flag: 'maps-table', env: 'SHARD_MAPS_TABLE', output: 'ShardMapsTableName' },
  });
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  const map = await new ShardMapStore({ client, tableName: mapsTable }).read(SHARD_MAP);
  const report = await checkConsistency({ client, eventsTable, viewTable, auditTable, shards: map?.shards ?? 16 });
  for (const { orderId, readModel, problem } of report.inconsistencies) process.stdout.write(`${readModel} ${orderId}: ${problem}\n`);
  process.stdout.write(`${report.orders} orders, ${report.events} events: ${report.inconsistencies.length ? `${report.inconsistencies.length} inconsistencies` : 'every read model agrees with the event store'}\n`);
  client.destroy();
  process.exitCode = report.inconsistencies.length ? 1 : 0;
}
