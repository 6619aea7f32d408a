import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { EventStore } from '../event-sourcing/index.ts';
import type { EventEnvelope } from '../event-sourcing/index.ts';
import { StreamGapError } from './errors.ts';

/** A view row: whatever the projection keeps, plus the stream version it reflects. */
export interface ViewRow {
  readonly version: number;
  readonly [attribute: string]: unknown;
}

/** How one read model folds events into its rows. */
export interface Projection<Row extends ViewRow> {
  /** The view row's key attribute (holding the stream id). */
  readonly keyAttribute: string;
  /** The row after `event`; `row` is undefined before the stream's first event. */
  readonly apply: (row: Row | undefined, event: EventEnvelope) => Row;
}

export interface ProjectorOptions<Row extends ViewRow> {
  readonly client: DynamoDBDocumentClient;
  readonly viewTable: string;
  /** Where missing events are read from when a gap is found. */
  readonly store: EventStore;
  readonly projection: Projection<Row>;
  /** Attempts when another writer updated the same row meanwhile. @default 3 */
  readonly maxAttempts?: number;
}

export interface StreamOutcome {
  readonly streamId: string;
  /** The row's version after projecting (unchanged when everything was a duplicate). */
  readonly version: number;
  readonly applied: number;
  readonly skipped: number;
  /** Events read back from the store to fill a gap. */
  readonly healed: number;
}

/**
 * Projects the events of one stream into its view row: ordered and idempotent. An event at or below the
 * row's version is a duplicate or arrived late, and changes nothing; an event beyond version + 1 means
 * some were not delivered (yet), so the gap is read from the event store and applied first. All of a
 * batch's events for a stream become one conditional write, on the version the row was read at.
 */
export async function projectStream<Row extends ViewRow>(
  options: ProjectorOptions<Row>,
  streamId: string,
  events: readonly EventEnvelope[],
): Promise<StreamOutcome> {
  const { client, viewTable, store, projection } = options;
  const sorted = [...events].sort((a, b) => a.version - b.version);
  for (let attempt = 1; ; attempt++) {
    // A batch that starts a stream has no row to read: write on the condition that none exists, and read
    // only if one does (a redelivery). Most orders are projected with one request instead of two.
    const startsStream = attempt === 1 && sorted[0]?.version === 1;
    const before = startsStream
      ? undefined
      : ((await client.send(new GetCommand({ TableName: viewTable, Key: { [projection.keyAttribute]: streamId }, ConsistentRead: true })))
          .Item as Row | undefined);
    let row = before;
    let applied = 0;
    let skipped = 0;
    let healed = 0;
    for (const event of sorted) {
      const at = row?.version ?? 0;
      if (event.version <= at) {
        skipped++;
        continue;
      }
      if (event.version > at + 1) {
        const { events: missing } = await store.read(streamId, { fromVersion: at + 1, toVersion: event.version - 1, limit: 1000 });
        for (const gap of missing) row = projection.apply(row, gap);
        healed += missing.length;
        if ((row?.version ?? 0) !== event.version - 1) throw new StreamGapError(streamId, at + 1, event.version - 1);
      }
      row = projection.apply(row, event);
      applied++;
    }
    if (!row || row === before) return { streamId, version: before?.version ?? 0, applied, skipped, healed };
    try {
      await client.send(
        new PutCommand({
          TableName: viewTable,
          Item: row,
          ConditionExpression: before ? '#version = :before' : 'attribute_not_exists(#version)',
          ExpressionAttributeNames: { '#version': 'version' },
          ...(before ? { ExpressionAttributeValues: { ':before': before.version } } : {}),
        }),
      );
      return { streamId, version: row.version, applied, skipped, healed };
    } catch (error) {
      // Another projector (a redelivery, a rebuild) moved the row: read it again and re-apply.
      if (!(error instanceof ConditionalCheckFailedException) || attempt >= (options.maxAttempts ?? 3)) throw error;
    }
  }
}

/**
 * Rebuilds one stream's row from all its events (new projection logic, a damaged row), safe beside the
 * live projector: the write is conditional on the row not being ahead of the rebuild. If the projector
 * applied a newer event meanwhile, the stream is read again from the store and the rebuild retried.
 */
export async function rebuildStream<Row extends ViewRow>(
  options: ProjectorOptions<Row>,
  streamId: string,
  events: readonly EventEnvelope[],
): Promise<number> {
  const { client, viewTable, store, projection } = options;
  let history = [...events].sort((a, b) => a.version - b.version);
  for (let attempt = 1; ; attempt++) {
    const row = history.reduce<Row | undefined>((current, event) => projection.apply(current, event), undefined);
    if (!row) return 0;
    try {
      await client.send(
        new PutCommand({
          TableName: viewTable,
          Item: row,
          ConditionExpression: 'attribute_not_exists(#version) OR #version <= :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': row.version },
        }),
      );
      return row.version;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException) || attempt >= (options.maxAttempts ?? 3)) throw error;
      history = [];
      let cursor: string | undefined;
      do {
        const page = await store.read(streamId, { limit: 1000, cursor });
        history.push(...page.events);
        cursor = page.nextCursor;
      } while (cursor);
    }
  }
}
