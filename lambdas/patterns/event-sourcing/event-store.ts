import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { v7 as uuidv7 } from 'uuid';
import { ConcurrencyError, EventTooLargeError } from './errors.ts';
import { formatCursor, parseCursor } from '../../kernel/cursor.ts';
import { itemSizeBytes } from './item-size.ts';
import type { EventEnvelope, EventMetadata, NewEvent, Snapshot, Upcasters } from './types.ts';

/** DynamoDB's item size limit. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** TransactWriteItems takes at most 100 items; one is kept for a snapshot. */
export const MAX_EVENTS_PER_APPEND = 99;

export interface EventStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Take a snapshot when an append crosses a multiple of this many events. @default 50 */
  readonly snapshotEvery?: number;
  /** Upgrades old event data on read. @default none */
  readonly upcasters?: Upcasters;
  /** The schema version new events of each type are written with. @default one past the type's newest upcaster, else 1 */
  readonly schemaVersions?: Readonly<Record<string, number>>;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** @default UUIDv7 */
  readonly newEventId?: () => string;
}

export interface ReadOptions {
  /** @default 1 */
  readonly fromVersion?: number;
  /** @default the latest */
  readonly toVersion?: number;
  /** Events per page. @default 100 */
  readonly limit?: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

export interface ReadResult {
  readonly events: EventEnvelope[];
  readonly nextCursor?: string;
}

/**
 * A condition on another item that the append must meet, in the same transaction (a fencing token check):
 * if it fails, nothing is written and `refused` says why.
 */
export interface AppendGuard {
  readonly item: Record<string, unknown>;
  readonly refused: (cause: unknown) => Error;
}

export interface AppendResult {
  /** The stream's version after the append. */
  readonly version: number;
  readonly events: EventEnvelope[];
}

export interface LoadOptions<State, Event> {
  readonly initialState: State;
  readonly evolve: (state: State, event: Event) => State;
  /** Shape version of `State`: snapshots of another shape are ignored. */
  readonly stateSchemaVersion: number;
  /** Load the state as it was after this version (time travel). @default the latest */
  readonly toVersion?: number;
}

export interface Loaded<State> {
  readonly state: State;
  /** 0 for a stream with no events. */
  readonly version: number;
  /** The snapshot the fold started from, if any. */
  readonly snapshotVersion?: number;
  /** Events folded on top of the snapshot (or of the initial state). */
  readonly eventsFolded: number;
}

/**
 * Stream items: events at `position` = version, snapshots at version + 0.5, in one partition per stream.
 * One descending Query then finds the newest snapshot and every event after it, so loading a stream is a
 * single request; with the conditional write, a command costs two. Whether an item is an event and which
 * version it holds both follow from `position`, so neither is stored: every byte of an item is paid for
 * on each write, each stream record and each read.
 */
interface StoredEvent {
  streamId: string;
  /** The event's version. */
  position: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata & { recordedAt: string };
}

interface StoredSnapshot {
  streamId: string;
  /** The version the state is at, + 0.5. */
  position: number;
  state: unknown;
  stateSchemaVersion: number;
}

type StoredItem = StoredEvent | StoredSnapshot;

const isEvent = (item: { position: number }): item is StoredEvent => Number.isInteger(item.position);

const SNAPSHOT_OFFSET = 0.5;

/** An append-only event store on one DynamoDB table keyed by (streamId, position). */
export class EventStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly snapshotEvery: number;
  private readonly upcasters: Upcasters;
  private readonly schemaVersions: Readonly<Record<string, number>>;
  private readonly clock: () => Date;
  private readonly newEventId: () => string;

  constructor(options: EventStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.snapshotEvery = options.snapshotEvery ?? 50;
    this.upcasters = options.upcasters ?? {};
    this.schemaVersions = options.schemaVersions ?? {};
    this.clock = options.clock ?? (() => new Date());
    this.newEventId = options.newEventId ?? uuidv7;
  }

