import {
  DescribeStreamCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type DynamoDBStreamsClient,
  type _Record as StreamRecord,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import { randomUUID } from 'node:crypto';
import { dynamoDbLocalArn } from '../services/dynamodb-local.ts';
import type { CheckpointStore } from './checkpoints.ts';
import type { EventSourceMappingConfig, PollerDependencies } from './types.ts';
import { EventSourcePoller, reportedFailures, sleep } from './types.ts';

/** AWS polls a stream shard about four times a second. */
const POLL_INTERVAL_MS = 250;
const DISCOVERY_INTERVAL_MS = 1000;

interface ShardState {
  readonly shardId: string;
  readonly parentShardId?: string;
  finished: boolean;
  running: boolean;
}

/** Binary attributes arrive as bytes from the SDK and travel as base64 in Lambda events. */
function toEventAttributes(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toEventAttributes);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toEventAttributes(v)]),
    );
  }
  return value;
}

/** The DynamoDB record of a Lambda event (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html). */
export function toStreamEventRecord(record: StreamRecord, eventSourceArn: string, region: string): Record<string, unknown> {
  const d = record.dynamodb ?? {};
  const created = d.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: toEventAttributes({
      ApproximateCreationDateTime: created instanceof Date ? Math.floor(created.getTime() / 1000) : created,
      Keys: d.Keys,
      NewImage: d.NewImage,
      OldImage: d.OldImage,
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType,
    }),
    eventSourceARN: eventSourceArn,
  };
}

type EventRecord = Record<string, unknown> & { dynamodb: { SequenceNumber: string; ApproximateCreationDateTime?: number } };

/**
 * Plays Lambda's DynamoDB Streams event source mapping. Each shard is read by one loop, in order, and a
 * child shard only after its parent is finished, so records of one key reach the function in order. A
 * batch is retried (bisected on function errors, or resumed from the first reported failure) until it
 * succeeds or exhausts MaximumRetryAttempts / MaximumRecordAgeInSeconds, when it goes to the OnFailure
 * destination. The checkpoint moves only past records that were delivered, filtered out or sent there,
 * so the poller itself never drops or repeats a record.
 */
export class DynamoDbStreamPoller extends EventSourcePoller {
  private readonly shards = new Map<string, ShardState>();
  private initialShards: Set<string> | undefined;
  private readonly streams: DynamoDBStreamsClient;
  private readonly checkpoints: CheckpointStore;

  constructor(config: EventSourceMappingConfig, streams: DynamoDBStreamsClient, checkpoints: CheckpointStore, deps: PollerDependencies) {
    super(config, deps);
    this.streams = streams;
    this.checkpoints = checkpoints;
  }

  protected run(): void {
    this.track(this.discover());
  }

