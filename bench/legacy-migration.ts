/**
 * Strangler Fig, both ways: how fast the backfill brings legacy's orders over, against the rate legacy's
 * changes endpoint can be read at all (measured just before it on the same orders) and the rate the event
 * store takes orders on the same cloud (the backfill's real limit: every import is an append);
 * and how long an order placed at legacy takes to be readable on Eightfold (change capture, then the read
 * model; the target is 5 s at p99), against the other way round
 * (Eightfold's feed to legacy), the two measured interleaved on one local cloud.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startLocalCloud, type LocalCloud } from '@eightfold/local-cloud';
import { EventStore, handleCommand } from '../lambdas/patterns/event-sourcing/index.ts';
import { CURRENT_SCHEMA_VERSION, orderDecider, orderUpcasters } from '../lambdas/domain/orders/index.ts';
import { legacyChangesReader } from '../lambdas/use-cases/legacy-import.ts';
import { migrateLegacy } from '../scripts/migrate-legacy.ts';
import { legacyIntegrationToken, legacyUrl, localDocuments, localOutputs, localSqs } from '../test/helpers/target.ts';
import { mintToken } from '../test/helpers/tokens.ts';
import { log, ms, percentile, ratio, ROOT, sleep, type Row } from './common.ts';

const BACKFILL_ORDERS = Number(process.env.BENCH_BACKFILL_ORDERS ?? 2_000);
const LAG_ORDERS = 60;

/** Waits until a subscriber's queue is empty (nothing waiting or in flight): the pipeline behind the store has caught up. */
async function drained(cloud: LocalCloud, queueUrl: string): Promise<void> {
  const sqs = localSqs(cloud);
  try {
    // Empty twice a second apart: messages still on their way from the stream do not count as caught up.
    for (let waited = 0, empty = 0; waited < 180_000 && empty < 2; waited += 500) {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      empty =
        Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible) === 0 ? empty + 1 : 0;
      await sleep(500);
    }
  } finally {
    sqs.destroy();
  }
}

