import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import { MessageTooLargeError } from './errors.ts';

/** SNS PublishBatch limits: 10 entries and 256 KiB of bodies plus attributes per request. */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 256 * 1024;

/** One message for a FIFO topic. */
export interface OutgoingMessage {
  /** Kept in order with every other message of the same group (an order id). */
  readonly groupId: string;
  /** SNS and SQS drop a second message with this id within five minutes (an event id). */
  readonly deduplicationId: string;
  readonly body: string;
  /** Message attributes, for subscription filter policies. */
  readonly attributes: Readonly<Record<string, string | number>>;
}

export interface PublishOutcome {
  /** Messages published, a prefix of the input. */
  readonly published: number;
  /** The first message not known to be published, when not all were. */
  readonly firstUnpublished?: number;
  readonly requests: number;
  readonly error?: unknown;
}

export function messageBytes(message: OutgoingMessage): number {
  let size = Buffer.byteLength(message.body);
  for (const [name, value] of Object.entries(message.attributes))
    size += Buffer.byteLength(name) + Buffer.byteLength(String(value)) + 'String'.length;
  return size;
}

/**
 * Splits messages, in order, into PublishBatch requests. A request holds at most one message per group:
 * SNS reports each entry separately, and if the second of two same-group entries succeeded after the first
 * failed, retrying the first would deliver them out of order.
 */
export function planBatches(messages: readonly OutgoingMessage[]): OutgoingMessage[][] {
  const batches: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  const groups = new Set<string>();
  for (const message of messages) {
    const size = messageBytes(message);
    if (size > MAX_BATCH_BYTES) throw new MessageTooLargeError(message.deduplicationId, size, MAX_BATCH_BYTES);
    if (current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES || groups.has(message.groupId)) {
      batches.push(current);
      current = [];
      bytes = 0;
      groups.clear();
    }
    current.push(message);
    bytes += size;
    groups.add(message.groupId);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Publishes messages to a FIFO topic in order, one PublishBatch at a time, and stops at the first message
 * that failed: the caller retries from there. Messages after it that did go out are dropped as duplicates
 * on the retry, and none of them shares its group (see `planBatches`), so per-group order holds.
 */
export async function publishInOrder(sns: SNSClient, topicArn: string, messages: readonly OutgoingMessage[]): Promise<PublishOutcome> {
  let published = 0;
  let requests = 0;
  for (const batch of planBatches(messages)) {
    const entries: PublishBatchRequestEntry[] = batch.map((message, index) => ({
      Id: String(index),
      Message: message.body,
      MessageGroupId: message.groupId,
      MessageDeduplicationId: message.deduplicationId,
      MessageAttributes: Object.fromEntries(
        Object.entries(message.attributes).map(([name, value]) => [
          name,
          { DataType: typeof value === 'number' ? 'Number' : 'String', StringValue: String(value) },
        ]),
      ),
    }));
    try {
      requests++;
      const { Failed = [] } = await sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries }));
      if (Failed.length > 0) {
        const firstFailed = Math.min(...Failed.map((entry) => Number(entry.Id)));
        const detail = `${Failed[0]!.Code}: ${Failed[0]!.Message}`;
        return {
          published: published + firstFailed,
          firstUnpublished: published + firstFailed,
          requests,
          error: new Error(`${Failed.length} of ${batch.length} entries failed (${detail})`),
        };
      }
    } catch (error) {
      return { published, firstUnpublished: published, requests, error };
    }
    published += batch.length;
  }
  return { published, requests };
}
