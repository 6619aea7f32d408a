import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { EventSourceMappingConfig, PollerDependencies } from './types.ts';
import { EventSourcePoller, reportedFailures, sleep } from './types.ts';

/** The SQS record of a Lambda event (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html). */
export function toSqsRecord(message: Message, eventSourceArn: string, region: string): Record<string, unknown> {
  const messageAttributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      stringValue: value.StringValue,
      binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
      stringListValues: value.StringListValues ?? [],
      binaryListValues: value.BinaryListValues ?? [],
      dataType: value.DataType,
    };
  }
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body,
    attributes: message.Attributes ?? {},
    messageAttributes,
    md5OfBody: message.MD5OfBody,
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: eventSourceArn,
    awsRegion: region,
  };
}

/** What FilterCriteria see: the record with a JSON body parsed (a non-JSON body stays a string). */
function filterView(record: Record<string, unknown>): Record<string, unknown> {
  try {
    return { ...record, body: JSON.parse(String(record.body)) };
  } catch {
    return record;
  }
}

/**
 * Plays Lambda's SQS event source mapping: long-polls, batches up to BatchSize within the batching
 * window, deletes what the function processed (all of it, or all but the reported batchItemFailures) and
 * leaves the rest to reappear after the visibility timeout, so the queue's redrive policy moves poison
 * messages to the DLQ. Messages that fail the filter are deleted, as Lambda does.
 */
export interface PolledQueue {
  readonly url: string;
  readonly visibilityTimeoutSeconds: number;
  /** Failed messages reappear this many times sooner than the visibility timeout says. */
  readonly timeScale: number;
  /** The consumer's timeout: a scaled visibility never ends before an invocation could. */
  readonly functionTimeoutSeconds: number;
}

/** Lambda's SQS event source: five batches at a time while messages are available, two when traffic is low. */
const BUSY_BATCHES = 5;
const QUIET_BATCHES = 2;

export class SqsPoller extends EventSourcePoller {
  private readonly queueUrl: string;
  private readonly queue: PolledQueue;
  private readonly sqs: SQSClient;

  constructor(config: EventSourceMappingConfig, queue: PolledQueue, sqs: SQSClient, deps: PollerDependencies) {
    super(config, deps);
    this.queueUrl = queue.url;
    this.queue = queue;
    this.sqs = sqs;
  }

  private loops = 0;

  /** Loops taking batches now: two while the queue is quiet, up to `busyLoops` while it has messages. */
  get batchesInFlight(): number {
    return this.loops;
  }

  /** As Lambda: five batches at a time while messages are available, or MaximumConcurrency's when set. */
  private get busyLoops(): number {
    return Math.max(1, this.config.maximumConcurrency ?? BUSY_BATCHES);
  }

  protected run(): void {
    for (let i = 0; i < Math.min(QUIET_BATCHES, this.busyLoops); i++) this.track(this.loop(false));
  }

  /**
   * One batch after another. A loop that found messages starts another beside it, up to `busyLoops`; one
   * started so leaves when the queue runs dry, so a quiet queue is polled by two, as Lambda scales back.
   */
  private async loop(extra: boolean): Promise<void> {
    const signal = this.abort.signal;
    this.loops++;
    try {
      while (!signal.aborted) {
        try {
          const batch = await this.collectBatch(signal, extra);
          if (batch.length === 0 && extra) return;
          if (batch.length > 0 && this.loops < this.busyLoops) this.track(this.loop(true));
          if (batch.length > 0) await this.deliver(batch);
        } catch (error) {
          if (signal.aborted) return;
          this.deps.log(`SQS poller ${this.config.id}: ${String(error)}`);
          if (extra) return;
          await sleep(1000, signal);
        }
      }
    } finally {
      this.loops--;
    }
  }

  /** A batch; an extra loop does not wait for messages (`shortPoll`): an empty queue sends it away. */
  private async collectBatch(signal: AbortSignal, shortPoll = false): Promise<Message[]> {
    const batch: Message[] = [];
    const deadline = Date.now() + this.config.maximumBatchingWindowMs;
    do {
      const remaining = this.config.batchSize - batch.length;
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: Math.min(10, remaining),
          // Short enough that Ctrl-C is prompt; long enough not to spin.
          WaitTimeSeconds: batch.length === 0 && !shortPoll ? 1 : 0,
          // With a time scale, a batch never settled (the cloud stopped under it) also returns scaled.
          ...(this.queue.timeScale > 1 ? { VisibilityTimeout: this.inFlightVisibilitySeconds() } : {}),
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: signal },
      );
      batch.push(...Messages);
      if (Messages.length === 0 && batch.length > 0 && Date.now() < deadline) await sleep(Math.min(50, deadline - Date.now()), signal);
    } while (batch.length > 0 && batch.length < this.config.batchSize && Date.now() < deadline && !signal.aborted);
    return batch;
  }

  private async deliver(messages: Message[]): Promise<void> {
    const records = messages.map((m) => toSqsRecord(m, this.config.eventSourceArn, this.deps.region));
    const passing = records.filter((record) => this.config.filter(filterView(record)));
    const filteredOut = records.filter((record) => !passing.includes(record));
    this.stats.filteredOut += filteredOut.length;
    await this.deleteRecords(filteredOut);
    if (passing.length === 0) return;
    this.stats.batches++;
    this.stats.records += passing.length;
    const outcome = await this.deps.invoke(this.config.functionArn, { Records: passing });
    const failures = this.config.reportBatchItemFailures
      ? reportedFailures(
          outcome,
          passing.map((r) => String(r.messageId)),
        )
      : outcome.ok
        ? new Set<string>()
        : 'all';
    if (failures === 'all') {
      this.stats.failedBatches++;
      await this.shortenVisibility(passing); // every message reappears after its visibility timeout
      return;
    }
    if (failures.size > 0) this.stats.failedBatches++;
    await this.deleteRecords(passing.filter((record) => !failures.has(String(record.messageId))));
    await this.shortenVisibility(passing.filter((record) => failures.has(String(record.messageId))));
  }

  private scaledVisibilitySeconds(): number {
    return Math.round(this.queue.visibilityTimeoutSeconds / this.queue.timeScale);
  }

  /** Visibility while a batch is collected and invoked: scaled, but never ending before the invocation could. */
  private inFlightVisibilitySeconds(): number {
    return Math.max(
      this.scaledVisibilitySeconds(),
      Math.ceil(this.config.maximumBatchingWindowMs / 1000) + this.queue.functionTimeoutSeconds + 1,
    );
  }

  /** With a time scale, failed messages come back after the scaled visibility timeout instead. */
  private async shortenVisibility(records: Record<string, unknown>[]): Promise<void> {
    if (this.queue.timeScale <= 1 || records.length === 0) return;
    const seconds = this.scaledVisibilitySeconds();
    for (let i = 0; i < records.length; i += 10) {
      const chunk = records.slice(i, i + 10);
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: String(record.receiptHandle),
            VisibilityTimeout: seconds,
          })),
        }),
      );
    }
  }

  private async deleteRecords(records: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < records.length; i += 10) {
      const chunk = records.slice(i, i + 10);
      const { Failed = [] } = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((record, index) => ({ Id: String(index), ReceiptHandle: String(record.receiptHandle) })),
        }),
      );
      if (Failed.length > 0) this.deps.log(`SQS poller ${this.config.id}: ${Failed.length} deletes failed (${Failed[0]?.Message})`);
    }
  }
}
