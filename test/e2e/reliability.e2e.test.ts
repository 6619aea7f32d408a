/**
 * The reliability suite: load and faults through the local cloud, each followed by the consistency checker
 * over every read model (OrdersView, audit log, notifications, sales counters, legacy's feed, charges).
 * The payment-provider and legacy outages run in payments.e2e and strangler.e2e, on their clouds, followed
 * by the same checker.
 * After each: no order a client was told was accepted is lost, none is applied twice, and every read model
 * agrees with the event store. Bounded: 2,000 orders of load with a worker crash and an SNS outage along the
 * way, 80 through a restart; loopback only.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsistencyReport } from '../../scripts/check-consistency.ts';
import { LOCAL_CREDENTIALS, startLocalCloud, type LocalCloud } from '@eightfold/local-cloud';
import { placeOrders, type LoadReport } from '../../scripts/load-test.ts';
import { apiCaller } from '../helpers/api.ts';
import { mintToken } from '../helpers/tokens.ts';
import { expectConsistent as expectConsistentIn } from '../helpers/consistency.ts';
import { localOutputs } from '../helpers/target.ts';
import { eventually } from '../helpers/eventually.ts';
import { ownAssemblyDir, PROJECT_DIR } from '../helpers/paths.ts';
import { checkAnswers } from '../helpers/api-description.ts';

/** Orders the load test places, and how many at once (the figures). */
const LOAD_ORDERS = Number(process.env.RELIABILITY_LOAD_ORDERS ?? 2000);
const LOAD_CONCURRENCY = 32;

let cloud: LocalCloud;
let documents: DynamoDBDocumentClient;
/** Every order a client was answered 201 for, across the file: the checker proves each is stored. */
const accepted = new Set<string>();

/** An operator's token from the cloud's issuer: it places the load's orders for its many customers. */
let token: string;
const call = apiCaller(
  () => cloud.url,
  () => token,
);

async function load(
  orders: number,
  customerPrefix: string,
  extra: { concurrency?: number; maxAttempts?: number; onProgress?: (answered: number) => void } = {},
): Promise<LoadReport> {
  const baseUrl = cloud.url; // a restart comes back on the same port
  const report = await placeOrders({
    baseUrl,
    token,
    orders,
    concurrency: extra.concurrency ?? 16,
    customerPrefix,
    maxAttempts: extra.maxAttempts ?? 12,
    onProgress: extra.onProgress,
  });
  for (const order of report.accepted) accepted.add(order.orderId);
  return report;
}

/** Waits for the read models to settle, then expects the checker to find nothing wrong, nothing lost. */
async function expectConsistent(): Promise<ConsistencyReport> {
  const report = await expectConsistentIn(localOutputs(cloud), documents, accepted);
  expect(report.orders).toBeGreaterThanOrEqual(accepted.size);
  return report;
}

/** The time scale is part of the synthesis. */
const outDir = ownAssemblyDir('reliability');

/**
 * Six times faster than wall time: a crashed SQS consumer's messages return after 10 s (its timeout), not
 * the queue's 60.
 * The payment timeout is pushed beyond the file's run, so the leader's job cancels none of these orders.
 */
async function startCloud(options: { persistDir?: string; port?: number } = {}): Promise<LocalCloud> {
  return startLocalCloud({
    appDir: PROJECT_DIR,
    outDir,
    port: options.port ?? 0,
    persistDir: options.persistDir,
    timeScale: 6,
    context: { 'eightfold:coordinator': { paymentTimeoutMinutes: 24 * 60 } },
    onLog: () => undefined,
  });
}

/** The cloud the file talks to now, and a token of its issuer (kept across a restart with --persist, as its key is). */
async function connect(to: LocalCloud): Promise<void> {
  checkAnswers(to.url);
  token = await mintToken(to, { operator: 'reliability' });
  cloud = to;
  documents?.destroy();
  documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: cloud.endpoints.dynamodb, region: cloud.region, credentials: LOCAL_CREDENTIALS }),
  );
}

/** A function's sandboxes, by construct id. */
const runtimeOf = (constructId: string) => cloud.functions.get(cloud.resource(constructId).physicalId)!;

