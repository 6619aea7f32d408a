/**
 * Our lease against dynamodb-lock-client (npm, FailOpen: leases with heartbeats and fencing tokens) on the
 * same DynamoDB Local: failover time after the holder crashes, DynamoDB requests per contender per minute,
 * and the stale writes a leader paused past its lease gets accepted after a successor took over: each side's
 * own code, run for real, with the same pause.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import DynamoDBLockClient from 'dynamodb-lock-client';
import { EventStore } from '../lambdas/patterns/event-sourcing/index.ts';
import { fencedAppend, isStaleFencingTokenError, LeaseClient, LeaseTable, type Lease } from '../lambdas/patterns/leader-election/index.ts';
import { LOCAL_CREDENTIALS, startDynamoDbLocal } from '@eightfold/local-cloud';
import { createTable } from '../test/helpers/tables.ts';
import { countRequests, log, percentile, ratio, sleep, type Row } from './common.ts';

const LEASE_MS = 3_000;
const HEARTBEAT_MS = 1_000;
const MARGIN_MS = 300;
const CONTENDERS = 4;
const CRASHES = 5;

type Callback = (error: unknown, data?: unknown) => void;

/** The AWS SDK v2 DocumentClient surface the lock client calls, on the v3 client (errors keep v2's `code`). */
function v2DocumentClient(client: DynamoDBDocumentClient) {
  const call = (command: GetCommand | PutCommand | DeleteCommand, callback: Callback) =>
    (client.send as (command: unknown) => Promise<unknown>)(command).then(
      (data) => callback(null, data),
      (error: Error & { code?: string }) => callback(Object.assign(error, { code: error.name })),
    );
  return {
    get: (params: object, callback: Callback) => call(new GetCommand(params as never), callback),
    put: (params: object, callback: Callback) => call(new PutCommand(params as never), callback),
    delete: (params: object, callback: Callback) => call(new DeleteCommand(params as never), callback),
  };
}

/** How many times each side's holder is paused past its lease. */
const PAUSES = 3;

/** Runs `trial` PAUSES times; counts the trials in which the paused holder's late write was accepted. */
async function staleWrites(trial: (index: number) => Promise<boolean>): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < PAUSES; i++) if (await trial(i)) accepted++;
  return accepted;
}

type Lock = { heartbeatTimeout?: NodeJS.Timeout; fencingToken: number };

/** A dynamodb-lock-client FailOpen client, as its README sets one up, on the v3 client. */
const lockClient = (client: DynamoDBDocumentClient) =>
  new DynamoDBLockClient.FailOpen({
    dynamodb: v2DocumentClient(client),
    lockTable: 'locks',
    partitionKey: 'id',
    heartbeatPeriodMs: HEARTBEAT_MS,
    leaseDurationMs: LEASE_MS,
    trustLocalTime: true,
    retryCount: 0,
  });

/** Tries until the lock is taken (a held lock is waited out for its lease, then tried again); `givenUp` ends it early. */
function acquireLock(c: ReturnType<typeof lockClient>, name: string, givenUp: () => boolean = () => false): Promise<Lock> {
  return new Promise<Lock>((resolve) => {
    const attempt = (): void =>
      c.acquireLock(name, (error, lock) => {
        if (givenUp()) clearTimeout(lock?.heartbeatTimeout);
        else if (error) attempt();
        else resolve(lock);
      });
    attempt();
  });
}

interface Side {
  /** Runs CRASHES rounds of: a holder renews for a while, then crashes; returns each failover time. */
  failovers(): Promise<number[]>;
  /** Time spent contending (a run's pauses between rounds excluded), for the request rate. */
  contendingMs?: number;
}

