/**
 * The reliability suite: load and faults through the local cloud, each followed by the consistency checker
 * over every read model (OrdersView, audit log, notifications, sales counters, legacy's feed, charges).
 * After each: no order a client was told was accepted is lost, none is applied twice, and every read model
 * agrees with the event store. Bounded: 2,000 orders of load, a few hundred under faults, loopback only.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConsistency, type ConsistencyReport } from '../../scripts/check-consistency.ts';
import { LOCAL_CREDENTIALS } from '../../scripts/local-cloud/environment.ts';
import { startLocalCloud, type LocalCloud } from '../../scripts/local-cloud/local-cloud.ts';
import { placeOrders, type LoadReport } from '../../scripts/load-test.ts';
import { apiCaller, json } from '../helpers/api.ts';
import { eventually } from '../helpers/eventually.ts';
import { PROJECT_DIR } from '../helpers/paths.ts';

const API_KEY = 'reliability-key';
/** Orders the load test places, and how many at once (the figures). */
const LOAD_ORDERS = Number(process.env.RELIABILITY_LOAD_ORDERS ?? 2000);
const LOAD_CONCURRENCY = 32;

let cloud: LocalCloud;
let documents: DynamoDBDocumentClient;
/** Every order a client was answered 201 for, across the file: the checker proves each is stored. */
const accepted = new Set<string>();

const call = apiCaller(() => cloud.url);
const ops = (method: string, path: string, body?: unknown) => call(method, path, body, { 'x-api-key': API_KEY });

async function load(orders: number, customerPrefix: string, extra: { concurrency?: number; maxAttempts?: number } = {}): Promise<LoadReport> {
  const report = await placeOrders({ baseUrl: cloud.url, orders, concurrency: extra.concurrency ?? 16, customerPrefix, maxAttempts: extra.maxAttempts ?? 12 });
  for (const order of report.accepted) accepted.add(order.orderId);
  return report;
}

/** Waits for the read models to settle, then expects the checker to find nothing wrong. */
async function expectConsistent(): Promise<ConsistencyReport> {
  const tables = (ids: string[]) => ids.map((id) => cloud.resource(id).physicalId);
  const [eventsTable, viewTable, auditTable, notificationsTable, salesCountersTable] = tables(['EventStore/Events', 'ReadModel/OrdersView', 'AuditLog', 'Notifications', 'Sharding/SalesCounters']);
  const report = await eventually(
    async () => {
      const current = await checkConsistency({
        client: documents,
        eventsTable: eventsTable!,
        viewTable: viewTable!,
        auditTable: auditTable!,
        notificationsTable,
        salesCountersTable,
        legacyOrdersTable: cloud.resource('Orders', 'EightfoldLegacy-dev').physicalId,
        chargesTable: cloud.resource('Charges').physicalId,
        shards: 16,
        expectedOrders: accepted,
      });
      expect(current.inconsistencies).toEqual([]);
      return current;
    },
    { timeoutMs: 90_000, intervalMs: 2_000 },
  );
  expect(report.checked).toEqual(['EventStore', 'OrdersView', 'AuditLog', 'Notifications', 'SalesCounters', 'LegacyFeed', 'Payments']);
  expect(report.orders).toBeGreaterThanOrEqual(accepted.size);
  return report;
}

beforeAll(async () => {
  cloud = await startLocalCloud({ appDir: PROJECT_DIR, port: 0, apiKeyValue: API_KEY, onLog: () => undefined });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: cloud.endpoints.dynamodb, region: cloud.region, credentials: LOCAL_CREDENTIALS }));
});

afterAll(async () => {
  documents?.destroy();
  await cloud?.stop();
});

describe('load', () => {
  it(`places ${LOAD_ORDERS} orders at concurrency ${LOAD_CONCURRENCY}, loses none, and every read model agrees`, async () => {
    const report = await load(LOAD_ORDERS, 'load', { concurrency: LOAD_CONCURRENCY });
    process.stdout.write(
      `load: ${report.accepted.length} orders in ${(report.durationMs / 1000).toFixed(1)} s at concurrency ${LOAD_CONCURRENCY}, ` +
        `${report.ordersPerSecond.toFixed(1)} orders/s, p50 ${report.p50Ms.toFixed(0)} ms, p99 ${report.p99Ms.toFixed(0)} ms, ${report.retries} retries\n`,
    );
    expect(report.refused).toEqual([]);
    expect(report.accepted).toHaveLength(LOAD_ORDERS);
    expect(new Set(report.accepted.map((o) => o.orderId)).size).toBe(LOAD_ORDERS);
    const consistent = await expectConsistent();
    expect(consistent.events).toBeGreaterThanOrEqual(LOAD_ORDERS);
  }, 400_000);
});
