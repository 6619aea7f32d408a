/**
 * `npm run check-consistency -- [--stack Eightfold-dev] [--events-table T --view-table V --audit-table A --maps-table M]
 *   [--notifications-table N] [--sales-counters-table S] [--legacy-orders-table L] [--charges-table C] [--json]`
 *
 * Compares every read model with the event store, the source of truth:
 * - each order's OrdersView row must be exactly the fold of its events (the projection's own `apply`);
 * - its audit log must hold each of its events once, at its version, with its event id;
 * - the customer must have one notification per customer-facing event, and none for an event not stored;
 * - each SKU's sales counter must equal the units its orders placed less those cancelled;
 * - legacy's copy of every order both hold must agree with Eightfold's (customer, lines, total, status), and
 *   hold the newest version the feed gave it, each applied once; legacy's own orders must have been imported
 *   (change capture's bound given);
 * - the money ledger: the provider's approved charges of an order, less their refunds, must equal the
 *   order's total when it is PAID or SHIPPED and 0 otherwise (once refunds owed have drained), and every
 *   approved charge must be one the order's events record (its payment, or a charge it refunds);
 * - no Idempotency-Key may have placed two orders, and every order a client was told was accepted
 *   (`expectedOrders`) must be stored.
 * Run it once traffic has settled (read models trail the store by the stream's lag); it prints what
 * disagrees and exits 1 if anything does. Read models whose table is not named are not checked.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { isDeepStrictEqual } from 'node:util';
import { progressCount } from './progress.ts';
import { parseCommandLine } from '@eightfold/local-cloud/command-line';
import {
  domainEventOf,
  fold,
  isCustomerFacing,
  orderUpcasters,
  toOrderEventMessage,
  type OrderItem,
  type OrderViewRow,
} from '../lambdas/domain/orders/index.ts';
import { customerPartOf, shardedViewProjection } from '../lambdas/use-cases/order-view.ts';
import type { ViewRow } from '../lambdas/patterns/cqrs/index.ts';
import { EventStore, type EventEnvelope } from '../lambdas/patterns/event-sourcing/index.ts';
import { SHARD_MAP, ShardMapStore } from '../lambdas/patterns/sharding/index.ts';
import { legacyCodeOf, toLegacyFeedEntry } from '../lambdas/use-cases/legacy-feed.ts';
import { dollarsOf } from '../lambdas/use-cases/legacy-contract.ts';
import { scanSegment, type Stream } from './rebuild-projections.ts';
import { resolveTables } from './stack-outputs.ts';

export interface ConsistencyOptions {
  readonly client: DynamoDBDocumentClient;
  readonly eventsTable: string;
  readonly viewTable: string;
  readonly auditTable: string;
  /** The shard count view rows are stamped with (the shard map's current one). */
  readonly shards: number;
  readonly notificationsTable?: string;
  readonly salesCountersTable?: string;
  /** Legacy's ORDERS table, which Eightfold's orders reach through the integration feed. */
  readonly legacyOrdersTable?: string;
  /** The payment provider's charges (the stand-in's table), by idempotency key. */
  readonly chargesTable?: string;
  /** Orders a client was answered 201 for: each must be in the store. */
  readonly expectedOrders?: Iterable<string>;
  /** How long change capture may take to bring a legacy order over before its absence is an inconsistency. @default 5 minutes */
  readonly legacyCaptureBoundMs?: number;
  /** Parallel Scan segments of the event store. @default 4 */
  readonly segments?: number;
  /** Told after each order checked: orders checked so far, of about how many (the read model's rows). */
  readonly onProgress?: (orders: number, total: number) => void;
}

export type ReadModelName = 'EventStore' | 'OrdersView' | 'AuditLog' | 'Notifications' | 'SalesCounters' | 'LegacyFeed' | 'Payments';

export interface Inconsistency {
  /** The order (or, for sales counters, the SKU) that disagrees. */
  readonly key: string;
  readonly readModel: ReadModelName;
  readonly problem: string;
}

