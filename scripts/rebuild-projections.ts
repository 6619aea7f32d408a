/**
 * `npm run rebuild-projections -- --events-table T --view-table V --maps-table M [--segments 4] [--shard K]`
 *
 * Rebuilds the OrdersView from the event store with a parallel Scan (one worker per segment), while
 * traffic flows: each order's row is recomputed from all its events and written only if the live
 * projector is not already ahead (see `rebuildStream`), stamped with its customer's shard under the current
 * shard map; the writes go shard by shard in parallel (`--shard K`: that shard's orders only). Table names come from the flags, from
 * EVENTS_TABLE / ORDERS_VIEW_TABLE / SHARD_MAPS_TABLE, or from the outputs of `--stack NAME` on AWS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { orderUpcasters } from '../lambdas/domain/orders/index.ts';
import { shardedViewProjection } from '../lambdas/use-cases/order-view.ts';
import { rebuildStream } from '../lambdas/patterns/cqrs/index.ts';
import { EventStore, type EventEnvelope } from '../lambdas/patterns/event-sourcing/index.ts';
import { SHARD_MAP, shardOf, ShardMapStore } from '../lambdas/patterns/sharding/index.ts';
import { resolveTables } from './stack-outputs.ts';
import { numberFlag, parseCommandLine } from '@eightfold/local-cloud/command-line';
import { progressCount } from './progress.ts';

export interface RebuildOptions {
  readonly client: DynamoDBDocumentClient;
  readonly eventsTable: string;
  readonly viewTable: string;
  /** Parallel Scan segments. @default 4 */
  readonly segments?: number;
  /** The shard count rows are stamped with (the shard map's current one). */
  readonly shards: number;
  /** Rebuild this shard's orders only. @default every shard */
  readonly onlyShard?: number;
  /** Told after each order rebuilt: orders and events so far. */
  readonly onProgress?: (streams: number, events: number) => void;
}

export interface RebuildReport {
  readonly streams: number;
  readonly events: number;
  /** Orders rebuilt per shard. */
  readonly perShard: number[];
  readonly durationMs: number;
}

/** A shard's lane holds at most this many streams (with their events) before the scan waits for it. */
const LANE_LIMIT = 64;

export type Stream = { streamId: string; events: EventEnvelope[] };

/**
 * The event store is keyed by order, so it is read with a parallel Scan split by DynamoDB's segments
 * (a stream's events lie in one segment, in order); each complete stream then goes to the lane of its
 * customer's shard, and the lanes rebuild shard by shard in parallel, each writing only its shard's rows.
 */
export async function rebuildProjections(options: RebuildOptions): Promise<RebuildReport> {
  const started = performance.now();
  const store = new EventStore({ client: options.client, tableName: options.eventsTable, upcasters: orderUpcasters });
  const projector = {
    client: options.client,
    viewTable: options.viewTable,
    store,
    projection: shardedViewProjection({ shards: options.shards }),
  };
  const lanes = Array.from({ length: options.shards }, () => ({ tail: Promise.resolve(), waiting: 0, streams: 0, events: 0 }));
  const done = { streams: 0, events: 0 };
  const route = async (stream: Stream): Promise<void> => {
    const customerId = (stream.events[0]?.data as { customerId?: string } | undefined)?.customerId;
    if (customerId === undefined) throw new Error(`Stream ${stream.streamId} does not start with the order's placement`);
    const shard = shardOf({ shards: options.shards }, customerId);
    if (options.onlyShard !== undefined && shard !== options.onlyShard) return;
    const lane = lanes[shard]!;
    while (lane.waiting >= LANE_LIMIT) await lane.tail;
    lane.waiting++;
    lane.tail = lane.tail.then(async () => {
      await rebuildStream(projector, stream.streamId, stream.events);
      lane.waiting--;
      lane.streams++;
      lane.events += stream.events.length;
      done.streams++;
      done.events += stream.events.length;
      options.onProgress?.(done.streams, done.events);
    });
    lane.tail.catch(() => undefined); // a failure surfaces where the lane is awaited, not as unhandled
  };
  const segments = options.segments ?? 4;
  await Promise.all(Array.from({ length: segments }, (_, segment) => scanSegment(options, store, segment, segments, route)));
  await Promise.all(lanes.map((lane) => lane.tail));
  return {
    streams: lanes.reduce((sum, lane) => sum + lane.streams, 0),
    events: lanes.reduce((sum, lane) => sum + lane.events, 0),
    perShard: lanes.map((lane) => lane.streams),
    durationMs: performance.now() - started,
  };
}