export async function legacyMigrationFigures(rows: Row[]): Promise<void> {
  const cloud = await startLocalCloud({ appDir: ROOT, port: 0, iam: 'off', onLog: () => undefined });
  const documents = localDocuments(cloud);
  let capturing = true;
  try {
    const outputs = localOutputs(cloud);
    const legacy = legacyUrl(outputs);
    const token = await legacyIntegrationToken(cloud);
    const operator = await mintToken(cloud, { operator: 'bench' });
    const placeOnLegacy = async (i: number) => {
      const response = await fetch(`${legacy}/orders`, {
        method: 'POST',
        body: JSON.stringify({ customerId: `bench-legacy-${i % 50}`, items: [{ sku: 'KETTLE', quantity: 1, unitPriceCents: 3450 }] }),
      });
      return ((await response.json()) as { orderId: string }).orderId;
    };
    /** Legacy's integration API, with its token. */
    const send = async (request: { method: string; path: string }) => {
      const response = await fetch(`${legacy}${request.path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: (await response.json()) as unknown };
    };
    // Legacy's orders from before the migration, eight placed at a time.
    for (let i = 0; i < BACKFILL_ORDERS; i += 8) await Promise.all(Array.from({ length: 8 }, (_, k) => placeOnLegacy(i + k)));

    // The limit: paging through legacy's changes endpoint alone, as the backfill does, importing nothing.
    const readChanges = legacyChangesReader(send);
    let readStarted = performance.now();
    let read = 0;
    for (let cursor = '', more = true; more;) {
      const page = await readChanges(cursor, 200);
      read += page.orders.length;
      cursor = page.next;
      more = page.more;
    }
    const readPerSecond = read / ((performance.now() - readStarted) / 1000);
    readStarted = performance.now();
    const report = await migrateLegacy({
      client: documents,
      eventsTable: outputs.eightfold.EventsTableName!,
      checkpointTable: outputs.eightfold.LegacyCaptureTableName!,
      legacyUrl: legacy,
      token,
      routes: {},
    });
    const importPerSecond = report.outcomes.imported / ((performance.now() - readStarted) / 1000);
    log(
      `backfill: ${report.outcomes.imported} of ${read} orders imported at ${importPerSecond.toFixed(0)}/s; legacy read alone ${readPerSecond.toFixed(0)}/s`,
    );
    // What the event store itself takes on this cloud: as many orders placed straight through it, as many
    // at once, the stream pipeline behind it busy alike. The backfill cannot outrun it.
    const store = new EventStore({
      client: documents,
      tableName: outputs.eightfold.EventsTableName!,
      upcasters: orderUpcasters,
      schemaVersions: CURRENT_SCHEMA_VERSION,
    });
    await drained(cloud, outputs.eightfold.LegacySyncQueueUrl!);
    const placeStarted = performance.now();
    for (let i = 0; i < report.outcomes.imported; i += 32)
      await Promise.all(
        Array.from({ length: Math.min(32, report.outcomes.imported - i) }, (_, k) => {
          const orderId = `bench-placed-${i + k}`;
          const command = {
            type: 'PlaceOrder',
            data: { orderId, customerId: 'bench', items: [{ sku: 'MUG', quantity: 1, unitPriceCents: 900 }] },
            now: new Date().toISOString(),
          } as const;
          return handleCommand(store, orderDecider, orderId, command, { correlationId: 'bench', actor: 'bench' }, { expectedVersion: 0 });
        }),
      );
    const placedPerSecond = report.outcomes.imported / ((performance.now() - placeStarted) / 1000);
    log(`event store alone: ${placedPerSecond.toFixed(0)} orders/s`);
    rows.push(
      {
        figure: `backfill (\`npm run migrate-legacy\`): ${report.outcomes.imported} legacy orders imported, orders/s`,
        value: `${importPerSecond.toFixed(0)}/s`,
        baseline: `legacy's changes endpoint read alone, the same orders: ${readPerSecond.toFixed(0)}/s`,
        ratio: ratio(importPerSecond, readPerSecond),
      },
      {
        figure: 'backfill, against what the event store takes on the same cloud',
        value: `${importPerSecond.toFixed(0)}/s`,
        baseline: `as many orders placed straight through the event store, 32 at once: ${placedPerSecond.toFixed(0)}/s`,
        ratio: ratio(importPerSecond, placedPerSecond),
      },
    );
    await drained(cloud, outputs.eightfold.LegacySyncQueueUrl!);
    // Then, the pipeline caught up again, lag both ways, interleaved: an order placed at legacy until
    // Eightfold's API answers it (change capture, polling every second, then the projection), and one placed
    // on Eightfold until legacy holds it (the feed).
    const capture = [...cloud.functions.keys()].find((name) => name.includes('LegacyCaptureCoordinator'))!;
    void (async () => {
      while (capturing) await cloud.invoke(capture, { contender: 'legacy-capture-1' }).catch(() => undefined);
    })();
    await sleep(1_500);
    const captureLags: number[] = [];
    const feedLags: number[] = [];
    const until = async (done: () => Promise<boolean>, started: number, into: number[]) => {
      while (!(await done())) await sleep(20);
      into.push(performance.now() - started);
    };
    await Promise.all(
      Array.from({ length: LAG_ORDERS }, async (_, i) => {
        await sleep(i * 150);
        const started = performance.now();
        if (i % 2 === 0) {
          const orderId = await placeOnLegacy(i);
          const read = () => fetch(`${cloud.url}/orders/${orderId}`, { headers: { authorization: `Bearer ${operator}` } });
          await until(async () => (await read()).status === 200, started, captureLags);
        } else {
          const placed = await fetch(`${cloud.url}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}` },
            body: JSON.stringify({ customerId: `bench-eightfold-${i}`, items: [{ sku: 'MUG', quantity: 1, unitPriceCents: 900 }] }),
          });
          const { orderId } = (await placed.json()) as { orderId: string };
          await until(
            async () => (await send({ method: 'GET', path: `/integration/orders/${orderId}` })).status === 200,
            started,
            feedLags,
          );
        }
      }),
    );
    for (const q of [50, 99]) {
      const capture = percentile(captureLags, q);
      const feed = percentile(feedLags, q);
      log(`lag p${q}: legacy → Eightfold ${ms(capture)}, Eightfold → legacy ${ms(feed)}`);
      rows.push({
        figure: `change capture lag p${q}: an order placed at legacy, until \`GET /orders/{id}\` on Eightfold answers it (target p99 ≤ 5 s; polled every 1 s)`,
        value: ms(capture),
        baseline: `the feed the other way, Eightfold → legacy: ${ms(feed)}`,
        ratio: ratio(capture, feed),
      });
    }
  } finally {
    capturing = false;
    documents.destroy();
    await cloud.stop();
  }
}