export interface ConsistencyReport {
  readonly orders: number;
  readonly events: number;
  /** The read models compared. */
  readonly checked: ReadModelName[];
  readonly inconsistencies: Inconsistency[];
}

/** Every item of a table (or every one `filter` keeps), with consistent reads, page after page. */
export async function scanAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  filter?: Pick<ScanCommandInput, 'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
): Promise<Record<string, any>[]> {
  const items: Record<string, any>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ConsistentRead: true, ...filter }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

const differingFields = (actual: Record<string, unknown>, expected: Record<string, unknown> | undefined): string[] =>
  [...new Set([...Object.keys(expected ?? {}), ...Object.keys(actual)])]
    .filter((field) => !isDeepStrictEqual(actual[field], expected?.[field]))
    .sort();

/** Units each SKU sold by these events: an order placed or imported adds its quantities, a cancellation takes them back. */
function salesOf(history: readonly EventEnvelope[], into: Map<string, number>): void {
  const first = history[0];
  if (first?.type !== 'OrderPlaced' && first?.type !== 'OrderImported') return;
  const { items, status } = first.data as { items: readonly OrderItem[]; status?: string };
  const sign = status === 'CANCELLED' || history.some((e) => e.type === 'OrderCancelled') ? 0 : 1;
  for (const item of items) into.set(item.sku, (into.get(item.sku) ?? 0) + sign * item.quantity);
}

/**
 * How legacy's copy of an order differs from Eightfold's: the order's fields and status as legacy keeps
 * them, and the feed's account (the newest version fed is the one legacy holds, each fed once). An order
 * whose change legacy owned and Eightfold could not take differs in status, and says so.
 */
function legacyDifferences(history: readonly EventEnvelope[], row: Record<string, unknown>): string[] {
  const messages = history.map(toOrderEventMessage);
  const state = fold(messages.map(domainEventOf));
  if (state.status === 'NONE') return ['no order in the event store'];
  const expected: Record<string, unknown> = {
    customer_no: state.customerId,
    lines: state.items.map((item) => ({ sku: item.sku, qty: item.quantity, unit_price: dollarsOf(item.unitPriceCents) })),
    total_amount: dollarsOf(state.totalCents),
    placed_at: state.placedAt,
    status_code: legacyCodeOf(state.status),
  };
  const problems = Object.keys(expected)
    .filter((field) => !isDeepStrictEqual(row[field], expected[field]))
    .map((field) => `${field} is ${JSON.stringify(row[field])}, Eightfold says ${JSON.stringify(expected[field])}`);
  // Legacy took a change on a route it owns that Eightfold could not: whatever the copies say now, an operator settles it.
  for (const { data } of messages.filter((m) => m.type === 'LegacyChangeRejected')) {
    const { owner, reason, legacyRev } = data as { owner: string; reason: string; legacyRev: number };
    if (owner === 'legacy')
      problems.push(`legacy's revision ${legacyRev}, on a route legacy owns, conflicts (an operator settles it): ${reason}`);
  }
  const fed = messages.flatMap((message) => toLegacyFeedEntry(message, domainEventOf(message)) ?? []);
  const applied = (row.revisions as { by: string }[]).filter((revision) => revision.by === 'EIGHTFOLD').length;
  const last = fed.at(-1);
  if (last && (row.eightfold_version !== last.version || row.eightfold_event_id !== last.event_id))
    problems.push(
      `holds v${String(row.eightfold_version)} (event ${String(row.eightfold_event_id)}); the feed's newest is v${last.version} (event ${last.event_id})`,
    );
  if (applied !== fed.length) problems.push(`applied ${applied} revisions from the feed, which gave it ${fed.length}`);
  return problems;
}

