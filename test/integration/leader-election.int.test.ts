/** Leases and fencing on DynamoDB Local, with contenders on fake clocks (skewed within the margin). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '../../lambdas/patterns/event-sourcing/index.ts';
import { fencedAppend, isStaleFencingTokenError, LeaseClient, type Lease } from '../../lambdas/patterns/leader-election/index.ts';
import { LOCAL_CREDENTIALS } from '../../scripts/local-cloud/environment.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../scripts/local-cloud/services/dynamodb-local.ts';
import { createTable } from '../helpers/tables.ts';

const LEASE_MS = 15_000;
const MARGIN_MS = 2_000;
let dynamo: DynamoDbLocal;
let client: DynamoDBDocumentClient;
let now: number;

/** A contender whose clock is `skewMs` off the true time. */
const contender = (holder: string, skewMs = 0) =>
  new LeaseClient({ client, tableName: 'leases', holder, leaseMs: LEASE_MS, clockSkewMarginMs: MARGIN_MS, clock: () => now + skewMs });

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  client = DynamoDBDocumentClient.from(raw);
  await createTable(raw, 'leases', [{ name: 'name', type: 'S' }, { name: 'entry', type: 'S' }]);
  await createTable(raw, 'events', [{ name: 'streamId', type: 'S' }, { name: 'position', type: 'N' }]);
  now = 1_800_000_000_000;
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

describe('LeaseClient on DynamoDB Local', () => {
  it('lets exactly one of 5 racing contenders acquire, with the first fencing token', async () => {
    const contenders = Array.from({ length: 5 }, (_, i) => contender(`c${i}`));
    const leases = await Promise.all(contenders.map((c) => c.tryAcquire('race')));
    const won = leases.filter((l): l is Lease => l !== undefined);
    expect(won).toHaveLength(1);
    expect(won[0]!.fencingToken).toBe(1);
    expect((await contenders[0]!.read('race')).holder).toBe(won[0]!.holder);
  });

  it('never has two holders that both believe their lease valid, clocks skewed within the margin, through pauses and failovers', async () => {
    const skews = [0, 900, -900, 400, -400];
    const contenders = skews.map((skew, i) => contender(`s${i}`, skew));
    const held = new Map<string, Lease>();
    const crashed = new Set<string>();
    const failovers: number[] = [];
    let lastHeartbeat = 0;
    let crashAt: number | undefined;
    const start = now;
    for (let step = 0; step < 240; step++, now += 500) {
      for (const c of contenders) {
        if (crashed.has(c.holder)) continue;
        const lease = held.get(c.holder);
        if (lease) {
          if (now - lastHeartbeat >= c.heartbeatMs) {
            const renewed = await c.renew(lease);
            if (renewed) held.set(c.holder, renewed);
            else held.delete(c.holder);
            lastHeartbeat = now;
          }
        } else if (step % 2 === c.holder.charCodeAt(1) % 2) {
          // Followers poll every second, half of them on each beat.
          const acquired = await c.tryAcquire('skewed');
          if (acquired) {
            held.set(c.holder, acquired);
            lastHeartbeat = now;
            if (crashAt !== undefined) failovers.push(now - crashAt);
            crashAt = undefined;
          }
        }
      }
      // A paused holder still believes in its lease until it expires by its own clock, margin kept.
      const validHolders = contenders.filter((c) => held.has(c.holder) && c.isValid(held.get(c.holder)!));
      expect(validHolders.length, `at ${now - start} ms`).toBeLessThanOrEqual(1);
      // Every 30 s the holder pauses for good: it stops renewing (a crash, or a freeze it never wakes from).
      if (step % 60 === 59) {
        const holder = [...held.keys()].find((h) => !crashed.has(h));
        if (holder) {
          crashed.add(holder);
          crashAt = now;
        }
      }
    }
    expect(failovers.length).toBeGreaterThanOrEqual(3);
    // Lease + margin + a poll and the follower's own skew: within lease + one heartbeat.
    for (const failover of failovers) expect(failover).toBeLessThanOrEqual(LEASE_MS + LEASE_MS / 3);
    const tokens = (await contenders[0]!.read('skewed')).fencingToken;
    expect(tokens).toBe(failovers.length + 1);
  });

  it('renews and releases only as the holder with its token', async () => {
    const a = contender('a');
    const b = contender('b');
    const lease = (await a.tryAcquire('own'))!;
    expect(await b.renew({ ...lease, holder: 'b' })).toBeUndefined();
    expect(await b.release({ ...lease, holder: 'b' })).toBe(false);
    expect(await a.release(lease)).toBe(true);
    const next = (await b.tryAcquire('own'))!;
    expect(next.fencingToken).toBe(lease.fencingToken + 1);
    expect(await a.renew(lease)).toBeUndefined();
  });
});

describe('fencing at the resource', () => {
  it('rejects the late write of a paused leader whose lease was taken over, and writes nothing', async () => {
    const store = new EventStore({ client, tableName: 'events' });
    const a = contender('paused');
    const b = contender('successor');
    const fence = (lease: Lease) => fencedAppend({ tableName: 'leases', resource: 'payment-timeouts', fencingToken: lease.fencingToken });
    const first = (await a.tryAcquire('fenced'))!;
    await store.append('order-f1', 0, [{ type: 'Noted', data: { by: 'paused' } }], { correlationId: 'c', actor: 'paused' }, undefined, fence(first));
    // A pauses (a long GC, a frozen Lambda) past its lease; B takes over and writes.
    now += LEASE_MS + MARGIN_MS + 1;
    const second = (await b.tryAcquire('fenced'))!;
    expect(second.fencingToken).toBe(first.fencingToken + 1);
    await store.append('order-f2', 0, [{ type: 'Noted', data: { by: 'successor' } }], { correlationId: 'c', actor: 'successor' }, undefined, fence(second));
    // A wakes up and writes as if still leader: refused at the resource.
    const late = await store.append('order-f3', 0, [{ type: 'Noted', data: { by: 'paused' } }], { correlationId: 'c', actor: 'paused' }, undefined, fence(first)).catch((e: unknown) => e);
    expect(isStaleFencingTokenError(late)).toBe(true);
    expect((await store.read('order-f3')).events).toEqual([]);
    expect(a.isValid(first)).toBe(false);
  });
});
