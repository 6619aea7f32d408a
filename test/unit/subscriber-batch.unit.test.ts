import { describe, expect, it } from 'vitest';
import { consumeOrdersSideBySide } from '../../lambdas/composition/subscriber.ts';
import type { OrderEventMessage } from '../../lambdas/domain/orders/index.ts';

const message = (orderId: string, version: number) => ({ orderId, version, eventId: `${orderId}-${version}` }) as OrderEventMessage;

describe('consumeOrdersSideBySide (a batch of a subscriber whose messages wait on another service)', () => {
  it('consumes the orders side by side and each order’s messages one after another, in the batch’s order', async () => {
    const log: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const consume = async (m: OrderEventMessage) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      log.push(`start ${m.eventId}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`end ${m.eventId}`);
      inFlight--;
      return 'applied' as const;
    };
    const batch = [message('a', 1), message('b', 1), message('a', 2), message('c', 1), message('a', 3)];
    const results = await consumeOrdersSideBySide(consume)(batch);
    expect(results).toEqual(batch.map(() => ({ status: 'fulfilled', value: 'applied' })));
    expect(mostInFlight).toBe(3);
    // Within an order, each message starts only once the one before it has ended.
    for (const [before, after] of [
      ['a-1', 'a-2'],
      ['a-2', 'a-3'],
    ])
      expect(log.indexOf(`end ${before}`)).toBeLessThan(log.indexOf(`start ${after}`));
  });

  it('stops an order at its first failure, reporting it and leaving the rest of that order; other orders go on', async () => {
    const consumed: string[] = [];
    const failure = new Error('legacy is down');
    const consume = async (m: OrderEventMessage) => {
      consumed.push(m.eventId);
      if (m.eventId === 'a-2') throw failure;
      return 'applied' as const;
    };
    const results = await consumeOrdersSideBySide(consume)([message('a', 1), message('a', 2), message('b', 1), message('a', 3)]);
    expect(results).toEqual([
      { status: 'fulfilled', value: 'applied' },
      { status: 'rejected', reason: failure },
      { status: 'fulfilled', value: 'applied' },
      undefined,
    ]);
    expect(consumed).not.toContain('a-3');
  });
});
