/**
 * How fast this machine is during this run, so runs on different days (or machines) can be compared: a
 * fixed CPU loop, and DynamoDB Local's bare PutItem rate (the ceiling of everything that writes).
 * Measured first in every run, a section-only one included, and saved in the results file.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { LOCAL_CREDENTIALS, startDynamoDbLocal } from '@eightfold/local-cloud';
import { createTable } from '../test/helpers/tables.ts';
import { percentile } from './common.ts';

export interface Calibration {
  /** Milliseconds for a fixed loop: 2,000 SHA-256 digests of 64 KB (the median of 5). */
  readonly cpuLoopMs: number;
  /** Sequential PutItems per second on a fresh DynamoDB Local (1,000 items, after 100 of warm-up). */
  readonly putItemsPerSecond: number;
}

function cpuLoopMs(): number {
  const block = Buffer.alloc(64 * 1024, 7);
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const started = performance.now();
    for (let i = 0; i < 2_000; i++) createHash('sha256').update(block).digest();
    times.push(performance.now() - started);
  }
  return percentile(times, 50);
}

async function putItemsPerSecond(): Promise<number> {
  const dynamo = await startDynamoDbLocal();
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  try {
    await createTable(client, 'calibration', [{ name: 'id', type: 'S' }]);
    const put = (i: number) =>
      client.send(new PutItemCommand({ TableName: 'calibration', Item: { id: { S: `item-${i}` }, n: { N: String(i) } } }));
    for (let i = 0; i < 100; i++) await put(i);
    const started = performance.now();
    for (let i = 100; i < 1_100; i++) await put(i);
    return 1_000 / ((performance.now() - started) / 1000);
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}

export async function calibrate(): Promise<Calibration> {
  return { cpuLoopMs: cpuLoopMs(), putItemsPerSecond: await putItemsPerSecond() };
}

/** The calibration in one line, for each table's header. */
export const calibrationLine = (c: Calibration) =>
  `Calibration in this run: a fixed CPU loop took ${c.cpuLoopMs.toFixed(0)} ms; DynamoDB Local took ${c.putItemsPerSecond.toFixed(0)} bare PutItems/s.`;