  private async discover(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const shards = await this.listShards(signal);
        this.initialShards ??= new Set(shards.map((s) => s.ShardId!));
        for (const shard of shards) {
          if (!this.shards.has(shard.ShardId!)) {
            this.shards.set(shard.ShardId!, {
              shardId: shard.ShardId!,
              parentShardId: shard.ParentShardId,
              finished: false,
              running: false,
            });
          }
        }
        for (const state of this.shards.values()) {
          const parent = state.parentShardId ? this.shards.get(state.parentShardId) : undefined;
          if (state.running || state.finished || (parent && !parent.finished)) continue;
          state.running = true;
          this.track(this.readShard(state).finally(() => (state.running = false)));
        }
      } catch (error) {
        if (!signal.aborted) this.deps.log(`stream poller ${this.config.id}: ${String(error)}`);
      }
      await sleep(DISCOVERY_INTERVAL_MS, signal);
    }
  }

  private async listShards(signal: AbortSignal): Promise<Shard[]> {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.streams.send(
        new DescribeStreamCommand({
          StreamArn: dynamoDbLocalArn(this.config.eventSourceArn),
          ExclusiveStartShardId: exclusiveStartShardId,
        }),
        { abortSignal: signal },
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    return shards;
  }

  private async iterator(shard: ShardState): Promise<string | undefined> {
    const checkpoint = this.checkpoints.get(this.config.id, shard.shardId);
    let type: ShardIteratorType = 'TRIM_HORIZON';
    if (checkpoint) type = 'AFTER_SEQUENCE_NUMBER';
    else if (this.config.startingPosition === 'LATEST' && this.initialShards?.has(shard.shardId)) type = 'LATEST';
    const { ShardIterator } = await this.streams.send(
      new GetShardIteratorCommand({
        StreamArn: dynamoDbLocalArn(this.config.eventSourceArn),
        ShardId: shard.shardId,
        ShardIteratorType: type,
        SequenceNumber: checkpoint,
      }),
    );
    return ShardIterator;
  }

  private async readShard(shard: ShardState): Promise<void> {
    const signal = this.abort.signal;
    let iterator: string | undefined;
    try {
      iterator = await this.iterator(shard);
    } catch (error) {
      this.deps.log(`stream poller ${this.config.id}: cannot read shard ${shard.shardId}: ${String(error)}`);
      return;
    }
    let batch: EventRecord[] = [];
    let windowEnds = 0;
    // Set when an iterator expired while records were waiting: deliver them, then re-read from the checkpoint.
    let reopen = false;
    while (!signal.aborted) {
      if (iterator) {
        try {
          const { Records = [], NextShardIterator } = await this.streams.send(
            new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(1000, this.config.batchSize - batch.length) }),
            { abortSignal: signal },
          );
          iterator = NextShardIterator;
          if (batch.length === 0 && Records.length > 0) windowEnds = Date.now() + this.config.maximumBatchingWindowMs;
          batch.push(...Records.map((r) => toStreamEventRecord(r, this.config.eventSourceArn, this.deps.region) as EventRecord));
        } catch (error) {
          if (signal.aborted) return;
          if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
            // Re-read from the checkpoint; records already in `batch` are delivered first.
            iterator = undefined;
            reopen = true;
            if (batch.length > 0) continue;
          } else {
            this.deps.log(`stream poller ${this.config.id}: ${String(error)}`);
            await sleep(1000, signal);
            continue;
          }
        }
      }
      if (reopen && batch.length === 0) {
        iterator = await this.iterator(shard).catch(() => undefined);
        reopen = false;
        continue;
      }
      const closed = iterator === undefined && !reopen;
      const full = batch.length >= this.config.batchSize;
      if (batch.length > 0 && (full || closed || reopen || Date.now() >= windowEnds)) {
        await this.deliver(shard, batch);
        batch = [];
        continue;
      }
      if (closed) {
        shard.finished = true;
        return;
      }
      if (!full) await sleep(POLL_INTERVAL_MS, signal);
    }
  }

  private checkpoint(shard: ShardState, records: EventRecord[]): void {
    const last = records.at(-1);
    if (last) this.checkpoints.set(this.config.id, shard.shardId, last.dynamodb.SequenceNumber);
  }

  private async deliver(shard: ShardState, records: EventRecord[]): Promise<void> {
    const passing = records.filter((record) => this.config.filter(record));
    this.stats.filteredOut += records.length - passing.length;
    const queue: { records: EventRecord[]; attempts: number }[] = passing.length ? [{ records: passing, attempts: 0 }] : [];
    while (queue.length > 0) {
      if (this.abort.signal.aborted) return; // undelivered records are read again after a restart
      const item = queue[0]!;
      this.stats.batches++;
      this.stats.records += item.records.length;
      const outcome = await this.deps.invoke(this.config.functionArn, { Records: item.records });
      const sequenceNumbers = item.records.map((r) => r.dynamodb.SequenceNumber);
      const failures = this.config.reportBatchItemFailures
        ? reportedFailures(outcome, sequenceNumbers)
        : outcome.ok
          ? new Set<string>()
          : 'all';
      if (failures !== 'all' && failures.size === 0) {
        queue.shift();
        this.checkpoint(shard, item.records);
        continue;
      }
      this.stats.failedBatches++;
      if (failures !== 'all') {
        // Resume from the first reported failure; everything before it is done.
        const first = item.records.findIndex((r) => failures.has(r.dynamodb.SequenceNumber));
        this.checkpoint(shard, item.records.slice(0, first));
        item.records = item.records.slice(first);
      }
      item.attempts++;
      const oldest = item.records[0]!.dynamodb.ApproximateCreationDateTime ?? Date.now() / 1000;
      const expired = this.config.maximumRecordAgeSeconds >= 0 && Date.now() / 1000 - oldest > this.config.maximumRecordAgeSeconds;
      const exhausted = this.config.maximumRetryAttempts >= 0 && item.attempts > this.config.maximumRetryAttempts;
      if (expired || exhausted) {
        queue.shift();
        await this.sendToFailureDestination(
          shard,
          item.records,
          item.attempts,
          expired ? 'RecordAgeExceeded' : 'RetryAttemptsExhausted',
          outcome,
        );
        this.checkpoint(shard, item.records);
        continue;
      }
      if (failures === 'all' && this.config.bisectBatchOnFunctionError && item.records.length > 1) {
        const half = Math.ceil(item.records.length / 2);
        queue.splice(0, 1, { records: item.records.slice(0, half), attempts: 0 }, { records: item.records.slice(half), attempts: 0 });
        continue;
      }
      await sleep(Math.min(100 * 2 ** item.attempts, 5000), this.abort.signal);
    }
    // Past the whole batch, filtered-out records included.
    if (!this.abort.signal.aborted) this.checkpoint(shard, records);
  }

  private async sendToFailureDestination(
    shard: ShardState,
    records: EventRecord[],
    invokeCount: number,
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded',
    outcome: Awaited<ReturnType<PollerDependencies['invoke']>>,
  ): Promise<void> {
    const first = records[0]!.dynamodb;
    const last = records.at(-1)!.dynamodb;
    const arrival = (seconds?: number) => new Date((seconds ?? 0) * 1000).toISOString();
    const destination = this.config.onFailureDestinationArn;
    this.deps.log(
      `stream poller ${this.config.id}: ${records.length} records ${condition}` +
        (destination ? `, sent to ${destination}` : ', discarded (no OnFailure destination)'),
    );
    if (!destination) return;
    await this.deps.sendToDestination(destination, {
      requestContext: { requestId: randomUUID(), functionArn: this.config.functionArn, condition, approximateInvokeCount: invokeCount },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: outcome.ok ? 'Unhandled' : outcome.kind },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: shard.shardId,
        startSequenceNumber: first.SequenceNumber,
        endSequenceNumber: last.SequenceNumber,
        approximateArrivalOfFirstRecord: arrival(first.ApproximateCreationDateTime),
        approximateArrivalOfLastRecord: arrival(last.ApproximateCreationDateTime),
        batchSize: records.length,
        streamArn: this.config.eventSourceArn,
      },
    });
    this.stats.sentToDestination++;
  }
}