  /**
   * The version new events of a type are written with: as configured, or else one past the newest
   * upcaster (an upcaster from v exists only because v + 1 is current), or else 1.
   */
  currentSchemaVersion(type: string): number {
    const configured = this.schemaVersions[type];
    if (configured !== undefined) return configured;
    const upcastFrom = Object.keys(this.upcasters[type] ?? {}).map(Number);
    return upcastFrom.length ? Math.max(...upcastFrom) + 1 : 1;
  }

  /** Whether an append from `expectedVersion` to `newVersion` should carry a snapshot. */
  shouldSnapshot(expectedVersion: number, newVersion: number): boolean {
    return Math.floor(newVersion / this.snapshotEvery) > Math.floor(expectedVersion / this.snapshotEvery);
  }

  /**
   * Appends events after `expectedVersion`, all or nothing. Each event is a write conditional on its version
   * being free, so of two writers at the same version exactly one succeeds; the other gets a
   * ConcurrencyError with the stream's current version. `snapshot` (the state after these events) rides in
   * the same request.
   */
  async append(
    streamId: string,
    expectedVersion: number,
    events: readonly NewEvent[],
    metadata: EventMetadata,
    snapshot?: Omit<Snapshot<unknown>, 'version'>,
    guard?: AppendGuard,
  ): Promise<AppendResult> {
    if (!Number.isInteger(expectedVersion) || expectedVersion < 0)
      throw new RangeError(`expectedVersion must be a whole number ≥ 0, got ${expectedVersion}`);
    if (events.length === 0) throw new RangeError('An append needs at least one event');
    if (events.length > MAX_EVENTS_PER_APPEND)
      throw new RangeError(`An append takes at most ${MAX_EVENTS_PER_APPEND} events, got ${events.length}`);
    const recordedAt = this.clock().toISOString();
    const items: StoredEvent[] = events.map((event, index) => ({
      streamId,
      position: expectedVersion + index + 1,
      eventId: this.newEventId(),
      type: event.type,
      schemaVersion: event.schemaVersion ?? this.currentSchemaVersion(event.type),
      data: event.data,
      metadata: { ...metadata, recordedAt },
    }));
    for (const item of items) {
      const size = itemSizeBytes(item as unknown as Record<string, unknown>);
      if (size > MAX_ITEM_BYTES) throw new EventTooLargeError(streamId, item.type, size, MAX_ITEM_BYTES);
    }
    const newVersion = expectedVersion + events.length;
    const snapshotItem: StoredSnapshot | undefined = snapshot && {
      streamId,
      position: newVersion + SNAPSHOT_OFFSET,
      state: snapshot.state,
      stateSchemaVersion: snapshot.stateSchemaVersion,
    };
    // A snapshot too large for an item is skipped: loading then folds from further back, still correct.
    const withSnapshot = snapshotItem && itemSizeBytes(snapshotItem as unknown as Record<string, unknown>) <= MAX_ITEM_BYTES;
    const condition = { ConditionExpression: 'attribute_not_exists(streamId)' };
    try {
      if (items.length === 1 && !withSnapshot && !guard) {
        await this.client.send(new PutCommand({ TableName: this.tableName, Item: items[0], ...condition }));
      } else {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              ...(guard ? [guard.item] : []),
              ...items.map((Item) => ({ Put: { TableName: this.tableName, Item, ...condition } })),
              ...(withSnapshot ? [{ Put: { TableName: this.tableName, Item: snapshotItem } }] : []),
            ],
          }),
        );
      }
    } catch (error) {
      if (guard && error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed')
        throw guard.refused(error);
      const conflict =
        error instanceof ConditionalCheckFailedException ||
        (error instanceof TransactionCanceledException &&
          (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed'));
      if (!conflict) throw error;
      throw new ConcurrencyError(streamId, expectedVersion, await this.currentVersion(streamId), { cause: error });
    }
    return { version: newVersion, events: items.map((item) => this.toEnvelope(item)) };
  }

  /** The stream's latest version; 0 when it has no events. */
  async currentVersion(streamId: string): Promise<number> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'streamId = :streamId',
        ExpressionAttributeValues: { ':streamId': streamId },
        ScanIndexForward: false,
        ProjectionExpression: '#position',
        ExpressionAttributeNames: { '#position': 'position' },
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    // The newest item is the newest event or a snapshot just above it: either way the version is the floor.
    return Math.floor((Items[0]?.position as number | undefined) ?? 0);
  }

  /** Events of a stream, oldest first, a page at a time. */
  async read(streamId: string, options: ReadOptions = {}): Promise<ReadResult> {
    const from = options.fromVersion ?? 1;
    const to = options.toVersion ?? Number.MAX_SAFE_INTEGER;
    const limit = options.limit ?? 100;
    const events: EventEnvelope[] = [];
    let startKey = parseCursor(options.cursor);
    // Snapshots share the key range; keep querying until a page of events is full or the stream ends.
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'streamId = :streamId AND #position BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#position': 'position' },
          ExpressionAttributeValues: { ':streamId': streamId, ':from': from, ':to': to },
          ExclusiveStartKey: startKey,
          Limit: limit - events.length + 1,
          ConsistentRead: true,
        }),
      );
      for (const item of (page.Items ?? []) as StoredItem[]) {
        if (!isEvent(item)) continue;
        if (events.length === limit) return { events, nextCursor: formatCursor({ streamId, position: events.at(-1)!.version }) };
        events.push(this.toEnvelope(item));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { events };
  }

  /**
   * The state of a stream: the newest usable snapshot (at or before `toVersion`) plus the events after it,
   * read newest first in one Query for a stream that snapshots regularly.
   */
  async load<State, Event extends { type: string; data: unknown }>(
    streamId: string,
    options: LoadOptions<State, Event>,
  ): Promise<Loaded<State>> {
    const bounded = options.toVersion !== undefined;
    const newestFirst: StoredEvent[] = [];
    let snapshot: StoredSnapshot | undefined;
    let startKey: Record<string, unknown> | undefined;
    scan: do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          // A snapshot taken at toVersion sits just above it, at toVersion + 0.5.
          KeyConditionExpression: bounded ? 'streamId = :streamId AND #position <= :to' : 'streamId = :streamId',
          ExpressionAttributeNames: bounded ? { '#position': 'position' } : undefined,
          ExpressionAttributeValues: bounded
            ? { ':streamId': streamId, ':to': options.toVersion! + SNAPSHOT_OFFSET }
            : { ':streamId': streamId },
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
          // The first page normally reaches the newest snapshot; if not, read on in full 1 MB pages.
          Limit: startKey ? undefined : this.snapshotEvery + 2,
          ConsistentRead: true,
        }),
      );
      for (const item of (page.Items ?? []) as StoredItem[]) {
        if (isEvent(item)) {
          newestFirst.push(item);
          continue;
        }
        if (item.stateSchemaVersion !== options.stateSchemaVersion) continue;
        snapshot = item;
        break scan;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    let state = snapshot ? (snapshot.state as State) : options.initialState;
    for (let i = newestFirst.length - 1; i >= 0; i--) {
      const envelope = this.toEnvelope(newestFirst[i]!);
      state = options.evolve(state, { type: envelope.type, data: envelope.data } as Event);
    }
    return {
      state,
      version: Math.floor(newestFirst[0]?.position ?? snapshot?.position ?? 0),
      snapshotVersion: snapshot && Math.floor(snapshot.position),
      eventsFolded: newestFirst.length,
    };
  }

  /**
   * An item of this store's table (as a DynamoDB stream delivers it, unmarshalled) as an envelope, upcast;
   * undefined for a snapshot.
   */
  decodeItem(item: Record<string, unknown>): EventEnvelope | undefined {
    const stored = item as unknown as StoredItem;
    return isEvent(stored) ? this.toEnvelope(stored) : undefined;
  }

  /** The stored item as an envelope, its data upcast to the current schema version. */
  private toEnvelope(item: StoredEvent): EventEnvelope {
    let { data, schemaVersion } = item;
    for (let upcast = this.upcasters[item.type]?.[schemaVersion]; upcast; upcast = this.upcasters[item.type]?.[schemaVersion]) {
      data = upcast(data);
      schemaVersion++;
    }
    return {
      eventId: item.eventId,
      streamId: item.streamId,
      version: item.position,
      type: item.type,
      schemaVersion,
      data,
      metadata: item.metadata,
      recordedAt: item.metadata.recordedAt,
    };
  }
}
