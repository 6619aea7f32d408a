import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { orderEventMessageSchema, type OrderEventMessage } from '../domain/orders/index.ts';
import {
  applyBatchInOrder,
  applyInOrder,
  type BatchEvent,
  type ConsumeResult,
  type OrderedConsumerOptions,
  type Ordering,
} from '../patterns/pub-sub/index.ts';
import * as z from 'zod';
import { documentClient } from '../platform/clients.ts';
import { logger } from '../platform/logger.ts';
import { observed, traced } from '../platform/observability.ts';
import { ENV } from '../platform/environment.ts';
import { text, type SettingsOf } from './settings.ts';

/** What every subscriber is told by the pub-sub construct: its name, and its retry backoff if it waits out outages. */
export const SUBSCRIBER_SETTINGS = {
  subscriber: [ENV.pubSub.subscriber, text],
  backoffQueueUrl: [ENV.pubSub.queueUrl, z.string().optional()],
  retryBackoffSeconds: [ENV.pubSub.retryBackoffSeconds, z.string().optional()],
  deadLetterQueueUrl: [ENV.pubSub.deadLetterQueueUrl, z.string().optional()],
} as const;
/** And one that applies events in order: the checkpoints table. */
export const ORDERED_SUBSCRIBER_SETTINGS = { ...SUBSCRIBER_SETTINGS, checkpointsTable: [ENV.pubSub.checkpoints, text] } as const;

/** Where this subscriber keeps its per-order progress: one shared table, one partition per subscriber. */
export function consumerOptions(settings: SettingsOf<typeof ORDERED_SUBSCRIBER_SETTINGS>, ordering: Ordering): OrderedConsumerOptions {
  return { client: documentClient, checkpointTable: settings.checkpointsTable, subscriber: settings.subscriber, ordering };
}

/**
 * How long a failed message stays invisible before its next delivery: doubling from the first delay with
 * each receive, up to the longest. Set by the construct (`retryBackoff`), for subscribers whose failures
 * mean "the other side is down" rather than "this message is poison".
 */
export function retryDelaySeconds(receiveCount: number, firstSeconds: number, maxSeconds: number): number {
  return Math.min(maxSeconds, firstSeconds * 2 ** Math.max(0, Math.min(30, receiveCount - 1)));
}

// The queue URL names its own host; the client's endpoint (AWS_ENDPOINT_URL locally) is the one to use.
const sqs = traced(new SQSClient({ useQueueUrlAsEndpoint: false }));

/** Backs off the failed messages of a batch (the queue's own visibility timeout applies otherwise). */
async function backOff(
  event: SQSEvent,
  response: SQSBatchResponse,
  queueUrl: string,
  firstSeconds: number,
  maxSeconds: number,
): Promise<void> {
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const records = event.Records.filter((record) => failed.has(record.messageId));
  for (let i = 0; i < records.length; i += 10) {
    const entries = records.slice(i, i + 10).map((record, index) => ({
      Id: String(index),
      ReceiptHandle: record.receiptHandle,
      VisibilityTimeout: retryDelaySeconds(Number(record.attributes.ApproximateReceiveCount ?? 1), firstSeconds, maxSeconds),
    }));
    // Best effort: if this fails, the messages come back after the visibility timeout instead.
    await sqs
      .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }))
      .catch((error: unknown) => logger.warn('could not back off failed messages', { error: error as Error }));
  }
}

/** Moves a message to the DLQ as it came (its group, its body), so the queue can go on past it. */
async function park(record: SQSRecord, deadLetterQueueUrl: string): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MessageBody: record.body,
      MessageGroupId: record.attributes.MessageGroupId,
      MessageDeduplicationId: record.messageId,
    }),
  );
}

/**
 * How a subscriber consumes a batch's messages together before any is consumed alone: per message, what came
 * of it (a failure is reported as if `consume` had thrown it), or undefined to leave it to `consume`.
 */
export type ConsumeBatch = (messages: readonly OrderEventMessage[]) => Promise<(PromiseSettledResult<ConsumeResult> | undefined)[]>;

/**
 * A batch's orders consumed side by side, each order's messages one after another in the batch's order (all
 * that a FIFO group asks), stopping at an order's first failure: the rest of that order is left, and the
 * FIFO processor reports them behind it. For a subscriber whose every message waits on another service.
 */
export function consumeOrdersSideBySide(consume: (message: OrderEventMessage) => Promise<ConsumeResult>): ConsumeBatch {
  return async (messages) => {
    const results: (PromiseSettledResult<ConsumeResult> | undefined)[] = messages.map(() => undefined);
    const orders = Map.groupBy(messages.keys(), (i) => messages[i]!.orderId);
    await Promise.all(
      [...orders.values()].map(async (indexes) => {
        for (const i of indexes) {
          try {
            results[i] = { status: 'fulfilled', value: await consume(messages[i]!) };
          } catch (reason) {
            results[i] = { status: 'rejected', reason };
            return;
          }
        }
      }),
    );
    return results;
  };
}

export interface SubscriberOptions {
  /** A failure no retry can mend: the message is parked in the DLQ at once (the construct's `parksPoison`). @default none */
  readonly isPoison?: (error: unknown) => boolean;
  /** Consumes the batch's messages together first; what it leaves goes to `consume` one by one. @default none */
  readonly consumeBatch?: ConsumeBatch;
}

/**
 * A batch's messages consumed together, as far as `state` can say what each means (it throws for one it
 * cannot: that one is left to be consumed alone, and with `wholeOrders` the rest of its order's messages too,
 * so none overtakes it); the results map back to every message, undefined for those left.
 */
