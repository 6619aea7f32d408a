/**
 * The load test's figures (the reliability suite's, at bench scale): orders through the API at concurrency
 * 32 on the local cloud, beside the event store's own append rate on a bare DynamoDB Local (the ceiling of
 * the write path) and one order at a time on an idle system; then DynamoDB requests per accepted order end
 * to end (command, projections, subscribers, legacy's feed), counted by a proxy in front of DynamoDB Local.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { orderUpcasters } from '../lambdas/domain/orders/index.ts';
import { EventStore } from '../lambdas/patterns/event-sourcing/index.ts';
import { checkConsistency } from '../scripts/check-consistency.ts';
import { LOCAL_CREDENTIALS, startDynamoDbLocal, startLocalCloud, type LocalCloud } from '@eightfold/local-cloud';
import { placeOrders } from '../scripts/load-test.ts';
import { consistencyTables } from '../test/helpers/consistency.ts';
import { localOutputs } from '../test/helpers/target.ts';
import { mintToken } from '../test/helpers/tokens.ts';
import { createTable } from '../test/helpers/tables.ts';
import { log, ms, percentile, ratio, ROOT, sleep, type Row } from './common.ts';

const ORDERS = Number(process.env.BENCH_LOAD_ORDERS ?? 2000);
const CONCURRENCY = 32;

/**
 * Waits until every read model agrees with the event store; the time it took (`settledMs`), and when, within
 * it, the pipeline last finished an invocation (`lastWorkMs`: the pipeline's own lag, without the waiting
 * and checking). The checker scans every table (about 1 s at 2,000 orders), so it runs only once the
 * pollers have delivered nothing for 500 ms: run back to back, its scans would slow the pipeline it times.
 */
async function settle(
  cloud: LocalCloud,
  documents: DynamoDBDocumentClient,
  expectedOrders: string[],
): Promise<{ settledMs: number; lastWorkMs: number }> {
  const started = performance.now();
  const tables = consistencyTables(localOutputs(cloud));
  const delivered = () => cloud.pollers.reduce((sum, poller) => sum + poller.stats.records, 0);
  const finished = () => [...cloud.functions.values()].reduce((sum, fn) => sum + fn.stats.invocations, 0);
  let lastWorkMs = 0;
  let seen = finished();
  const watch = setInterval(() => {
    if (finished() !== seen) [seen, lastWorkMs] = [finished(), performance.now() - started];
  }, 20);
  try {
    for (;;) {
      for (let before = -1; before !== delivered();) {
        before = delivered();
        await sleep(500);
      }
      const report = await checkConsistency({ client: documents, ...tables, shards: 16, expectedOrders });
      if (report.inconsistencies.length === 0) return { settledMs: performance.now() - started, lastWorkMs };
      if (performance.now() - started > 300_000)
        throw new Error(`load: still ${report.inconsistencies.length} inconsistencies after 5 min`);
    }
  } finally {
    clearInterval(watch);
  }
}

/**
 * The outbound calls the functions made and the breaker openings they announced, read from their log lines
 * as an operator's query would read them.
 */
function outboundTally() {
  const tally = { calls: 0, breakerOpenings: 0, failures: [] as { outcome: string; line: string }[] };
  const onFunctionLog = (_functionName: string, line: string) => {
    if (!line.startsWith('{"level"')) return;
    const entry = JSON.parse(line) as { message?: string; outcome?: string; to?: string; timestamp?: string; url?: string };
    if (entry.message === 'outbound call') {
      tally.calls++;
      if (entry.outcome !== 'success')
        tally.failures.push({ outcome: entry.outcome ?? '?', line: `${entry.timestamp} ${entry.outcome} ${entry.url}` });
    }
    if (entry.message === 'circuit breaker transition' && entry.to === 'OPEN') tally.breakerOpenings++;
  };
  /** "n of calls", with each failed outcome's count. */
  const failedText = () => {
    const byOutcome = Map.groupBy(tally.failures, (failure) => failure.outcome);
    const kinds = [...byOutcome].map(([outcome, failures]) => `${outcome} ${failures.length}`).join(', ');
    return `${tally.failures.length} of ${tally.calls}${kinds ? ` (${kinds})` : ''}`;
  };
  return { tally, onFunctionLog, failedText };
}

