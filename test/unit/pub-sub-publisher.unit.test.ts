import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_ENTRIES,
  messageBytes,
  planBatches,
  type OutgoingMessage,
} from '../../lambdas/patterns/pub-sub/index.ts';

const message = (groupId: string, n: number, bodyBytes = 10): OutgoingMessage => ({
  groupId,
  deduplicationId: `${groupId}-${n}`,
  body: 'x'.repeat(bodyBytes),
  attributes: { eventType: 'OrderPlaced', schemaVersion: 2 },
});

describe('planBatches (SNS PublishBatch requests for a FIFO topic)', () => {
  it('packs distinct groups ten to a request', () => {
    const messages = Array.from({ length: 25 }, (_, i) => message(`order-${i}`, 1));
    expect(planBatches(messages).map((b) => b.length)).toEqual([10, 10, 5]);
  });

  it('never puts two messages of one group in one request, so a failed entry cannot be overtaken', () => {
    const messages = [message('a', 1), message('b', 1), message('a', 2), message('c', 1), message('a', 3)];
    expect(planBatches(messages).map((b) => b.map((m) => m.deduplicationId))).toEqual([['a-1', 'b-1'], ['a-2', 'c-1'], ['a-3']]);
  });

  it('keeps a request under 256 KiB of bodies and attributes', () => {
    const big = Array.from({ length: 4 }, (_, i) => message(`big-${i}`, 1, 100 * 1024));
    expect(planBatches(big).map((b) => b.length)).toEqual([2, 2]);
  });

  it('refuses a message no request can carry', () => {
    expect(() => planBatches([message('huge', 1, MAX_BATCH_BYTES + 1)])).toThrow(/SNS takes at most/);
  });

  it('for any input: keeps the order, respects every limit, loses and duplicates nothing', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'), fc.integer({ min: 1, max: 40_000 })),
          { maxLength: 80 },
        ),
        (specs) => {
          const messages = specs.map(([group, bytes], i) => message(group, i, bytes));
          const batches = planBatches(messages);
          expect(batches.flat()).toEqual(messages);
          for (const batch of batches) {
            expect(batch.length).toBeGreaterThan(0);
            expect(batch.length).toBeLessThanOrEqual(MAX_BATCH_ENTRIES);
            expect(new Set(batch.map((m) => m.groupId)).size).toBe(batch.length);
            expect(batch.reduce((sum, m) => sum + messageBytes(m), 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
          }
        },
      ),
    );
  });
});
