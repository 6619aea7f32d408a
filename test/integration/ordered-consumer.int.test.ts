import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyInOrder, isOutOfOrderError, type Effect, type OrderedConsumerOptions } from '../../lambdas/patterns/pub-sub/index.ts';
import { LOCAL_CREDENTIALS, startDynamoDbLocal, type DynamoDbLocal } from '@eightfold/local-cloud';
import { createTable } from '../helpers/tables.ts';

let dynamo: DynamoDbLocal;
let client: DynamoDBDocumentClient;
let contiguous: OrderedConsumerOptions;
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