export async function checkConsistency(options: ConsistencyOptions): Promise<ConsistencyReport> {
  const { client } = options;
  const store = new EventStore({ client, tableName: options.eventsTable, upcasters: orderUpcasters });
  const projection = shardedViewProjection({ shards: options.shards });
  const inconsistencies: Inconsistency[] = [];
  const found = (readModel: ReadModelName, key: string, problem: string) => inconsistencies.push({ key, readModel, problem });
  // The read models are read whole (a Scan reads a page of rows per request, a Get one row), then matched
  // to the store's events and crossed off: what is left matches no stored event.
  const [viewRows, auditEntries, notifications, counters, legacyRows, charges] = await Promise.all(
    [
      options.viewTable,
      options.auditTable,
      options.notificationsTable,
      options.salesCountersTable,
      options.legacyOrdersTable,
      options.chargesTable,
    ].map((table) => (table ? scanAll(client, table) : undefined)),
  );
  const unmatchedRows = new Map(viewRows!.map((row) => [String(row[projection.keyAttribute]), row]));
  const auditByOrder = Map.groupBy(auditEntries! as { orderId: string; version: number; eventId: string }[], (entry) => entry.orderId);
  const approvedCharges = Map.groupBy(
    (charges ?? [])
      .filter((charge) => charge.response?.status === 'APPROVED')
      .map((charge) => ({
        orderId: String(charge.orderId),
        ...(charge.response as { chargeId: string; amountCents: number }),
        refundedCents: Number(charge.refundedCents ?? 0),
      })),
    (charge) => charge.orderId,
  );
  const unmatchedNotifications = new Map(notifications?.map((n) => [String(n.notificationId), n]));
  const unmatchedLegacy = new Map(legacyRows?.map((row) => [String(row.order_no), row]));
  const expectedSales = new Map<string, number>();
  const orderByIdempotencyKey = new Map<string, string>();
  const stored = new Set<string>();
  let events = 0;

  const check = async ({ streamId, events: history }: Stream): Promise<void> => {
    stored.add(streamId);
    events += history.length;
    options.onProgress?.(stored.size, Math.max(stored.size, viewRows!.length));
    // Each customer's keys are their own: one order per customer and key.
    const key = history[0]?.metadata.idempotencyKey;
    const customerId = (history[0]?.data as { customerId?: string } | undefined)?.customerId;
    if (key) {
      const first = orderByIdempotencyKey.get(`${customerId}\n${key}`);
      if (first) found('EventStore', streamId, `placed again by ${customerId}'s Idempotency-Key ${key}, which placed ${first}`);
      else orderByIdempotencyKey.set(`${customerId}\n${key}`, streamId);
    }

    const expected: ViewRow | undefined = history.reduce<OrderViewRow | undefined>((row, event) => projection.apply(row, event), undefined);
    const row = unmatchedRows.get(streamId);
    unmatchedRows.delete(streamId);
    if (!row) found('OrdersView', streamId, 'no row');
    else {
      const fields = differingFields(row, expected);
      if (fields.length) found('OrdersView', streamId, `differs from the events in ${fields.join(', ')}`);
    }

    const audited = (auditByOrder.get(streamId) ?? []).sort((a, b) => a.version - b.version);
    auditByOrder.delete(streamId);
    const expectedEntries = history.map((e) => `${e.version}:${e.eventId}`).join(' ');
    const auditedEntries = audited.map((e) => `${e.version}:${e.eventId}`).join(' ');
    if (auditedEntries !== expectedEntries)
      found('AuditLog', streamId, `holds versions [${audited.map((e) => e.version).join(', ')}] for events 1 to ${history.length}`);

    if (notifications) {
      const first = history[0];
      const customerId =
        first?.type === 'OrderPlaced' || first?.type === 'OrderImported' ? (first.data as { customerId: string }).customerId : undefined;
      const missing: number[] = [];
      for (const envelope of history) {
        if (!isCustomerFacing(domainEventOf(toOrderEventMessage(envelope)))) continue;
        const notification = unmatchedNotifications.get(envelope.eventId);
        unmatchedNotifications.delete(envelope.eventId);
        if (!notification) missing.push(envelope.version);
        else if (
          // Under the customer's part of the table, or under the bare customer if written before the spread.
          (notification.customerId !== customerId && notification.customerId !== customerPartOf(customerId ?? '', streamId)) ||
          notification.orderId !== streamId ||
          notification.orderVersion !== envelope.version
        ) {
          found(
            'Notifications',
            streamId,
            `notification ${envelope.eventId} is addressed to ${notification.customerId} for v${notification.orderVersion} of ${notification.orderId}`,
          );
        }
      }
      if (missing.length) found('Notifications', streamId, `no notification for versions [${missing.join(', ')}]`);
    }

    if (counters) salesOf(history, expectedSales);

    if (legacyRows) {
      const legacyRow = unmatchedLegacy.get(streamId);
      unmatchedLegacy.delete(streamId);
      if (!legacyRow) found('LegacyFeed', streamId, 'never reached legacy');
      else {
        const problems = legacyDifferences(history, legacyRow);
        if (problems.length) found('LegacyFeed', streamId, `legacy's copy differs: ${problems.join('; ')}`);
      }
    }

    if (charges) {
      // The money ledger: what the provider holds for the order, net of refunds, is the total of a paid or
      // shipped order and nothing otherwise; and every approved charge is one the order's events record.
      const approved = approvedCharges.get(streamId) ?? [];
      approvedCharges.delete(streamId);
      const recorded = new Set(
        history.flatMap((e) =>
          e.type === 'OrderPaid'
            ? [(e.data as { paymentId: string }).paymentId]
            : e.type === 'RefundRequested'
              ? [(e.data as { chargeId: string }).chargeId]
              : [],
        ),
      );
      const unrecorded = approved.filter((charge) => !recorded.has(charge.chargeId));
      if (unrecorded.length)
        found('Payments', streamId, `approved charges [${unrecorded.map((c) => c.chargeId).join(', ')}] that no event records`);
      const charged = approved.reduce((sum, charge) => sum + charge.amountCents, 0);
      const refunded = approved.reduce((sum, charge) => sum + charge.refundedCents, 0);
      // A payment legacy took is legacy's money: the provider holds none of it.
      const paidHere = !(expected as OrderViewRow | undefined)?.payment?.charges[String(expected?.paymentId)]?.heldBy;
      const keeps = paidHere && (expected?.status === 'PAID' || expected?.status === 'SHIPPED') ? (expected as OrderViewRow).totalCents : 0;
      if (charged - refunded !== keeps)
        found(
          'Payments',
          streamId,
          `the provider holds ${charged - refunded} cents net (charged ${charged}, refunded ${refunded}); a ${expected?.status ?? 'missing'} order keeps ${keeps}`,
        );
    }
  };
  const segments = options.segments ?? 4;
  await Promise.all(Array.from({ length: segments }, (_, segment) => scanSegment(options, store, segment, segments, check)));

  for (const orderId of options.expectedOrders ?? [])
    if (!stored.has(orderId)) found('EventStore', orderId, 'accepted (201) but not stored');
  for (const [notificationId, n] of unmatchedNotifications)
    found('Notifications', String(n.orderId), `notification ${notificationId} is for no stored customer-facing event`);
  for (const orderId of unmatchedRows.keys()) found('OrdersView', orderId, 'a row for an order not in the event store');
  for (const orderId of auditByOrder.keys()) found('AuditLog', orderId, 'entries for an order not in the event store');
  const captureBound = new Date(Date.now() - (options.legacyCaptureBoundMs ?? 5 * 60_000)).toISOString();
  for (const [orderId, row] of unmatchedLegacy) {
    if (row.source === 'EIGHTFOLD') found('LegacyFeed', orderId, 'fed to legacy but not in the event store');
    // Legacy's own orders reach Eightfold through change capture; one older than the bound has not.
    else if (String(row.changed_at) < captureBound)
      found('LegacyFeed', orderId, `legacy's own order, changed ${String(row.changed_at)}, never imported`);
  }
  for (const [orderId, approved] of approvedCharges)
    found('Payments', orderId, `${approved.length} approved charges for an order not in the event store`);
  if (counters) {
    const counted = new Map<string, number>();
    for (const item of counters)
      if (typeof item.key === 'string') counted.set(item.key, (counted.get(item.key) ?? 0) + Number(item.units ?? 0));
    for (const sku of new Set([...expectedSales.keys(), ...counted.keys()])) {
      const want = expectedSales.get(sku) ?? 0;
      const have = counted.get(sku) ?? 0;
      if (want !== have) found('SalesCounters', sku, `counts ${have} units sold; the events say ${want}`);
    }
  }
  const checked: ReadModelName[] = ['EventStore', 'OrdersView', 'AuditLog'];
  if (notifications) checked.push('Notifications');
  if (counters) checked.push('SalesCounters');
  if (legacyRows) checked.push('LegacyFeed');
  if (charges) checked.push('Payments');
  return { orders: stored.size, events, checked, inconsistencies };
}