async function cancel(orderId: string): Promise<void> {
  expect((await call('POST', `/orders/${orderId}/cancel`)).status).toBe(200);
}

beforeAll(async () => {
  await connect(await startCloud());
});

afterAll(async () => {
  documents?.destroy();
  await cloud?.stop();
});

describe('load, with faults along the way', () => {
  // The faults strike the pipeline (stream consumers, subscribers, SNS), never the command path, so the
  // load's latencies are the API's own; the read models' backlog and the faults' recovery overlap.
  it(`places ${LOAD_ORDERS} orders at concurrency ${LOAD_CONCURRENCY} through a worker crash mid-batch and an SNS outage: none lost, none applied twice, every read model agrees`, async () => {
    const victims = [
      'ReadModel/Projector',
      'PubSub/Publisher',
      'PubSub/Sales/Consumer',
      'PubSub/Notifications/Consumer',
      'PubSub/Audit/Consumer',
    ];
    const crashes = victims.map((id) => runtimeOf(id).crashNextInvocation(15));
    // SNS is down from the 15th to the 35th percent of the orders answered.
    const outage = { from: Math.floor(LOAD_ORDERS * 0.15), to: Math.floor(LOAD_ORDERS * 0.35), began: false, ended: false };
    let report: LoadReport;
    try {
      report = await load(LOAD_ORDERS, 'load', {
        concurrency: LOAD_CONCURRENCY,
        onProgress: (answered) => {
          if (!outage.began && answered >= outage.from) {
            outage.began = true;
            cloud.setServiceDown('sns', true);
          }
          if (!outage.ended && answered >= outage.to) {
            outage.ended = true;
            cloud.setServiceDown('sns', false);
          }
        },
      });
    } finally {
      cloud.setServiceDown('sns', false);
    }
    process.stdout.write(
      `load: ${report.accepted.length} orders in ${(report.durationMs / 1000).toFixed(1)} s at concurrency ${LOAD_CONCURRENCY}, ` +
        `${report.ordersPerSecond.toFixed(1)} orders/s, p50 ${report.p50Ms.toFixed(0)} ms, p99 ${report.p99Ms.toFixed(0)} ms, ${report.retries} retries\n`,
    );
    expect(outage).toMatchObject({ began: true, ended: true });
    expect(report.refused).toEqual([]);
    expect(report.accepted).toHaveLength(LOAD_ORDERS);
    expect(new Set(report.accepted.map((o) => o.orderId)).size).toBe(LOAD_ORDERS);
    // Cancellations too: the sales subscriber takes units back, so a double count would show.
    await Promise.all(report.accepted.slice(0, 40).map((o) => cancel(o.orderId)));
    const outcomes = await Promise.all(crashes);
    expect(outcomes.map((o) => (o.ok ? 'finished first' : o.kind))).toEqual(victims.map(() => 'Crashed'));
    const consistent = await expectConsistent();
    expect(consistent.events).toBeGreaterThanOrEqual(LOAD_ORDERS + 40);
  }, 400_000);
});

describe('a restart', () => {
  it('a restart of the local cloud with --persist mid-traffic: every accepted order is kept, none placed twice', async () => {
    const persistDir = mkdtempSync(join(tmpdir(), 'eightfold-persist-'));
    await cloud.stop();
    accepted.clear(); // a new store: the orders of this test only
    await connect(await startCloud({ persistDir }));
    const port = cloud.port;
    try {
      // The client keeps retrying (same Idempotency-Key) through the restart, as a careful client does.
      let answered = 0;
      const traffic = load(80, 'restart', { maxAttempts: 30, onProgress: (count) => (answered = count) });
      await eventually(() => expect(answered).toBeGreaterThanOrEqual(20), { timeoutMs: 60_000, intervalMs: 20 });
      await cloud.stop();
      const tokenBefore = token;
      await connect(await startCloud({ persistDir, port }));
      token = tokenBefore; // the traffic in flight keeps the token it has: the restart must honour it
      const report = await traffic;
      expect(report.refused).toEqual([]);
      expect(report.accepted).toHaveLength(80);
      await expectConsistent();
    } finally {
      await cloud.stop();
      rmSync(persistDir, { recursive: true, force: true });
    }
  }, 240_000);
});
