/**
 * The payment saga's figures on the local cloud, each beside a baseline measured in the same run:
 * - a payment (the saga's use case, in-process, against the local cloud's DynamoDB Local and the provider
 *   stand-in's own HTTP API) beside the flow it replaced, run the same way, alternating order by order:
 *   latency p50/p99 and DynamoDB requests per payment;
 * - a paid order's cancel to its completed refund (stream → publisher → SNS → SQS → refunds subscriber →
 *   provider → append), beside the same cancel's notification, delivered over the same hops but calling
 *   no one.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { CURRENT_SCHEMA_VERSION, orderDecider, orderUpcasters, type OrderEvent } from '../lambdas/domain/orders/index.ts';
import type { OutboundRequest } from '../lambdas/patterns/ambassador/index.ts';
import { EventStore, handleCommand } from '../lambdas/patterns/event-sourcing/index.ts';
import { httpPaymentProvider, type PaymentProvider } from '../lambdas/use-cases/payment-provider.ts';
import { payOrder } from '../lambdas/use-cases/payments.ts';
import { customerPartOf } from '../lambdas/use-cases/order-view.ts';
import { LOCAL_CREDENTIALS, startLocalCloud } from '@eightfold/local-cloud';
import { localOutputs, paymentProviderToken } from '../test/helpers/target.ts';
import { mintToken } from '../test/helpers/tokens.ts';
import { countRequests, log, ms, percentile, ratio, ROOT, SAMPLES, sleep, type Row } from './common.ts';

const META = { correlationId: 'bench', actor: 'bench' };
const REFUNDS = Math.min(SAMPLES, 40);

/**
 * The payment before the saga, as `pay()` did it: load the order, charge under `<orderId>:v<version>`, then
 * append OrderPaid pinned at that version (which loads the stream again). A cancel landing between the
 * charge and the append made the append fail, and the charge stood: what the saga exists to prevent.
 */
async function payAsBefore(store: EventStore, provider: PaymentProvider, orderId: string): Promise<void> {
  const loaded = await store.load(orderId, orderDecider);
  if (loaded.state.status !== 'PLACED') throw new Error(`${orderId} is not payable`);
  const answer = await provider.charge({ idempotencyKey: `${orderId}:v${loaded.version}`, orderId, amountCents: loaded.state.totalCents });
  if (answer.status !== 'APPROVED') throw new Error(`${orderId}: charge ${answer.status}`);
  const paid: OrderEvent = {
    type: 'OrderPaid',
    data: { paymentId: answer.chargeId, amountCents: answer.amountCents, paidAt: new Date().toISOString() },
  };
  await handleCommand(store, { ...orderDecider, decide: () => [paid] }, orderId, undefined, META, { expectedVersion: loaded.version });
}

