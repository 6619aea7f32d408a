import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyBatchInOrder,
  applyInOrder,
  isOutOfOrderError,
  type Effect,
  type OrderedConsumerOptions,
} from '../../lambdas/patterns/pub-sub/index.ts';
import { LOCAL_CREDENTIALS, startDynamoDbLocal, type DynamoDbLocal } from '@eightfold/local-cloud';
import { createTable } from '../helpers/tables.ts';

let dynamo: DynamoDbLocal;
let client: DynamoDBDocumentClient;
let contiguous: OrderedConsumerOptions;
/** Requests the client sent, by command name. */
const sent = new Map<string, number>();
let monotonic: OrderedConsumerOptions;

const event = (streamId: string, version: number) => ({ eventId: `${streamId}-e${version}`, streamId, version });
/** The effect under test: one row per event in `effects`, remembering how many were applied before. */
const effect =
  (streamId: string, version: number) =>
  (context: { applied: number } | undefined): Effect<{ applied: number }> => ({
    put: {
      tableName: 'effects',
      keyAttribute: 'eventId',
      item: { eventId: `${streamId}-e${version}`, streamId, version, after: context?.applied ?? 0 },
    },
    context: { applied: (context?.applied ?? 0) + 1 },
  });

async function effectsOf(streamId: string): Promise<number[]> {
  const { Items = [] } = await client.send(new ScanCommand({ TableName: 'effects', ConsistentRead: true }));
  return Items.filter((i) => i.streamId === streamId)
    .map((i) => i.version as number)
    .sort((a, b) => a - b);
}

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  client.middlewareStack.add(
    (next, context) => (args) => {
      sent.set(context.commandName!, (sent.get(context.commandName!) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  await createTable(raw, 'checkpoints', [
    { name: 'subscriber', type: 'S' },
    { name: 'streamId', type: 'S' },
  ]);
  await createTable(raw, 'effects', [{ name: 'eventId', type: 'S' }]);
  contiguous = { client, checkpointTable: 'checkpoints', subscriber: 'strict', ordering: 'contiguous' };
  monotonic = { client, checkpointTable: 'checkpoints', subscriber: 'filtered', ordering: 'monotonic' };
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

describe('applyInOrder on DynamoDB Local', () => {
  it('applies each event once; a redelivery or an older event is a duplicate and changes nothing', async () => {
    expect(await applyInOrder(contiguous, event('s1', 1), effect('s1', 1))).toBe('applied');
    expect(await applyInOrder(contiguous, event('s1', 2), effect('s1', 2))).toBe('applied');
    expect(await applyInOrder(contiguous, event('s1', 2), effect('s1', 2))).toBe('duplicate');
    expect(await applyInOrder(contiguous, event('s1', 1), effect('s1', 1))).toBe('duplicate');
    expect(await effectsOf('s1')).toEqual([1, 2]);
    const { Item } = await client.send(new GetCommand({ TableName: 'checkpoints', Key: { subscriber: 'strict', streamId: 's1' } }));
    expect(Item).toMatchObject({ version: 2, eventId: 's1-e2', context: { applied: 2 } });
  });

  it('refuses version N + 1 before N when contiguous, and writes nothing', async () => {
    await applyInOrder(contiguous, event('s2', 1), effect('s2', 1));
    const early = await applyInOrder(contiguous, event('s2', 3), effect('s2', 3)).catch((error: unknown) => error);
    expect(isOutOfOrderError(early)).toBe(true);
    expect(early).toMatchObject({ code: 'OUT_OF_ORDER', context: { streamId: 's2', expectedVersion: 2, receivedVersion: 3 } });
    expect(await effectsOf('s2')).toEqual([1]);
  });

  it('accepts gaps when monotonic (a filtered subscription), but never goes back', async () => {
    expect(await applyInOrder(monotonic, event('s3', 2), effect('s3', 2))).toBe('applied');
    expect(await applyInOrder(monotonic, event('s3', 5), effect('s3', 5))).toBe('applied');
    expect(await applyInOrder(monotonic, event('s3', 4), effect('s3', 4))).toBe('duplicate');
    expect(await effectsOf('s3')).toEqual([2, 5]);
  });

  it('applies an event delivered 10 times concurrently exactly once', async () => {
    await applyInOrder(contiguous, event('s4', 1), effect('s4', 1));
    const results = await Promise.all(Array.from({ length: 10 }, () => applyInOrder(contiguous, event('s4', 2), effect('s4', 2))));
    expect(results.filter((r) => r === 'applied')).toHaveLength(1);
    expect(results.filter((r) => r === 'duplicate')).toHaveLength(9);
    expect(await effectsOf('s4')).toEqual([1, 2]);
  });

  it('treats an effect that already exists as done and moves the checkpoint past it', async () => {
    // The effect of s5 v1 exists but the checkpoint does not (restored from an older backup).
    await client.send(new PutCommand({ TableName: 'effects', Item: { eventId: 's5-e1', streamId: 's5', version: 1, after: 0 } }));
    expect(await applyInOrder(contiguous, event('s5', 1), effect('s5', 1))).toBe('duplicate');
    expect(await applyInOrder(contiguous, event('s5', 2), effect('s5', 2))).toBe('applied');
    expect(await effectsOf('s5')).toEqual([1, 2]);
  });
});

describe('applyBatchInOrder on DynamoDB Local', () => {
  const batchOf = (...events: [string, number][]) =>
    events.map(([streamId, version]) => ({ event: event(streamId, version), decide: effect(streamId, version) }));
  const requests = async <T>(run: () => Promise<T>): Promise<[T, Record<string, number>]> => {
    sent.clear();
    const result = await run();
    return [result, Object.fromEntries(sent)];
  };
  const checkpointOf = async (streamId: string) =>
    (await client.send(new GetCommand({ TableName: 'checkpoints', Key: { subscriber: 'strict', streamId }, ConsistentRead: true }))).Item;

  it('applies a batch of new streams in one transaction, reading nothing, each stream in order with its context', async () => {
    const batch = batchOf(['b1', 1], ['b2', 1], ['b1', 2], ['b3', 1], ['b1', 3]);
    const [results, counts] = await requests(() => applyBatchInOrder(contiguous, batch));
    expect(results).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
    expect(counts).toEqual({ TransactWriteItemsCommand: 1 });
    expect(await effectsOf('b1')).toEqual([1, 2, 3]);
    const { Items = [] } = await client.send(new ScanCommand({ TableName: 'effects', ConsistentRead: true }));
    const b1 = Items.filter((i) => i.streamId === 'b1').sort((a, b) => Number(a.version) - Number(b.version));
    expect(b1.map((i) => i.after)).toEqual([0, 1, 2]);
    expect(await checkpointOf('b1')).toMatchObject({ version: 3, eventId: 'b1-e3', context: { applied: 3 } });
    expect(await checkpointOf('b3')).toMatchObject({ version: 1, context: { applied: 1 } });
  });

  it('reads the checkpoints of streams already begun in one request, and goes on from them', async () => {
    await applyInOrder(contiguous, event('b4', 1), effect('b4', 1));
    await applyInOrder(contiguous, event('b5', 1), effect('b5', 1));
    const [results, counts] = await requests(() => applyBatchInOrder(contiguous, batchOf(['b4', 2], ['b5', 2], ['b4', 3])));
    expect(results).toEqual(['applied', 'applied', 'applied']);
    expect(counts).toEqual({ BatchGetItemCommand: 1, TransactWriteItemsCommand: 1 });
    expect(await checkpointOf('b4')).toMatchObject({ version: 3, context: { applied: 3 } });
    expect(await effectsOf('b5')).toEqual([1, 2]);
  });

  it('leaves to one-by-one what it cannot settle alone: a redelivery, an early event, a stream out of order; the rest is applied', async () => {
    await applyInOrder(contiguous, event('b6', 1), effect('b6', 1));
    await applyInOrder(contiguous, event('b6', 2), effect('b6', 2));
    const batch = batchOf(['b6', 2], ['b7', 2], ['b8', 2], ['b8', 1], ['b9', 1]);
    const results = await applyBatchInOrder(contiguous, batch);
    expect(results).toEqual([undefined, undefined, undefined, undefined, 'applied']);
    expect([await effectsOf('b6'), await effectsOf('b7'), await effectsOf('b8'), await effectsOf('b9')]).toEqual([[1, 2], [], [], [1]]);
    // One by one, as the subscriber then does: a duplicate, an early event refused, the stream in order.
    expect(await applyInOrder(contiguous, batch[0]!.event, batch[0]!.decide)).toBe('duplicate');
    expect(isOutOfOrderError(await applyInOrder(contiguous, batch[1]!.event, batch[1]!.decide).catch((error: unknown) => error))).toBe(
      true,
    );
  });

  it('writes nothing of a transaction a redelivered first event cancels, so one by one finds each event as it was', async () => {
    await applyInOrder(contiguous, event('b10', 1), effect('b10', 1));
    // b10 v1 is written without a read (nothing comes before a first event): its condition cancels the transaction.
    const results = await applyBatchInOrder(contiguous, batchOf(['b11', 1], ['b10', 1], ['b12', 1]));
    expect(results).toEqual([undefined, undefined, undefined]);
    expect([await effectsOf('b11'), await effectsOf('b12')]).toEqual([[], []]);
    expect(await checkpointOf('b11')).toBeUndefined();
  });

  it('throws what is not a cancellation (a refused or missing table), so that its caller can say so and go one by one', async () => {
    const missing = { ...contiguous, checkpointTable: 'no-such-table' };
    await expect(applyBatchInOrder(missing, batchOf(['b13', 2]))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(applyBatchInOrder(missing, batchOf(['b13', 1]))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(await effectsOf('b13')).toEqual([]);
  });

  it('splits a batch over transactions of at most 100 items, and applies gaps when monotonic', async () => {
    const many = batchOf(...Array.from({ length: 60 }, (_, i): [string, number] => [`m${i}`, 1]));
    const [results, counts] = await requests(() => applyBatchInOrder(contiguous, many));
    expect(results.every((r) => r === 'applied')).toBe(true);
    expect(counts).toEqual({ TransactWriteItemsCommand: 2 });
    expect(await effectsOf('m59')).toEqual([1]);
    expect(await applyBatchInOrder(monotonic, batchOf(['g1', 2], ['g1', 5]))).toEqual(['applied', 'applied']);
    expect(await applyBatchInOrder(monotonic, batchOf(['g1', 4]))).toEqual([undefined]);
    expect(await effectsOf('g1')).toEqual([2, 5]);
  });
});
