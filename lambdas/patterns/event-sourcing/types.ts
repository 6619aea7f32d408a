/** Who caused an event and why, stored with it. */
export interface EventMetadata {
  /** The request that started the chain (propagated through every hop). */
  readonly correlationId: string;
  /** The command or event that directly caused this one. */
  readonly causationId?: string;
  /** Who acted: a customer id, `system:coordinator`… */
  readonly actor: string;
  /** The client's Idempotency-Key, where there was one. */
  readonly idempotencyKey?: string;
}

/** An event as stored and read: the domain event wrapped with its place in the stream. */
export interface EventEnvelope<Type extends string = string, Data = unknown> {
  /** Time-ordered id (UUIDv7): sorts by recording time across streams. */
  readonly eventId: string;
  readonly streamId: string;
  /** 1 for the first event of a stream, then gapless. */
  readonly version: number;
  readonly type: Type;
  /** The version of `data`'s shape, after upcasting: always current on read. */
  readonly schemaVersion: number;
  readonly data: Data;
  readonly metadata: EventMetadata & { readonly recordedAt: string };
  readonly recordedAt: string;
}

/** An event to append: its type and data (schemaVersion defaults to the store's current one for the type). */
export interface NewEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
  readonly schemaVersion?: number;
}

/** Upgrades stored event data one schema version at a time: `upcasters[type][v](data)` returns v+1 data. */
export type Upcasters = Readonly<Record<string, Readonly<Record<number, (data: unknown) => unknown>>>>;

/** A stored state, so loading reads only the events after it. */
export interface Snapshot<State> {
  readonly version: number;
  readonly state: State;
  /** The shape of `state`; a snapshot of another shape is ignored (the stream is folded from further back). */
  readonly stateSchemaVersion: number;
}