export async function paymentFigures(rows: Row[]): Promise<void> {
  const cloud = await startLocalCloud({ appDir: ROOT, port: 0, iam: 'off', onLog: () => undefined });
  const raw = new DynamoDBClient({ endpoint: cloud.endpoints.dynamodb, region: cloud.region, credentials: LOCAL_CREDENTIALS });
  const requests = countRequests(raw);
  const documents = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  try {
    const outputs = localOutputs(cloud);
    const store = new EventStore({
      client: documents,
      tableName: outputs.eightfold.EventsTableName!,
      upcasters: orderUpcasters,
      schemaVersions: CURRENT_SCHEMA_VERSION,
    });
    const providerUrl = outputs.paymentProvider.ProviderUrl!.replace(/\/+$/, '');
    const authorization = `Bearer ${await paymentProviderToken(cloud)}`;
    // The same plain HTTP client for both flows: the figures compare the flows, not the ambassador.
    const send = async ({ method, path, body, idempotencyKey }: OutboundRequest) => {
      const response = await fetch(`${providerUrl}${path}`, {
        method,
        headers: { authorization, 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };
    const provider = httpPaymentProvider({ send });
    const deps = { store, provider, now: () => new Date() };
    const place = async (orderId: string) =>
      handleCommand(
        store,
        orderDecider,
        orderId,
        {
          type: 'PlaceOrder',
          data: { orderId, customerId: 'bench-payer', items: [{ sku: 'BENCH', quantity: 1, unitPriceCents: 1999 }] },
          now: new Date().toISOString(),
        },
        META,
        { expectedVersion: 0 },
      );

    // Alternating order by order, so drift (a warming JIT, a growing table) falls on both flows alike; the first 20 warm up.
    const timed = { saga: [] as number[], before: [] as number[] };
    const counted = { saga: 0, before: 0 };
    for (let i = 0; i < SAMPLES + 20; i++) {
      for (const flow of ['saga', 'before'] as const) {
        const orderId = `bench-pay-${flow}-${i}`;
        await place(orderId);
        const requestsBefore = requests.count;
        const started = performance.now();
        if (flow === 'saga') {
          const result = await payOrder(deps, { orderId, metadata: META });
          if (result.outcome !== 'PAID') throw new Error(`${orderId}: ${result.outcome}`);
        } else await payAsBefore(store, provider, orderId);
        if (i < 20) continue;
        timed[flow].push(performance.now() - started);
        counted[flow] += requests.count - requestsBefore;
      }
    }
    for (const p of [50, 99]) {
      const [saga, before] = [percentile(timed.saga, p), percentile(timed.before, p)];
      log(`payment p${p}: saga ${ms(saga)}, before the saga ${ms(before)}`);
      rows.push({
        figure: `payment p${p} (the saga: intent, charge, outcome)`,
        value: ms(saga),
        baseline: `the flow it replaced (charge, then one append): ${ms(before)}`,
        ratio: ratio(saga, before),
      });
    }
    const [sagaRequests, beforeRequests] = [counted.saga / SAMPLES, counted.before / SAMPLES];
    log(`DynamoDB requests per payment: saga ${sagaRequests.toFixed(2)}, before ${beforeRequests.toFixed(2)}`);
    rows.push({
      figure: 'DynamoDB requests per payment',
      value: sagaRequests.toFixed(2),
      baseline: `the flow it replaced: ${beforeRequests.toFixed(2)}`,
      ratio: ratio(sagaRequests, beforeRequests),
    });

    // A paid order's cancel, through the API, to its refund recorded; beside the same cancel's notification.
    const token = await mintToken(cloud, { operator: 'bench' });
    const api = (path: string, body?: unknown) =>
      fetch(`${cloud.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body ?? {}),
      });
    const refunded: number[] = [];
    const notified: number[] = [];
    for (let i = 0; i < REFUNDS + 3; i++) {
      const customerId = `bench-refund-${i}`;
      const { orderId } = (await (
        await api('/orders', { customerId, items: [{ sku: 'BENCH', quantity: 1, unitPriceCents: 1999 }] })
      ).json()) as { orderId: string };
      if ((await api(`/orders/${orderId}/payment`)).status !== 200) throw new Error(`${orderId}: payment refused`);
      const cancelledAt = Date.now();
      if ((await api(`/orders/${orderId}/cancel`)).status !== 200) throw new Error(`${orderId}: cancel refused`);
      const deadline = Date.now() + 30_000;
      let refundAt: number | undefined;
      let noticeAt: number | undefined;
      while ((refundAt === undefined || noticeAt === undefined) && Date.now() < deadline) {
        await sleep(10);
        refundAt ??= (await store.read(orderId)).events.filter((e) => e.type === 'PaymentRefunded').map((e) => Date.parse(e.recordedAt))[0];
        const { Items = [] } = await documents.send(
          new QueryCommand({
            TableName: outputs.eightfold.NotificationsTableName!,
            // The notifications subscriber's key: the customer's part of the table for this order.
            KeyConditionExpression: 'customerId = :c',
            ExpressionAttributeValues: { ':c': customerPartOf(customerId, orderId) },
          }),
        );
        noticeAt ??= Items.filter((n) => n.eventType === 'OrderCancelled').map((n) => Date.parse(String(n.deliveredAt)))[0];
      }
      if (refundAt === undefined || noticeAt === undefined) throw new Error(`${orderId}: no refund or no notice within 30 s`);
      if (i < 3) continue; // warm-up: the refunds subscriber's first sandboxes
      refunded.push(refundAt - cancelledAt);
      notified.push(noticeAt - cancelledAt);
    }
    for (const p of [50, 99]) {
      const [refund, notice] = [percentile(refunded, p), percentile(notified, p)];
      log(`cancel → refund p${p}: ${ms(refund)}; cancel → notification ${ms(notice)}`);
      rows.push({
        figure: `a paid order's cancel to its refund recorded, p${p}`,
        value: ms(refund),
        baseline: `the same cancel's notification delivered: ${ms(notice)}`,
        ratio: ratio(refund, notice),
      });
    }
  } finally {
    documents.destroy();
    await cloud.stop();
  }
}
