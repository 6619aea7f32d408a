/**
 * Pub/Sub through the local cloud running the product app: EventsTable stream → publisher → FIFO topic →
 * notifications and audit queues → subscribers. Real DynamoDB Local, real fauxqs, the synthesized template.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderUpcasters, toOrderEventMessage, type OrderEventMessage } from '../../lambdas/domain/orders/index.ts';
import { EventStore } from '../../lambdas/patterns/event-sourcing/index.ts';
import { LOCAL_CREDENTIALS, startLocalCloud, type LocalCloud } from '@eightfold/local-cloud';
import { redrive } from '../../scripts/redrive.ts';
import { eventually } from '../helpers/eventually.ts';
import { signedFetch } from '../helpers/api.ts';
import { mintToken } from '../helpers/tokens.ts';
import { ownAssemblyDir, PROJECT_DIR } from '../helpers/paths.ts';

let cloud: LocalCloud;
/** The time scale is part of the synthesis. */
const outDir = ownAssemblyDir('pub-sub');
let documents: DynamoDBDocumentClient;
let sqs: SQSClient;
let store: EventStore;
const table = (constructId: string) => cloud.resource(constructId).physicalId;
const queueUrl = (constructPath: string) => table(constructPath);
const meta = { correlationId: 'pub-sub-test', actor: 'test' };
const NOW = '2026-11-25T12:00:00.000Z';
const items = [{ sku: 'BOOK-DUNE', quantity: 2, unitPriceCents: 999 }];
/** An operator's token (support staff acting for this file's customers); its requests go through `fetch` below. */
let token: string;
const fetch = signedFetch(() => token);