export async function leaderElectionFigures(rows: Row[]): Promise<void> {
  const dynamo = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const requests = countRequests(raw);
  const client = DynamoDBDocumentClient.from(raw);
  try {
    await createTable(raw, 'leases', [
      { name: 'name', type: 'S' },
      { name: 'entry', type: 'S' },
    ]);
    await createTable(raw, 'locks', [{ name: 'id', type: 'S' }]);
    await createTable(raw, 'events', [
      { name: 'streamId', type: 'S' },
      { name: 'position', type: 'N' },
    ]);

    // Ours: every contender takes a turn each heartbeat (the holder's renews) until the holder goes: it
    // crashes (its turns stop), or it resigns (an operator's hand-over: its turns go on, refused).
    const leaseTable = new LeaseTable({ client, tableName: 'leases' });
    const oursSide = (goes: 'crashes' | 'resigns', leaseName: string): Side => ({
      async failovers() {
        const contenders = Array.from(
          { length: CONTENDERS },
          (_, i) =>
            new LeaseClient({ client, tableName: 'leases', holder: `ours-${goes}-${i}`, leaseMs: LEASE_MS, clockSkewMarginMs: MARGIN_MS }),
        );
        const times: number[] = [];
        let goneAt = 0;
        let crashed = new Set<string>();
        const held = new Map<string, Lease>();
        let stop = false;
        const loops = contenders.map(async (c) => {
          while (!stop) {
            if (!crashed.has(c.holder)) {
              // A stateless turn, as the scheduled Lambda takes it: renew if the table names us, else try to take it.
              const lease = await c.hold(leaseName);
              if (lease && !held.has(c.holder) && goneAt) {
                times.push(performance.now() - goneAt);
                goneAt = 0;
              }
              if (lease) held.set(c.holder, lease);
              else held.delete(c.holder);
            }
            await sleep(HEARTBEAT_MS);
          }
        });
        while (times.length < CRASHES) {
          await sleep(2 * HEARTBEAT_MS);
          const holder = [...held.keys()].find((h) => !crashed.has(h));
          if (!holder || goneAt) continue;
          goneAt = performance.now();
          if (goes === 'resigns') {
            await leaseTable.resign(leaseName, Date.now());
            continue;
          }
          crashed = new Set([...crashed, holder]);
          if (crashed.size === CONTENDERS) crashed = new Set([holder]); // keep someone alive to take over
        }
        stop = true;
        await Promise.all(loops);
        return times;
      },
    });
    const ours = oursSide('crashes', 'bench');

    // dynamodb-lock-client FailOpen: the holder heartbeats; a waiter reads the lock, waits the lease, retries.
    const peer: Side = {
      async failovers() {
        const times: number[] = [];
        let settling = 0;
        const started = performance.now();
        for (let round = 0; round < CRASHES; round++) {
          let won = false;
          // Once someone has won the round, a late winner lets its lock lapse.
          const acquire = (c: ReturnType<typeof lockClient>) => acquireLock(c, `bench-${round}`, () => won);
          const holder = await acquire(lockClient(client));
          await sleep(2 * HEARTBEAT_MS);
          // Crash: the heartbeats stop, the lock is never released.
          clearTimeout(holder.heartbeatTimeout);
          const crashedAt = performance.now();
          const followers = Array.from({ length: CONTENDERS - 1 }, () => lockClient(client));
          const next = await Promise.race(followers.map(acquire));
          won = true;
          times.push(performance.now() - crashedAt);
          clearTimeout(next.heartbeatTimeout);
          // The other followers' last attempts settle while the table is still there (not contention time).
          settling += LEASE_MS + 500;
          await sleep(LEASE_MS + 500);
        }
        peer.contendingMs = performance.now() - started - settling;
        return times;
      },
    };

    const oursFigures: number[] = [];
    const peerFigures: number[] = [];
    for (const [name, side] of [
      ['ours', ours],
      ['dynamodb-lock-client', peer],
    ] as const) {
      requests.count = 0;
      const started = performance.now();
      const times = await side.failovers();
      const minutes = (side.contendingMs ?? performance.now() - started) / 60_000;
      const failover = percentile(times, 50);
      const perMinute = requests.count / CONTENDERS / minutes;
      log(
        `${name}: failover p50 ${failover.toFixed(0)} ms (${(failover / LEASE_MS).toFixed(2)} × lease); ${perMinute.toFixed(0)} requests per contender per minute`,
      );
      (name === 'ours' ? oursFigures : peerFigures).push(failover / LEASE_MS, perMinute);
    }
    rows.push(
      {
        figure: `failover after the holder crashes ÷ lease (${LEASE_MS / 1000} s lease, ${CONTENDERS} contenders, p50 of ${CRASHES})`,
        value: oursFigures[0]!.toFixed(2),
        baseline: `dynamodb-lock-client: ${peerFigures[0]!.toFixed(2)} (goal ≤ 1.5)`,
        ratio: ratio(oursFigures[0]!, peerFigures[0]!),
      },
      {
        figure: 'DynamoDB requests per contender per minute (1 s heartbeat)',
        value: oursFigures[1]!.toFixed(0),
        baseline: `dynamodb-lock-client: ${peerFigures[1]!.toFixed(0)}`,
        ratio: ratio(oursFigures[1]!, peerFigures[1]!),
      },
    );
    const resigned = percentile(await oursSide('resigns', 'bench-resign').failovers(), 50);
    log(`ours: hand-over after the holder resigns p50 ${resigned.toFixed(0)} ms (${(resigned / LEASE_MS).toFixed(2)} × lease)`);
    const withinOneTurn = (HEARTBEAT_MS + MARGIN_MS) / LEASE_MS;
    rows.push({
      figure: `hand-over after the holder resigns (POST /ops/leader/resign) ÷ lease (p50 of ${CRASHES})`,
      value: (resigned / LEASE_MS).toFixed(2),
      baseline: `a crash, the same contenders: ${oursFigures[0]!.toFixed(2)}`,
      ratio: ratio(resigned / LEASE_MS, oursFigures[0]!),
      goal: `≤ ${withinOneTurn.toFixed(2)} (one turn and the clock-skew margin)`,
      met: resigned / LEASE_MS <= withinOneTurn,
    });

    // A holder pauses past its lease (its heartbeats stop, as in a long GC pause), a successor takes over and
    // writes the resource, the paused one wakes and writes it too. Ours fences the write at the resource
    // (the event store refuses an older token); the lock client hands out a token and leaves the resource's
    // writes to the caller, so its caller writes as its README shows, holding the lock.
    const oursStale = await staleWrites(async (trial) => {
      const store = new EventStore({ client, tableName: 'events' });
      const contender = (holder: string) =>
        new LeaseClient({ client, tableName: 'leases', holder, leaseMs: LEASE_MS, clockSkewMarginMs: MARGIN_MS });
      const fence = (lease: Lease) =>
        fencedAppend({ tableName: 'leases', resource: `bench-resource-${trial}`, fencingToken: lease.fencingToken });
      const write = (by: string, lease: Lease, version: number) =>
        store.append(
          `resource-${trial}`,
          version,
          [{ type: 'Written', data: { by } }],
          { correlationId: 'b', actor: by },
          undefined,
          fence(lease),
        );
      const old = (await contender(`paused-${trial}`).hold(`pause-${trial}`))!;
      await sleep(LEASE_MS + 400); // paused: no turn, no renewal
      const current = (await contender(`successor-${trial}`).hold(`pause-${trial}`))!;
      await write('successor', current, 0);
      return write('paused', old, 1).then(
        () => true,
        (error: unknown) => (isStaleFencingTokenError(error) ? false : Promise.reject(error)),
      );
    });
    const peerStale = await staleWrites(async (trial) => {
      const lockName = `pause-${trial}`;
      const old = await acquireLock(lockClient(client), lockName);
      clearTimeout(old.heartbeatTimeout); // paused: its heartbeats stop, its lock is never released
      const current = await acquireLock(lockClient(client), lockName); // waits out the lease
      const resource = `resource-${trial}`;
      await client.send(
        new PutCommand({ TableName: 'locks', Item: { id: resource, by: 'successor', fencingToken: current.fencingToken } }),
      );
      await client.send(new PutCommand({ TableName: 'locks', Item: { id: resource, by: 'paused', fencingToken: old.fencingToken } }));
      clearTimeout(current.heartbeatTimeout);
      const { Item } = await client.send(new GetCommand({ TableName: 'locks', Key: { id: resource }, ConsistentRead: true }));
      return Item?.by === 'paused';
    });
    log(`stale writes accepted after a pause: ours ${oursStale} of ${PAUSES}, dynamodb-lock-client ${peerStale} of ${PAUSES}`);
    rows.push({
      figure: `stale writes accepted from a leader paused past its lease, after takeover (${PAUSES} pauses; goal 0)`,
      value: `${oursStale} of ${PAUSES}`,
      baseline: `dynamodb-lock-client, its caller writing as its README shows: ${peerStale} of ${PAUSES}`,
      ratio: ratio(oursStale, peerStale),
    });
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}
