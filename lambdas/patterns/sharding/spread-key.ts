import { shardOf } from './hashing.ts';

/**
 * Write sharding: one logical key whose items would overrun a partition's writes (a busy account's list,
 * a work queue every item passes through) is spread over `parts` partition keys, `key#0` … `key#<parts-1>`,
 * each item's by the hash of its id. A reader reads every part and merges them back into one order.
 */
export const spreadKeyOf = (key: string, itemId: string, parts: number): string => `${key}#${shardOf({ shards: parts }, itemId)}`;

/** Every partition key `key` is spread over (items written before the spread still sit under the bare `key`). */
export const spreadKeysOf = (key: string, parts: number): string[] => Array.from({ length: parts }, (_, k) => `${key}#${k}`);

/**
 * The items of several sorted sources as one sorted sequence (a k-way merge), each with the index of the
 * source it came from. A source is read one item ahead of what was yielded, never further: a source whose
 * reads are paged is asked for its next page only when the merge needs it.
 */
export async function* mergeSorted<T>(
  sources: readonly AsyncIterable<T>[],
  before: (a: T, b: T) => boolean,
): AsyncGenerator<readonly [source: number, item: T]> {
  const heads = await Promise.all(
    sources.map(async (source) => {
      const items = source[Symbol.asyncIterator]();
      return { items, next: await items.next() };
    }),
  );
  for (;;) {
    let first: number | undefined;
    heads.forEach((head, i) => {
      if (!head.next.done && (first === undefined || before(head.next.value, heads[first]!.next.value as T))) first = i;
    });
    if (first === undefined) return;
    const head = heads[first]!;
    yield [first, head.next.value as T];
    head.next = await head.items.next();
  }
}

/** Where a page left one part: after the item at this position, or `'done'` (every item of the part was read). */
export type SpreadPosition = Readonly<Record<string, unknown>> | 'done';

export interface SpreadPageRequest<T> {
  /** The partition keys the logical key is spread over (`spreadKeysOf`). */
  readonly keys: readonly string[];
  /** Where the previous page left each part; a part not named starts at its beginning. */
  readonly from?: Readonly<Record<string, SpreadPosition>>;
  readonly limit: number;
  /** One part's items in the list's order, after `after` (undefined: from its beginning). */
  readonly read: (key: string, after: Readonly<Record<string, unknown>> | undefined) => AsyncIterable<T>;
  /** The position just after an item, from which its part resumes. */
  readonly positionOf: (item: T) => Readonly<Record<string, unknown>>;
  /** The list's order: whether `a` comes before `b`. */
  readonly before: (a: T, b: T) => boolean;
}

/** A page of the merged list, and where the next one starts in each part (none: the list is done). */
export interface SpreadPage<T> {
  readonly items: T[];
  readonly next?: Record<string, SpreadPosition>;
}

/**
 * A page of a spread key's items in one order, as if they sat under one key: every part read from where the
 * last page left it and merged, `limit` items taken. The next page's positions say, per part, after which
 * item to resume, and which parts are done (never read again).
 */
export async function readSpreadPage<T>(request: SpreadPageRequest<T>): Promise<SpreadPage<T>> {
  const { keys, from = {}, limit } = request;
  const open = keys.filter((key) => from[key] !== 'done');
  const ended = new Set<string>();
  const sources = open.map((key) =>
    readToTheEnd(request.read(key, from[key] as Record<string, unknown> | undefined), () => ended.add(key)),
  );
  const items: T[] = [];
  const lastTaken = new Map<string, T>();
  for await (const [source, item] of mergeSorted(sources, request.before)) {
    if (items.length === limit) {
      // One item past the page: there is more. A part read to its end had every item taken (this one's part
      // is not known to have ended yet: the merge reads a part on only after yielding from it).
      const next: Record<string, SpreadPosition> = {};
      for (const key of keys) {
        const last = lastTaken.get(key);
        if (from[key] === 'done' || ended.has(key)) next[key] = 'done';
        else if (last !== undefined) next[key] = request.positionOf(last);
        else if (from[key] !== undefined) next[key] = from[key];
      }
      return { items, next };
    }
    items.push(item);
    lastTaken.set(open[source]!, item);
  }
  return { items };
}

async function* readToTheEnd<T>(items: AsyncIterable<T>, onEnd: () => void): AsyncGenerator<T> {
  yield* items;
  onEnd();
}