async function withCloud<T>(
  options: { countDynamoDbRequests?: boolean; onFunctionLog?: (functionName: string, line: string) => void },
  run: (cloud: LocalCloud, documents: DynamoDBDocumentClient) => Promise<T>,
): Promise<T> {
  const cloud = await startLocalCloud({ appDir: ROOT, port: 0, iam: 'off', onLog: () => undefined, ...options });
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: cloud.endpoints.dynamodb, region: cloud.region, credentials: LOCAL_CREDENTIALS }),
  );
  try {
    return await run(cloud, documents);
  } finally {
    documents.destroy();
    await cloud.stop();
  }
}

/** Appends/s of the event store alone at the same concurrency, on a bare DynamoDB Local. */
async function bareAppendRate(): Promise<number> {
  const dynamo = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  try {
    await createTable(raw, 'bench-load-events', [
      { name: 'streamId', type: 'S' },
      { name: 'position', type: 'N' },
    ]);
    const store = new EventStore({ client: DynamoDBDocumentClient.from(raw), tableName: 'bench-load-events', upcasters: orderUpcasters });
    const event = (orderId: string) => ({
      type: 'OrderPlaced',
      data: {
        orderId,
        customerId: 'bench',
        items: [{ sku: 'BOOK', quantity: 1, unitPriceCents: 999 }],
        totalCents: 999,
        placedAt: new Date().toISOString(),
      },
    });
    let next = 0;
    const appendAll = async (prefix: string, count: number) => {
      next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < count) {
            const id = `${prefix}-${next++}`;
            await store.append(id, 0, [event(id)], { correlationId: 'bench', actor: 'bench' });
          }
        }),
      );
      return count / ((performance.now() - started) / 1000);
    };
    await appendAll('warm', 500);
    return await appendAll('load', ORDERS);
  } finally {
    raw.destroy();
    await dynamo.stop();
  }
}

