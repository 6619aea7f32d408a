/**
 * `npm run rebuild-projections -- --events-table T --view-table V --maps-table M [--segments 4]`
 *
 * Rebuilds the OrdersView from the event store with a parallel Scan (one worker per segment), while
 * traffic flows: each order's row is recomputed from all its events and written only if the live
 * projector is not already ahead (see `rebuildStream`), stamped with its customer's shard under the current
 * shard map. The event store is keyed by order, not by customer, so its scan is split by DynamoDB's own
 * segments; the view's scans go shard by shard (its by-shard index). Table names come from the flags, from
 * EVENTS_TABLE / ORDERS_VIEW_TABLE / SHARD_MAPS_TABLE, or from the outputs of `--stack NAME` on AWS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { orderUpcasters, shardedViewProjection } from '../lambdas/domain/orders/index.ts';
import { rebuildStream } from '../lambdas/patterns/cqrs/index.ts';
import { EventStore, type EventEnvelope } from '../lambdas/patterns/event-sourcing/index.ts';
import { SHARD_MAP, ShardMapStore } from '../lambdas/patterns/sharding/index.ts';
import { stackOutputs } from './stack-outputs.ts';

export interface RebuildOptions {
  readonly client: DynamoDBDocumentClient;
  readonly eventsTable: string;
  readonly viewTable: string;
  /** Parallel Scan segments. @default 4 */
  readonly segments?: number;
  /** The shard count rows are stamped with (the shard map's current one). */
  readonly shards: number;
}

export interface RebuildReport {
  readonly streams: number;
  readonly events: number;
  readonly durationMs: number;
}

/** Scans one segment; a partition lies wholly in one segment and arrives in sort-key order. */
async function rebuildSegment(options: RebuildOptions, store: EventStore, segment: number, totalSegments: number): Promise<{ streams: number; events: number }> {
  const projector = { client: options.client, viewTable: options.viewTable, store, projection: shardedViewProjection({ shards: options.shards }) };
  let streams = 0;
  let events = 0;
  let current: { streamId: string; events: EventEnvelope[] } | undefined;
  const flush = async (): Promise<void> => {
    if (!current) return;
    await rebuildStream(projector, current.streamId, current.events);
    streams++;
    events += current.events.length;
    current = undefined;
  };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await options.client.send(
      new ScanCommand({ TableName: options.eventsTable, Segment: segment, TotalSegments: totalSegments, ExclusiveStartKey: startKey, ConsistentRead: true }),
    );
    for (const item of page.Items ?? []) {
      const envelope = store.decodeItem(item);
      if (!envelope) continue;
      if (current && current.streamId !== envelope.streamId) await flush();
      current ??= { streamId: envelope.streamId, events: [] };
      current.events.push(envelope);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  await flush();
  return { streams, events };
}

export async function rebuildProjections(options: RebuildOptions): Promise<RebuildReport> {
  const started = performance.now();
  const store = new EventStore({ client: options.client, tableName: options.eventsTable, upcasters: orderUpcasters });
  const segments = options.segments ?? 4;
  const results = await Promise.all(Array.from({ length: segments }, (_, segment) => rebuildSegment(options, store, segment, segments)));
  return {
    streams: results.reduce((sum, r) => sum + r.streams, 0),
    events: results.reduce((sum, r) => sum + r.events, 0),
    durationMs: performance.now() - started,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { 'events-table': { type: 'string' }, 'view-table': { type: 'string' }, 'maps-table': { type: 'string' }, segments: { type: 'string', default: '4' }, stack: { type: 'string' } },
  });
  const fromStack = values.stack ? await stackOutputs(values.stack) : {};
  const eventsTable = values['events-table'] ?? process.env.EVENTS_TABLE ?? fromStack.EventsTableName;
  const viewTable = values['view-table'] ?? process.env.ORDERS_VIEW_TABLE ?? fromStack.OrdersViewTableName;
  const mapsTable = values['maps-table'] ?? process.env.SHARD_MAPS_TABLE ?? fromStack.ShardMapsTableName;
  if (!eventsTable || !viewTable || !mapsTable) {
    process.stderr.write('Name the tables: --events-table, --view-table and --maps-table (or EVENTS_TABLE / ORDERS_VIEW_TABLE / SHARD_MAPS_TABLE, or --stack NAME on AWS)\n');
    process.exit(2);
  }
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  // The projector creates the map with its first batch: without one there is no view to rebuild either.
  const map = await new ShardMapStore({ client, tableName: mapsTable }).read(SHARD_MAP);
  if (!map) {
    process.stderr.write(`No shard map ${SHARD_MAP} yet: nothing was ever projected\n`);
    process.exit(1);
  }
  const report = await rebuildProjections({ client, eventsTable, viewTable, segments: Number(values.segments), shards: map.shards });
  process.stdout.write(`Rebuilt ${report.streams} orders from ${report.events} events in ${(report.durationMs / 1000).toFixed(1)} s\n`);
  client.destroy();
}