async function placeOrder(customerId: string): Promise<string> {
  const response = await fetch(`${cloud.url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customerId, items }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { orderId: string }).orderId;
}

async function notificationsOf(customerId: string): Promise<{ orderId: string; type: string; version: number; notificationId: string }[]> {
  const response = await fetch(`${cloud.url}/customers/${customerId}/notifications?limit=100`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { notifications: { orderId: string; type: string; version: number; notificationId: string }[] })
    .notifications;
}

async function auditOf(orderId: string): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await documents.send(
    new QueryCommand({
      TableName: table('AuditLog/Table'),
      KeyConditionExpression: 'orderId = :o',
      ExpressionAttributeValues: { ':o': orderId },
      ConsistentRead: true,
    }),
  );
  return Items;
}

async function depth(url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
}

/** Sends raw messages to a subscriber queue, as SNS would deliver them (raw delivery, FIFO group = order). */
async function sendToQueue(url: string, messages: { body: string; groupId: string; type?: string }[]): Promise<void> {
  const sentAt = Date.now();
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: messages.map((message, index) => ({
        Id: String(index),
        MessageBody: message.body,
        MessageGroupId: message.groupId,
        MessageDeduplicationId: `test-${sentAt}-${index}`,
        MessageAttributes: message.type ? { eventType: { DataType: 'String', StringValue: message.type } } : undefined,
      })),
    }),
  );
}

const asMessage = (message: OrderEventMessage) => ({ body: JSON.stringify(message), groupId: message.orderId, type: message.type });

beforeAll(async () => {
  // Visibility timeouts (60 s) pass 60× faster, so a poison message reaches its DLQ in seconds.
  cloud = await startLocalCloud({ appDir: PROJECT_DIR, outDir, port: 0, timeScale: 60, onLog: () => undefined });
  token = await mintToken(cloud, { operator: 'pub-sub' });
  const config = { region: cloud.region, credentials: LOCAL_CREDENTIALS };
  documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...config, endpoint: cloud.endpoints.dynamodb }));
  sqs = new SQSClient({ ...config, endpoint: cloud.endpoints.snsSqs });
  store = new EventStore({ client: documents, tableName: table('EventStore/Events'), upcasters: orderUpcasters });
});

afterAll(async () => {
  documents?.destroy();
  sqs?.destroy();
  await cloud?.stop();
});

describe('fan-out with filter policies', () => {
  it('gives audit every event and notifications only the customer-facing ones, each once', async () => {
    const orderId = await placeOrder('fan-out');
    // A declined payment is stored but is not customer-facing.
    await store.append(orderId, 1, [{ type: 'PaymentDeclined', data: { reason: 'CARD_EXPIRED', declinedAt: NOW } }], meta);
    expect((await fetch(`${cloud.url}/orders/${orderId}/cancel`, { method: 'POST' })).status).toBe(200);

    await eventually(async () =>
      expect((await auditOf(orderId)).map((e) => [e.version, e.type])).toEqual([
        [1, 'OrderPlaced'],
        [2, 'PaymentDeclined'],
        [3, 'OrderCancelled'],
      ]),
    );
    const notifications = await eventually(async () => {
      const found = await notificationsOf('fan-out');
      expect(found).toHaveLength(2);
      return found;
    });
    // Newest first; the notification id is the event id.
    expect(notifications.map((n) => [n.type, n.version])).toEqual([
      ['OrderCancelled', 3],
      ['OrderPlaced', 1],
    ]);
    const events = (await store.read(orderId)).events;
    expect(notifications.map((n) => n.notificationId).sort()).toEqual([events[0]!.eventId, events[2]!.eventId].sort());
  });
});

describe('exactly-once effects under at-least-once delivery', () => {
  it('applies every message delivered twice (to both subscribers) exactly once', async () => {
    const orderId = await placeOrder('twice');
    expect((await fetch(`${cloud.url}/orders/${orderId}/cancel`, { method: 'POST' })).status).toBe(200);
    await eventually(async () => expect(await auditOf(orderId)).toHaveLength(2));
    await eventually(async () => expect(await notificationsOf('twice')).toHaveLength(2));

    // Every stored event delivered again, twice, straight into both queues.
    const messages = (await store.read(orderId)).events.map((event) => asMessage(toOrderEventMessage(event)));
    for (const url of [queueUrl('PubSub/Notifications/Queue'), queueUrl('PubSub/Audit/Queue')])
      await sendToQueue(url, [...messages, ...messages]);
    await eventually(async () => {
      expect(await depth(queueUrl('PubSub/Notifications/Queue'))).toBe(0);
      expect(await depth(queueUrl('PubSub/Audit/Queue'))).toBe(0);
    });
    expect(await notificationsOf('twice')).toHaveLength(2);
    expect((await auditOf(orderId)).map((e) => e.version)).toEqual([1, 2]);
  });
});

describe('poison messages and redrive', () => {
  it('fails a poison message alone: 9 of a batch of 10 processed, 1 in the DLQ, and redrive moves it back', async () => {
    const audit = queueUrl('PubSub/Audit/Queue');
    const auditDlq = queueUrl('PubSub/Audit/Dlq');
    const orders = Array.from({ length: 9 }, (_, i) => `poison-batch-${i}`);
    const valid = orders.map((orderId, i) =>
      asMessage({
        eventId: `evt-poison-${i}`,
        orderId,
        version: 1,
        type: 'OrderPlaced',
        schemaVersion: 2,
        data: { orderId, customerId: 'p', items, totalCents: 1998, placedAt: NOW },
        metadata: meta,
        recordedAt: NOW,
      }),
    );
    const poison = {
      body: JSON.stringify({
        eventId: 'evt-poison-x',
        orderId: 'poison-x',
        version: 1,
        type: 'OrderTeleported',
        schemaVersion: 1,
        data: {},
        metadata: {},
        recordedAt: NOW,
      }),
      groupId: 'poison-x',
    };
    await sendToQueue(audit, [...valid.slice(0, 4), poison, ...valid.slice(4)]);

    await eventually(async () =>
      expect((await Promise.all(orders.map(auditOf))).map((entries) => entries.length)).toEqual(orders.map(() => 1)),
    );
    // maxReceiveCount 3, visibility 60 s at 60× speed: the DLQ within seconds.
    await eventually(async () => expect(await depth(auditDlq)).toBe(1), { timeoutMs: 30_000 });
    expect(await auditOf('poison-x')).toEqual([]);

    const progress: [number, number][] = [];
    const report = await redrive({ sqs, queueUrl: audit, onProgress: (moved, total) => progress.push([moved, total]) });
    expect(report).toMatchObject({ moved: 1, failed: 0 });
    expect(progress).toEqual([[1, 1]]);
    expect(await depth(auditDlq)).toBe(0);
    // Still poison: back through the consumer, and back in the DLQ; never lost, never applied.
    await eventually(async () => expect(await depth(auditDlq)).toBe(1), { timeoutMs: 30_000 });
    expect(await auditOf('poison-x')).toEqual([]);
  });

  it('a message that failed for want of an earlier event succeeds once redriven after it', async () => {
    const notifications = queueUrl('PubSub/Notifications/Queue');
    const dlq = queueUrl('PubSub/Notifications/Dlq');
    const orderId = 'redrive-late-placed';
    const placed = {
      eventId: 'evt-late-1',
      orderId,
      version: 1,
      type: 'OrderPlaced' as const,
      schemaVersion: 2,
      data: { orderId, customerId: 'late', items, totalCents: 1998, placedAt: NOW },
      metadata: meta,
      recordedAt: NOW,
    };
    const shipped = {
      eventId: 'evt-late-3',
      orderId,
      version: 3,
      type: 'OrderShipped' as const,
      schemaVersion: 1,
      data: { shippedAt: NOW },
      metadata: meta,
      recordedAt: NOW,
    };
    // Shipped arrives first: no customer is known yet, so it fails until the DLQ takes it.
    await sendToQueue(notifications, [asMessage(shipped)]);
    await eventually(async () => expect(await depth(dlq)).toBe(1), { timeoutMs: 30_000 });
    expect(await notificationsOf('late')).toEqual([]);

    await sendToQueue(notifications, [asMessage(placed)]);
    await eventually(async () => expect(await notificationsOf('late')).toHaveLength(1));
    expect(await redrive({ sqs, queueUrl: notifications })).toMatchObject({ moved: 1 });
    await eventually(async () => expect((await notificationsOf('late')).map((n) => n.type)).toEqual(['OrderShipped', 'OrderPlaced']));
    expect(await depth(dlq)).toBe(0);
  });
});

describe('ordering', () => {
  it('applies each order in version order while many orders are written concurrently', async () => {
    const orderIds = await Promise.all(Array.from({ length: 6 }, (_, i) => placeOrder(`ordering-${i}`)));
    // 15 more events per order, appended concurrently across orders, in bursts of 1–3 events per append.
    await Promise.all(
      orderIds.map(async (orderId) => {
        let version = 1;
        while (version < 16) {
          const burst = Math.min(1 + (version % 3), 16 - version);
          const events = Array.from({ length: burst }, (_, i) => ({
            type: 'PaymentDeclined',
            data: { reason: `try-${version + i}`, declinedAt: NOW },
          }));
          await store.append(orderId, version, events, meta);
          version += burst;
        }
      }),
    );
    for (const orderId of orderIds) {
      const entries = await eventually(async () => {
        const found = await auditOf(orderId);
        expect(found).toHaveLength(16);
        return found;
      });
      expect(entries.map((e) => e.version)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      // Applied in order: the time each entry was written never goes backwards as the version grows.
      const auditedAt = entries.map((e) => String(e.auditedAt));
      expect(auditedAt).toEqual([...auditedAt].sort());
    }
  });
});

describe('SNS outage', () => {
  it('loses nothing: events stored during the outage are all delivered, once, when SNS returns', async () => {
    cloud.setServiceDown('sns', true);
    let orderIds: string[];
    try {
      orderIds = await Promise.all(Array.from({ length: 12 }, () => placeOrder('outage')));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await notificationsOf('outage')).toEqual([]);
    } finally {
      cloud.setServiceDown('sns', false);
    }
    const delivered = await eventually(
      async () => {
        const found = await notificationsOf('outage');
        expect(found).toHaveLength(12);
        return found;
      },
      { timeoutMs: 30_000 },
    );
    expect(new Set(delivered.map((n) => n.orderId))).toEqual(new Set(orderIds));
    for (const orderId of orderIds) expect(await auditOf(orderId)).toHaveLength(1);
  });
});