export async function consumeStated<T>(
  messages: readonly OrderEventMessage[],
  state: (message: OrderEventMessage) => T | Promise<T>,
  consume: (stated: T[]) => Promise<(ConsumeResult | undefined)[]>,
  { wholeOrders = false } = {},
): Promise<(PromiseSettledResult<ConsumeResult> | undefined)[]> {
  const stated = await Promise.all(
    messages.map(async (message) => {
      try {
        return { value: await state(message) };
      } catch {
        return undefined;
      }
    }),
  );
  const unstated = new Set(messages.filter((_, i) => !stated[i]).map((message) => message.orderId));
  const chosen = messages.flatMap((message, i) => (stated[i] && !(wholeOrders && unstated.has(message.orderId)) ? [i] : []));
  const results = await consume(chosen.map((i) => stated[i]!.value));
  const byMessage: (PromiseSettledResult<ConsumeResult> | undefined)[] = messages.map(() => undefined);
  chosen.forEach((i, k) => {
    const value = results[k];
    if (value) byMessage[i] = { status: 'fulfilled', value };
  });
  return byMessage;
}

/**
 * A subscriber whose effects go through the ordered consumer, said once (what an event writes): `consume`
 * applies a message alone, `consumeBatch` a batch's messages in a transaction or a few. A message whose
 * event cannot be stated (it throws) is left, with the rest of its order's messages, to `consume`, which
 * reports it.
 */
export function orderedSubscriber<Context>(
  consumer: OrderedConsumerOptions,
  eventOf: (message: OrderEventMessage) => BatchEvent<Context>,
): { consume: (message: OrderEventMessage) => Promise<ConsumeResult>; consumeBatch: ConsumeBatch } {
  return {
    consume: (message) => {
      const { event, decide } = eventOf(message);
      return applyInOrder(consumer, event, decide);
    },
    consumeBatch: (messages) => consumeStated(messages, eventOf, (events) => applyBatchInOrder(consumer, events), { wholeOrders: true }),
  };
}

/**
 * The Lambda handler of a subscriber queue (SQS FIFO), with Powertools' FIFO batch processor: a message
 * that fails (unparseable, an unknown event type, or an effect that threw) is reported alone with the
 * messages after it in its order's group, so the rest of the batch is done and order within a group holds.
 * With a retry backoff configured, the failed messages come back after a growing delay instead of the
 * queue's fixed visibility timeout. A failure `isPoison` names goes to the DLQ at once, whose alarm says so.
 */
export function subscriberHandler(
  settings: SettingsOf<typeof SUBSCRIBER_SETTINGS>,
  consume: (message: OrderEventMessage) => Promise<ConsumeResult>,
  options: SubscriberOptions = {},
) {
  const name = settings.subscriber;
  const processor = new SqsFifoPartialProcessorAsync();
  /** Messages of this batch consumed together already (by message id), with their results; a sandbox runs one batch at a time. */
  let consumedTogether = new Map<string, PromiseSettledResult<ConsumeResult>>();
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const together = consumedTogether.get(record.messageId);
    if (together?.status === 'fulfilled')
      return logger.debug(together.value, { subscriber: name, messageId: record.messageId, together: true });
    try {
      const message = orderEventMessageSchema.parse(JSON.parse(record.body));
      // The id the command stamped on the event: this effect's log lines join the request's.
      logger.setCorrelationId(message.metadata.correlationId);
      if (together) throw together.reason;
      const result = await consume(message);
      logger.debug(result, { subscriber: name, orderId: message.orderId, version: message.version, eventId: message.eventId });
    } catch (error) {
      if (settings.deadLetterQueueUrl && options.isPoison?.(error)) {
        await park(record, settings.deadLetterQueueUrl);
        return logger.error('message parked in the DLQ: no retry can apply it', {
          subscriber: name,
          messageId: record.messageId,
          error: error as Error,
        });
      }
      logger.error('message failed', { subscriber: name, messageId: record.messageId, error: error as Error });
      throw error;
    }
  };
  const backoffQueueUrl = settings.backoffQueueUrl;
  const [firstSeconds, maxSeconds] = (settings.retryBackoffSeconds ?? '').split(':').map(Number);
  /** The batch's parseable messages through `options.consumeBatch`; a failure leaves them all to one by one. */
  const consumeTogether = async (records: SQSRecord[]): Promise<Map<string, PromiseSettledResult<ConsumeResult>>> => {
    const consumed = new Map<string, PromiseSettledResult<ConsumeResult>>();
    if (!options.consumeBatch) return consumed;
    // A message that does not parse is reported by the one-by-one path, and the rest of its group waits behind it there.
    const unparsed = new Set<string | undefined>();
    const parsed = records
      .flatMap((record) => {
        try {
          return [{ record, message: orderEventMessageSchema.parse(JSON.parse(record.body)) }];
        } catch {
          unparsed.add(record.attributes.MessageGroupId);
          return [];
        }
      })
      .filter(({ record }) => !unparsed.has(record.attributes.MessageGroupId));
    try {
      const results = await options.consumeBatch(parsed.map(({ message }) => message));
      parsed.forEach(({ record }, i) => results[i] && consumed.set(record.messageId, results[i]));
    } catch (error) {
      logger.warn('the batch could not be consumed together: one by one instead', { subscriber: name, error: error as Error });
    }
    return consumed;
  };
  const consumeBatch = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    consumedTogether = await consumeTogether(event.Records);
    const response = await processPartialResponse(event, handleRecord, processor, {
      context,
      skipGroupOnError: true,
      throwOnFullBatchFailure: false,
    });
    if (backoffQueueUrl && response.batchItemFailures.length > 0)
      await backOff(event, response, backoffQueueUrl, firstSeconds!, maxSeconds!);
    return response;
  };
  return observed(consumeBatch);
}