/** Scans one segment of the event store and hands each complete stream on, its events in order. */
export async function scanSegment(
  options: Pick<RebuildOptions, 'client' | 'eventsTable'>,
  store: EventStore,
  segment: number,
  totalSegments: number,
  route: (stream: Stream) => Promise<void>,
): Promise<void> {
  let current: Stream | undefined;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await options.client.send(
      new ScanCommand({
        TableName: options.eventsTable,
        Segment: segment,
        TotalSegments: totalSegments,
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    for (const item of page.Items ?? []) {
      const envelope = store.decodeItem(item);
      if (!envelope) continue;
      if (current && current.streamId !== envelope.streamId) await route(current);
      if (current?.streamId !== envelope.streamId) current = { streamId: envelope.streamId, events: [] };
      current.events.push(envelope);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  if (current) await route(current);
}

const USAGE = `
Usage: npm run rebuild-projections -- [--stack NAME | --events-table T --view-table V --maps-table M] [--segments N] [--shard K]

Rebuilds the OrdersView from the event store while traffic flows.

  --stack NAME        on AWS, the tables from this stack's outputs (else the flags, else
                      EVENTS_TABLE, ORDERS_VIEW_TABLE and SHARD_MAPS_TABLE)
  --segments N        parallel Scan segments (1 to 64; default 4)
  --shard K           rebuild only the orders of shard K of the current map
`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseCommandLine(USAGE, {
    'events-table': { type: 'string' },
    'view-table': { type: 'string' },
    'maps-table': { type: 'string' },
    segments: { type: 'string' },
    shard: { type: 'string' },
    stack: { type: 'string' },
  });
  const segments = numberFlag('segments', values.segments, { min: 1, max: 64 }) ?? 4;
  const { eventsTable, viewTable, mapsTable } = await resolveTables(values, values.stack, {
    eventsTable: { flag: 'events-table', env: 'EVENTS_TABLE', output: 'EventsTableName' },
    viewTable: { flag: 'view-table', env: 'ORDERS_VIEW_TABLE', output: 'OrdersViewTableName' },
    mapsTable: { flag: 'maps-table', env: 'SHARD_MAPS_TABLE', output: 'ShardMapsTableName' },
  });
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  // The projector creates the map with its first batch: without one there is no view to rebuild either.
  const map = await new ShardMapStore({ client, tableName: mapsTable }).read(SHARD_MAP);
  if (!map) {
    process.stderr.write(`No shard map ${SHARD_MAP} yet: nothing was ever projected\n`);
    process.exit(1);
  }
  const onlyShard = numberFlag('shard', values.shard, { min: 0, max: map.shards - 1 });
  const progress = progressCount();
  const report = await rebuildProjections({
    client,
    eventsTable,
    viewTable,
    segments,
    shards: map.shards,
    onlyShard,
    onProgress: (streams, events) => progress.show(`rebuilding: ${streams} orders, ${events} events`),
  });
  progress.end();
  process.stdout.write(`Rebuilt ${report.streams} orders from ${report.events} events in ${(report.durationMs / 1000).toFixed(1)} s\n`);
  process.stdout.write(`Per shard: ${report.perShard.map((count, shard) => `${shard}:${count}`).join(' ')}\n`);
  client.destroy();
}
