import { addCounts, emptyRecord, noCounts } from './state-machine.ts';
import { byBreaker, copyShards, itemName, withStateOf, type BreakerStore } from './store.ts';
import type { BreakerRecord, Flush, Transition } from './types.ts';

/** A request a store made of one item: what the scale simulation counts, item by item. */
export type ItemRequest = (item: string, kind: 'read' | 'write') => void;

/**
 * The same contract in this process's memory: the store of the unit tests and of the scale simulation
 * (`onRequest` counts what each item would take on DynamoDB), and the fallback an instance uses while the
 * shared table is unreachable.
 */
export class MemoryBreakerStore implements BreakerStore {
  private readonly items = new Map<string, BreakerRecord>();
  private readonly onRequest: ItemRequest;

  constructor(seed: readonly BreakerRecord[] = [], onRequest: ItemRequest = () => undefined) {
    for (const record of seed) this.items.set(itemName(record.name, record.shard), record);
    this.onRequest = onRequest;
  }

  async read(name: string, shard = 0): Promise<BreakerRecord> {
    this.onRequest(itemName(name, shard), 'read');
    return this.current(name, shard);
  }

  async list(): Promise<BreakerRecord[]> {
    return byBreaker(this.items.values());
  }

  async record(name: string, shard: number, flush: Flush): Promise<BreakerRecord> {
    this.onRequest(itemName(name, shard), 'write');
    const current = this.current(name, shard);
    const buckets = { ...current.buckets };
    const flushes = { ...current.flushes };
    const writers = { ...current.writers };
    for (const b of flush.drop.filter((dropped) => dropped !== flush.bucket && dropped !== flush.arrivedIn)) {
      delete buckets[b];
      delete flushes[b];
      delete writers[b];
    }
    const { bucket, counts, arrivedIn } = flush;
    buckets[bucket] = addCounts(buckets[bucket] ?? noCounts(), counts);
    flushes[arrivedIn] = (flushes[arrivedIn] ?? 0) + 1;
    writers[arrivedIn] = (writers[arrivedIn] ?? 0) + flush.writers;
    return this.put({ ...current, buckets, flushes, writers });
  }

  async transition(from: BreakerRecord, to: Transition): Promise<BreakerRecord | undefined> {
    this.onRequest(from.name, 'write');
    const current = this.current(from.name, 0);
    if (current.version !== from.version) return undefined;
    const moved = this.put({
      ...current,
      state: to.state,
      version: from.version + 1,
      openings: to.openings,
      openedAt: to.openedAt,
      nextProbeAt: to.nextProbeAt,
      halfOpenAt: to.halfOpenAt,
      probesClaimed: 0,
      probesSucceeded: 0,
      shards: to.shards ?? current.shards,
      copies: Math.max(current.copies, to.shards ?? 0),
      buckets: to.resetWindow ? {} : current.buckets,
      flushes: to.resetWindow ? {} : current.flushes,
      writers: to.resetWindow ? {} : current.writers,
      updatedAt: to.at,
    });
    // As on DynamoDB, a copy that fails to be written (a counting hook may throw) leaves the move standing.
    for (const shard of copyShards(moved))
      try {
        this.copy(moved, shard, to.resetWindow);
      } catch {
        // left behind, for a reader that knows better to repair
      }
    return moved;
  }

  async repair(state: BreakerRecord, shard: number): Promise<void> {
    this.copy(state, shard, false);
  }

  async claimProbe(name: string, version: number, limit: number): Promise<boolean> {
    this.onRequest(name, 'write');
    const current = this.current(name, 0);
    if (current.state !== 'HALF_OPEN' || current.version !== version || current.probesClaimed >= limit) return false;
    this.put({ ...current, probesClaimed: current.probesClaimed + 1 });
    return true;
  }

  async probeSucceeded(name: string, version: number): Promise<BreakerRecord | undefined> {
    this.onRequest(name, 'write');
    const current = this.current(name, 0);
    if (current.state !== 'HALF_OPEN' || current.version !== version) return undefined;
    return this.put({ ...current, probesSucceeded: current.probesSucceeded + 1 });
  }

  private copy(state: BreakerRecord, shard: number, resetWindow: boolean): void {
    this.onRequest(itemName(state.name, shard), 'write');
    const current = this.current(state.name, shard);
    if (current.version > 0 && current.version >= state.version) return;
    const window = resetWindow ? { ...current, buckets: {}, flushes: {}, writers: {} } : current;
    this.put({ ...withStateOf(window, state), probesClaimed: 0, probesSucceeded: 0 });
  }

  /** Read and write with no await between them: each operation is atomic, as a conditional write is. */
  private current(name: string, shard: number): BreakerRecord {
    return this.items.get(itemName(name, shard)) ?? emptyRecord(name, shard);
  }

  private put(record: BreakerRecord): BreakerRecord {
    this.items.set(itemName(record.name, record.shard), record);
    return record;
  }
}