export async function loadFigures(rows: Row[]): Promise<void> {
  const ceiling = await bareAppendRate();
  const outbound = outboundTally();
  await withCloud({ onFunctionLog: outbound.onFunctionLog }, async (cloud, documents) => {
    const signedIn = { baseUrl: cloud.url, token: await mintToken(cloud, { operator: 'bench' }) };
    await placeOrders({ ...signedIn, orders: 50, concurrency: 4, customerPrefix: 'warm' });
    const alone = await placeOrders({ ...signedIn, orders: 200, concurrency: 1, customerPrefix: 'alone' });
    await sleep(3_000);
    const load = await placeOrders({ ...signedIn, orders: ORDERS, concurrency: CONCURRENCY, customerPrefix: 'load' });
    if (load.refused.length) throw new Error(`load: ${load.refused.length} orders refused, e.g. ${JSON.stringify(load.refused[0])}`);
    const { settledMs, lastWorkMs } = await settle(
      cloud,
      documents,
      load.accepted.map((o) => o.orderId),
    );
    const endToEnd = ORDERS / ((load.durationMs + settledMs) / 1000);
    const throughPipeline = ORDERS / ((load.durationMs + lastWorkMs) / 1000);
    log(
      `load: outbound calls failed: ${outbound.failedText()}; the first: ${
        outbound.tally.failures
          .slice(0, 5)
          .map((f) => f.line)
          .join('; ') || 'none'
      }`,
    );
    log(
      `load: ${ORDERS} orders at ${CONCURRENCY}: ${load.ordersPerSecond.toFixed(1)}/s accepted, ${endToEnd.toFixed(1)}/s settled; p50 ${ms(load.p50Ms)}, p99 ${ms(load.p99Ms)}; alone p50 ${ms(alone.p50Ms)}; bare appends ${ceiling.toFixed(0)}/s`,
    );
    rows.push(
      {
        figure: `orders/s accepted through the API, ${ORDERS} at concurrency ${CONCURRENCY} (local cloud, the whole pipeline running)`,
        value: `${load.ordersPerSecond.toFixed(1)}/s`,
        baseline: `event store appends alone, bare DynamoDB Local, same concurrency: ${ceiling.toFixed(0)}/s`,
        ratio: ratio(load.ordersPerSecond, ceiling),
      },
      {
        figure: `orders/s settled end to end (accepted, and every read model consistent)`,
        value: `${endToEnd.toFixed(1)}/s`,
        baseline: `accepted: ${load.ordersPerSecond.toFixed(1)}/s`,
        ratio: ratio(endToEnd, load.ordersPerSecond),
        goal: '≥ 0.9× (the pipeline keeps up with the shop)',
        met: endToEnd >= 0.9 * load.ordersPerSecond,
      },
      {
        figure: `orders/s through the pipeline: accepted, and the last invocation the orders set off finished (the same run, without the settling's quiet wait and the checker's scans; consistency confirmed by the checker as above)`,
        value: `${throughPipeline.toFixed(1)}/s`,
        baseline: `accepted: ${load.ordersPerSecond.toFixed(1)}/s (the pipeline finished ${(lastWorkMs / 1000).toFixed(1)} s after the last order was accepted, settled ${(settledMs / 1000).toFixed(1)} s after)`,
        ratio: ratio(throughPipeline, load.ordersPerSecond),
      },
      {
        figure: `POST /orders p50 under that load`,
        value: ms(load.p50Ms),
        baseline: `one order at a time: ${ms(alone.p50Ms)}`,
        ratio: ratio(load.p50Ms, alone.p50Ms),
      },
      {
        figure: `POST /orders p99 under that load`,
        value: ms(load.p99Ms),
        baseline: `one order at a time: ${ms(percentile(alone.latenciesMs, 99))}`,
        ratio: ratio(load.p99Ms, percentile(alone.latenciesMs, 99)),
      },
      {
        // Legacy's feed calls out once per order: a burst scales legacy up, and its cold instances should not
        // read as an outage (each timeout is a failure to the breaker, and an open breaker stalls the feed).
        figure: `outbound calls that failed during that run (legacy's feed and change capture, warm-up included), and the breaker openings they caused: ${outbound.tally.breakerOpenings}`,
        value: outbound.failedText(),
        baseline: `every outbound call: ${outbound.tally.calls}`,
        ratio: ratio(outbound.tally.failures.length, outbound.tally.calls),
      },
    );
  });

  // Requests per order, through a counting proxy (which slows every request: not for the rates above).
  await withCloud({ countDynamoDbRequests: true }, async (cloud, documents) => {
    const signedIn = { baseUrl: cloud.url, token: await mintToken(cloud, { operator: 'bench' }) };
    await placeOrders({ ...signedIn, orders: 50, concurrency: 4, customerPrefix: 'warm' });
    await settle(cloud, documents, []);
    const counted = Math.min(ORDERS, 500);
    cloud.dynamodbRequests.clear();
    const load = await placeOrders({ ...signedIn, orders: counted, concurrency: CONCURRENCY, customerPrefix: 'counted' });
    // Settle by polling, then count: the checker's own Scans are left out below.
    await settle(
      cloud,
      documents,
      load.accepted.map((o) => o.orderId),
    );
    const tableNames = new Map(
      cloud.resources
        .filter((r) => r.type === 'AWS::DynamoDB::Table')
        .map((r) => [r.physicalId, r.constructPath?.split('/').slice(1, -1).join('/') ?? r.logicalId]),
    );
    const byRequest = [...cloud.dynamodbRequests]
      .filter(([key]) => !key.startsWith('streams:') && !key.startsWith('Scan '))
      .map(([key, count]) => {
        const [operation, tables = ''] = key.split(' ');
        return [
          `${operation} ${tables
            .split('+')
            .map((t) => tableNames.get(t) ?? t)
            .join('+')}`,
          count,
        ] as const;
      })
      .sort((a, b) => b[1] - a[1]);
    const perOrder = (predicate: (key: string) => boolean) =>
      byRequest.filter(([key]) => predicate(key)).reduce((sum, [, count]) => sum + count, 0) / counted;
    const total = perOrder(() => true);
    const stand_ins = perOrder((key) => /Orders$|Faults$|Charges$/.test(key));
    const command = perOrder((key) => key.endsWith('EventStore/Events'));
    log(
      `requests per order: ${total.toFixed(2)} (stand-ins ${stand_ins.toFixed(2)}): ${byRequest.map(([k, c]) => `${k} ${(c / counted).toFixed(2)}`).join('; ')}`,
    );
    rows.push({
      figure: `DynamoDB requests per accepted order, end to end (command, view, audit, notification, sales, breaker; stand-ins' ${stand_ins.toFixed(2)} and stream reads left out)`,
      value: (total - stand_ins).toFixed(2),
      baseline: `the command alone: ${command.toFixed(2)}`,
      ratio: ratio(total - stand_ins, command),
    });
  });
}