const USAGE = `
Usage: npm run check-consistency -- [--stack NAME | --events-table T --view-table V --audit-table A --maps-table M]
                                    [--notifications-table N] [--sales-counters-table S] [--legacy-orders-table L]
                                    [--charges-table C] [--json]

Compares every read model, legacy's copy and the money ledger with the event store; prints what disagrees
and exits 1 if anything does.

  --stack NAME   the tables from this stack's outputs and its stand-ins' (on AWS, or on the local cloud with
                 the export lines npm start prints); else each flag, else its environment variable
  --json         one JSON report on stdout ({ orders, events, checked, inconsistencies }), for CI
`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseCommandLine(USAGE, {
    'events-table': { type: 'string' },
    'view-table': { type: 'string' },
    'audit-table': { type: 'string' },
    'maps-table': { type: 'string' },
    'notifications-table': { type: 'string' },
    'sales-counters-table': { type: 'string' },
    'legacy-orders-table': { type: 'string' },
    'charges-table': { type: 'string' },
    stack: { type: 'string' },
    json: { type: 'boolean' },
  });
  const tables = await resolveTables(
    values,
    values.stack,
    {
      eventsTable: { flag: 'events-table', env: 'EVENTS_TABLE', output: 'EventsTableName' },
      viewTable: { flag: 'view-table', env: 'ORDERS_VIEW_TABLE', output: 'OrdersViewTableName' },
      auditTable: { flag: 'audit-table', env: 'AUDIT_LOG_TABLE', output: 'AuditLogTableName' },
      mapsTable: { flag: 'maps-table', env: 'SHARD_MAPS_TABLE', output: 'ShardMapsTableName' },
    },
    {
      // Checked when found: legacy's and the provider's tables exist only where the stand-ins are deployed.
      notificationsTable: { flag: 'notifications-table', env: 'NOTIFICATIONS_TABLE', output: 'NotificationsTableName' },
      salesCountersTable: { flag: 'sales-counters-table', env: 'SALES_COUNTERS_TABLE', output: 'SalesCountersTableName' },
      legacyOrdersTable: { flag: 'legacy-orders-table', env: 'LEGACY_ORDERS_TABLE', output: 'LegacyOrdersTableName' },
      chargesTable: { flag: 'charges-table', env: 'CHARGES_TABLE', output: 'ChargesTableName' },
    },
  );
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  const map = await new ShardMapStore({ client, tableName: tables.mapsTable }).read(SHARD_MAP);
  const progress = progressCount();
  const report = await checkConsistency({
    client,
    ...tables,
    shards: map?.shards ?? 16,
    onProgress: (orders, total) => progress.show(`checking orders: ${orders} of about ${total}`),
  });
  progress.end();
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const { key, readModel, problem } of report.inconsistencies) process.stdout.write(`${readModel} ${key}: ${problem}\n`);
    const verdict = report.inconsistencies.length
      ? `${report.inconsistencies.length} inconsistencies`
      : `${report.checked.join(', ')} agree with the event store`;
    process.stdout.write(`${report.orders} orders, ${report.events} events: ${verdict}\n`);
  }
  client.destroy();
  process.exitCode = report.inconsistencies.length ? 1 : 0;
}
