/**
 * Pub/Sub figures: append → notification stored through the whole local pipeline (stream poller, publisher,
 * FIFO topic, queue poller, subscriber); events/s through it during a burst; and PublishBatch against one
 * Publish per event, on the same emulator in the same run.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { orderUpcasters } from '../lambdas/domain/orders/index.ts';
import { EventStore } from '../lambdas/patterns/event-sourcing/index.ts';
import { publishInOrder, type OutgoingMessage } from '../lambdas/patterns/pub-sub/index.ts';
import { customerPartOf } from '../lambdas/use-cases/order-view.ts';
import { LOCAL_CREDENTIALS, startLocalCloud, startSnsSqs } from '@eightfold/local-cloud';
import { AWS_PUBLISHED, countRequests, log, ms, percentile, ratio, ROOT, SAMPLES, sleep, type Row } from './common.ts';

const META = { correlationId: 'bench', actor: 'bench' };
const placed = (orderId: string, customerId: string) => ({
  type: 'OrderPlaced',
  data: {
    orderId,
    customerId,
    items: [{ sku: 'BOOK', quantity: 1, unitPriceCents: 999 }],
    totalCents: 999,
    placedAt: '2026-11-25T12:00:00.000Z',
  },
});

export async function pubSubFigures(rows: Row[]): Promise<void> {
  const cloud = await startLocalCloud({ appDir: ROOT, port: 0, iam: 'off', onLog: () => undefined });
  const raw = new DynamoDBClient({ endpoint: cloud.endpoints.dynamodb, region: cloud.region, credentials: LOCAL_CREDENTIALS });
  const client = DynamoDBDocumentClient.from(raw);
  try {
    const table = (constructId: string) => cloud.resource(constructId).physicalId;
    const store = new EventStore({ client, tableName: table('EventStore/Events'), upcasters: orderUpcasters });
    const notifications = table('Notifications/Table');
    const auditLog = table('AuditLog/Table');

    // Latency: one order at a time, append → its notification row readable.
    const latencies: number[] = [];
    const samples = Math.min(SAMPLES, 150);
    for (let i = 0; i < samples + 10; i++) {
      const orderId = `latency-${i}`;
      const { events } = await store.append(orderId, 0, [placed(orderId, `bench-${i}`)], META);
      const appended = performance.now();
      const key = { customerId: customerPartOf(`bench-${i}`, orderId), notificationId: events[0]!.eventId };
      for (;;) {
        const { Item } = await client.send(new GetCommand({ TableName: notifications, Key: key, ConsistentRead: true }));
        if (Item) break;
        if (performance.now() - appended > 15_000) throw new Error(`${orderId}: no notification after 15 s`);
        await sleep(2);
      }
      if (i >= 10) latencies.push(performance.now() - appended); // the first 10 warm every sandbox on the way
      await sleep(20);
    }
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const awsHops50 = AWS_PUBLISHED.streamP50 + AWS_PUBLISHED.sqsP50;
    const awsHops99 = AWS_PUBLISHED.streamP99 + AWS_PUBLISHED.sqsP99;
    log(`append → notification: p50 ${ms(p50)}, p99 ${ms(p99)}`);
    rows.push(
      {
        figure: 'append → notification stored, p50 (stream → publisher → SNS FIFO → SQS FIFO → subscriber)',
        value: ms(p50),
        baseline: `AWS published stream + SQS hops alone: ${ms(awsHops50)}`,
        ratio: ratio(p50, awsHops50),
      },
      {
        figure: 'append → notification stored, p99',
        value: ms(p99),
        baseline: `AWS published stream + SQS hops alone: ${ms(awsHops99)}`,
        ratio: ratio(p99, awsHops99),
      },
    );

    // Throughput: a burst of orders appended by 16 writers; delivered once every audit entry exists.
    const burst = Math.max(100, Math.min(SAMPLES * 2, 600));
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        for (let i = w; i < burst; i += 16) await store.append(`burst-${i}`, 0, [placed(`burst-${i}`, `burst-customer-${i % 50}`)], META);
      }),
    );
    const appendedIn = performance.now() - started;
    for (;;) {
      const { Count = 0 } = await client.send(
        new ScanCommand({
          TableName: auditLog,
          Select: 'COUNT',
          FilterExpression: 'begins_with(orderId, :burst)',
          ExpressionAttributeValues: { ':burst': 'burst-' },
          ConsistentRead: true,
        }),
      );
      if (Count >= burst) break;
      if (performance.now() - started > 120_000) throw new Error(`burst: ${Count} of ${burst} audited after 120 s`);
      await sleep(50);
    }
    const deliveredIn = performance.now() - started;
    const deliveredRate = burst / (deliveredIn / 1000);
    const appendRate = burst / (appendedIn / 1000);
    log(`burst of ${burst}: appended at ${appendRate.toFixed(0)}/s, delivered to audit at ${deliveredRate.toFixed(0)}/s`);
    rows.push({
      figure: `events/s end to end, burst of ${burst} (append → audit entry)`,
      value: `${deliveredRate.toFixed(0)}/s`,
      baseline: `append rate of the same burst (16 writers): ${appendRate.toFixed(0)}/s`,
      ratio: ratio(deliveredRate, appendRate),
    });
  } finally {
    client.destroy();
    await cloud.stop();
  }

  await publishBatchFigures(rows);
}

/** PublishBatch (as the publisher does it) against one Publish per event, to a FIFO topic with a FIFO queue. */
async function publishBatchFigures(rows: Row[]): Promise<void> {
  const emulator = await startSnsSqs({ region: 'us-east-1' });
  const config = { endpoint: emulator.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS };
  const sns = new SNSClient(config);
  const sqs = new SQSClient(config);
  const requests = countRequests(sns);
  try {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'bench-events.fifo', Attributes: { FifoTopic: 'true' } }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench-subscriber.fifo', Attributes: { FifoQueue: 'true' } }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn, Attributes: { RawMessageDelivery: 'true' } }),
    );
    // 100 orders with 10 events each, interleaved as a busy stream delivers them.
    const events = Math.max(500, Math.min(SAMPLES * 4, 2000));
    const messages = (round: string): OutgoingMessage[] =>
      Array.from({ length: events }, (_, i) => ({
        groupId: `order-${i % 100}`,
        deduplicationId: `${round}-${i}`,
        body: JSON.stringify({
          eventId: `${round}-${i}`,
          orderId: `order-${i % 100}`,
          version: Math.floor(i / 100) + 1,
          type: 'PaymentDeclined',
          data: { reason: 'bench' },
        }),
        attributes: { eventType: 'PaymentDeclined', schemaVersion: 1 },
      }));
    const timeBatch = async (round: string) => {
      const t = performance.now();
      const outcome = await publishInOrder(sns, TopicArn!, messages(round));
      if (outcome.firstUnpublished !== undefined) throw outcome.error;
      return performance.now() - t;
    };
    const timeSingle = async (round: string) => {
      const t = performance.now();
      for (const m of messages(round)) {
        await sns.send(
          new PublishCommand({ TopicArn, Message: m.body, MessageGroupId: m.groupId, MessageDeduplicationId: m.deduplicationId }),
        );
      }
      return performance.now() - t;
    };
    await timeBatch('warm-batch');
    await timeSingle('warm-single');
    const batchTimes: number[] = [];
    const singleTimes: number[] = [];
    let batchRequests = 0;
    let singleRequests = 0;
    for (let round = 0; round < 3; round++) {
      requests.count = 0;
      batchTimes.push(await timeBatch(`batch-${round}`));
      batchRequests = requests.count;
      requests.count = 0;
      singleTimes.push(await timeSingle(`single-${round}`));
      singleRequests = requests.count;
    }
    const batchMs = percentile(batchTimes, 50);
    const singleMs = percentile(singleTimes, 50);
    log(`${events} events: PublishBatch ${batchRequests} requests ${ms(batchMs)}; Publish ${singleRequests} requests ${ms(singleMs)}`);
    rows.push(
      {
        figure: `SNS requests to publish ${events} events (PublishBatch, one entry per order per request)`,
        value: String(batchRequests),
        baseline: `one Publish per event: ${singleRequests}`,
        ratio: ratio(batchRequests, singleRequests),
      },
      {
        figure: `time to publish ${events} events to SNS FIFO (fauxqs)`,
        value: ms(batchMs),
        baseline: `one Publish per event: ${ms(singleMs)}`,
        ratio: ratio(batchMs, singleMs),
      },
    );
  } finally {
    sns.destroy();
    sqs.destroy();
    await emulator.stop();
  }
}
