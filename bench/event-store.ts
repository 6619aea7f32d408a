/**
 * Event store figures, side by side with Castore's DynamoDB adapter (@castore/event-storage-adapter-dynamodb)
 * on the same DynamoDB Local: appends/s, DynamoDB requests and write units per command, stream load time;
 * and the projection lag through the local cloud.
 */
import { CreateTableCommand, DynamoDBClient, type ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBSingleTableEventStorageAdapter } from '@castore/event-storage-adapter-dynamodb';
import { fold, orderDecider, orderUpcasters, type OrderCommand, type OrderEvent } from '../lambdas/domain/orders/index.ts';
import { EventStore, handleCommand } from '../lambdas/patterns/event-sourcing/index.ts';
import { LOCAL_CREDENTIALS, startDynamoDbLocal, startLocalCloud } from '@eightfold/local-cloud';
import { log, ms, percentile, ratio, ROOT, SAMPLES, sleep, type Row } from './common.ts';

const META = { correlationId: 'bench', actor: 'bench' };
const EVENT_STORE_ID = 'orders';
const declined = (n: number): OrderEvent => ({
  type: 'PaymentDeclined',
  data: { reason: `r${n}`, declinedAt: '2026-11-25T12:00:00.000Z' },
});
const placed = (orderId: string, placedAt = '2026-11-25T12:00:00.000Z'): OrderEvent => ({
  type: 'OrderPlaced',
  data: { orderId, customerId: 'bench', items: [{ sku: 'BOOK', quantity: 1, unitPriceCents: 999 }], totalCents: 999, placedAt },
});

/** Counts every request a client sends and the capacity DynamoDB reports for it. */
function meter(client: DynamoDBClient): { requests: number; writeUnits: number; readUnits: number; reset(): void } {
  const counter = {
    requests: 0,
    writeUnits: 0,
    readUnits: 0,
    reset() {
      this.requests = this.writeUnits = this.readUnits = 0;
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity ??= 'TOTAL';
      counter.requests++;
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
      // DynamoDB Local reports only the total; the command says whether it was read or written.
      const units = [consumed ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      if (/Put|Update|Delete|TransactWrite|BatchWrite/.test(context.commandName ?? '')) counter.writeUnits += units;
      else counter.readUnits += units;
      return result;
    },
    { step: 'initialize', name: 'benchMeter' },
  );
  return counter;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

export async function eventStoreFigures(rows: Row[]): Promise<void> {
  const dynamo = await startDynamoDbLocal();
  const config = { endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS };
  const oursRaw = new DynamoDBClient(config);
  const peerRaw = new DynamoDBClient(config);
  try {
    await oursRaw.send(
      new CreateTableCommand({
        TableName: 'ours',
        KeySchema: [
          { AttributeName: 'streamId', KeyType: 'HASH' },
          { AttributeName: 'position', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'streamId', AttributeType: 'S' },
          { AttributeName: 'position', AttributeType: 'N' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await peerRaw.send(
      new CreateTableCommand({
        TableName: 'castore',
        KeySchema: [
          { AttributeName: 'aggregateId', KeyType: 'HASH' },
          { AttributeName: 'version', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'aggregateId', AttributeType: 'S' },
          { AttributeName: 'version', AttributeType: 'N' },
          { AttributeName: 'eventStoreId', AttributeType: 'S' },
          { AttributeName: 'timestamp', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'initialEvents',
            KeySchema: [
              { AttributeName: 'eventStoreId', KeyType: 'HASH' },
              { AttributeName: 'timestamp', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const oursMeter = meter(oursRaw);
    const peerMeter = meter(peerRaw);
    const ours = new EventStore({
      client: DynamoDBDocumentClient.from(oursRaw),
      tableName: 'ours',
      upcasters: orderUpcasters,
      snapshotEvery: 50,
    });
    const oursNoSnapshots = new EventStore({
      client: DynamoDBDocumentClient.from(oursRaw),
      tableName: 'ours',
      upcasters: orderUpcasters,
      snapshotEvery: 1e9,
    });
    const peer = new DynamoDBSingleTableEventStorageAdapter({ tableName: 'castore', dynamoDBClient: peerRaw });

    // Appends: writers each growing their own streams, one event per append. Both sides are bound by the same
    // DynamoDB Local, so a round must be long (a few seconds) for its rate to rise above the engine's jitter.
    const appendsPerRound = Math.max(SAMPLES * 3, 960);
    const appendsPerSecond = async (
      append: (stream: string, version: number) => Promise<unknown>,
      prefix: string,
      writers: number,
    ): Promise<number> => {
      const perWriter = Math.ceil(appendsPerRound / writers);
      const elapsed = await timed(() =>
        Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            for (let v = 0; v < perWriter; v++) await append(`${prefix}-${w}-${Math.floor(v / 10)}`, v % 10);
          }),
        ),
      );
      return (writers * perWriter) / (elapsed / 1000);
    };
    const oursAppend = (stream: string, version: number) =>
      ours.append(stream, version, [version === 0 ? placed(stream) : declined(version)], META);
    const peerAppend = (stream: string, version: number) => {
      const event = version === 0 ? placed(stream) : declined(version);
      return peer.pushEvent(
        { aggregateId: stream, version: version + 1, type: event.type, payload: event.data, metadata: META },
        { eventStoreId: EVENT_STORE_ID },
      );
    };
    // The same event as one PutItem on the same table, with no envelope work: bare (the limit), or with the
    // condition that makes an append optimistic (of two writers at one version, one wins), the least an append
    // can send. What DynamoDB Local spends on the condition shows between the two.
    const bareClient = DynamoDBDocumentClient.from(oursRaw);
    const putOf = (condition?: string) => (stream: string, version: number) => {
      const event = version === 0 ? placed(stream) : declined(version);
      return bareClient.send(
        new PutCommand({
          TableName: 'ours',
          Item: { streamId: stream, position: version, type: event.type, data: event.data, metadata: META },
          ...(condition ? { ConditionExpression: condition } : {}),
        }),
      );
    };
    const barePut = putOf();
    const conditionalPut = putOf('attribute_not_exists(streamId)');
    // DynamoDB Local's JVM keeps warming up for a while: warm every side, then rotate rounds and take medians,
    // so no side is measured on a colder engine.
    const sides = { ours: oursAppend, peer: peerAppend, bare: barePut, conditional: conditionalPut };
    for (const [name, append] of Object.entries(sides)) await appendsPerSecond(append, `warm-${name}`, 4);
    for (const writers of [1, 16]) {
      const rates: Record<keyof typeof sides, number[]> = { ours: [], peer: [], bare: [], conditional: [] };
      // Who goes first rotates every round, so no side always follows another's garbage collection.
      const names = Object.keys(sides) as (keyof typeof sides)[];
      for (let round = 0; round < 2 * names.length + 1; round++) {
        for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)])
          rates[name].push(await appendsPerSecond(sides[name], `${name}-${writers}-${round}`, writers));
      }
      const [oursRate, peerRate, bareRate, conditionalRate] = [rates.ours, rates.peer, rates.bare, rates.conditional].map((r) =>
        percentile(r, 50),
      ) as [number, number, number, number];
      const label = writers === 1 ? 'sequential' : `concurrency ${writers}`;
      log(
        `appends/s at ${label}: ours ${oursRate.toFixed(0)}, Castore ${peerRate.toFixed(0)}, bare PutItem ${bareRate.toFixed(0)}, conditional PutItem ${conditionalRate.toFixed(0)}`,
      );
      rows.push(
        {
          figure: `event store appends/s, ${label} (DynamoDB Local)`,
          value: `${oursRate.toFixed(0)}/s`,
          baseline: `Castore DynamoDB adapter: ${peerRate.toFixed(0)}/s`,
          ratio: ratio(oursRate, peerRate),
        },
        {
          figure: `event store appends/s, ${label}, against the limit (DynamoDB Local)`,
          value: `${oursRate.toFixed(0)}/s`,
          baseline: `the same events as bare PutItems on the same table: ${bareRate.toFixed(0)}/s`,
          ratio: ratio(oursRate, bareRate),
          goal: '≥ 0.95×',
          met: oursRate >= 0.95 * bareRate,
        },
        {
          figure: `event store appends/s, ${label}, against the same PutItems with the append's condition (the least an optimistic append can send)`,
          value: `${oursRate.toFixed(0)}/s`,
          baseline: `conditional PutItems on the same table: ${conditionalRate.toFixed(0)}/s (${ratio(conditionalRate, bareRate)} of bare ones)`,
          ratio: ratio(oursRate, conditionalRate),
        },
      );
    }

    // A command on an existing order: load it, decide, append.
    const commands = Math.min(SAMPLES, 100);
    for (let i = 0; i < commands; i++) {
      await ours.append(`cmd-ours-${i}`, 0, [placed(`cmd-ours-${i}`), declined(1), declined(2)], META);
      await peerAppend(`cmd-peer-${i}`, 0);
      await peerAppend(`cmd-peer-${i}`, 1);
      await peerAppend(`cmd-peer-${i}`, 2);
    }
    oursMeter.reset();
    peerMeter.reset();
    for (let i = 0; i < commands; i++) {
      const command: OrderCommand = { type: 'RequestPayment', data: { orderId: `cmd-ours-${i}`, paymentKey: `bench-${i}` }, now: 'now' };
      await handleCommand(ours, orderDecider, `cmd-ours-${i}`, command, META);
      const { events } = await peer.getEvents(`cmd-peer-${i}`, { eventStoreId: EVENT_STORE_ID });
      const state = fold(events.map((e) => ({ type: e.type, data: e.payload }) as OrderEvent));
      const next = orderDecider.decide({ ...command, data: { ...command.data, orderId: `cmd-peer-${i}` } }, state)[0]!;
      await peer.pushEvent(
        { aggregateId: `cmd-peer-${i}`, version: events.length + 1, type: next.type, payload: next.data, metadata: META },
        { eventStoreId: EVENT_STORE_ID },
      );
    }
    const per = (n: number) => (n / commands).toFixed(2);
    log(
      `per command: ours ${per(oursMeter.requests)} requests ${per(oursMeter.writeUnits)} WCU; Castore ${per(peerMeter.requests)} requests ${per(peerMeter.writeUnits)} WCU`,
    );
    rows.push(
      {
        figure: 'DynamoDB requests per command (load, decide, append)',
        value: per(oursMeter.requests),
        baseline: `Castore: ${per(peerMeter.requests)}`,
        ratio: ratio(oursMeter.requests, peerMeter.requests),
      },
      {
        figure: 'consumed capacity per command (write + read units)',
        value: `${per(oursMeter.writeUnits)} WCU + ${per(oursMeter.readUnits)} RCU`,
        baseline: `Castore: ${per(peerMeter.writeUnits)} WCU + ${per(peerMeter.readUnits)} RCU`,
        ratio: ratio(oursMeter.writeUnits + oursMeter.readUnits, peerMeter.writeUnits + peerMeter.readUnits),
      },
    );

    // Loading a 1,000-event stream and folding it to the order's state.
    const long = 1000;
    for (let v = 0; v < long; v += 10) {
      const batch = Array.from({ length: 10 }, (_, i) => (v + i === 0 ? placed('long-ours') : declined(v + i)));
      const state = fold(batch, v === 0 ? undefined : (await ours.load('long-ours', orderDecider)).state);
      await ours.append(
        'long-ours',
        v,
        batch,
        META,
        ours.shouldSnapshot(v, v + 10) ? { state, stateSchemaVersion: orderDecider.stateSchemaVersion } : undefined,
      );
      await oursNoSnapshots.append(
        'long-plain',
        v,
        batch.map((e) => (e.type === 'OrderPlaced' ? placed('long-plain') : e)),
        META,
      );
    }
    for (let v = 0; v < long; v++) await peerAppend('long-peer', v);
    const loads = async (load: () => Promise<unknown>): Promise<number> => {
      for (let i = 0; i < 3; i++) await load();
      const samples: number[] = [];
      for (let i = 0; i < 20; i++) samples.push(await timed(load));
      return percentile(samples, 50);
    };
    const withSnapshots = await loads(() => ours.load('long-ours', orderDecider));
    const withoutSnapshots = await loads(() => oursNoSnapshots.load('long-plain', orderDecider));
    const peerLoad = await loads(async () => {
      const { events } = await peer.getEvents('long-peer', { eventStoreId: EVENT_STORE_ID });
      return fold(events.map((e) => ({ type: e.type, data: e.payload }) as OrderEvent));
    });
    log(`load 1,000 events p50: ours ${ms(withSnapshots)} with snapshots, ${ms(withoutSnapshots)} without; Castore ${ms(peerLoad)}`);
    rows.push(
      {
        figure: 'load a 1,000-event order, snapshots every 50 (p50)',
        value: ms(withSnapshots),
        baseline: `Castore (full read): ${ms(peerLoad)}`,
        ratio: ratio(withSnapshots, peerLoad),
      },
      {
        figure: 'load a 1,000-event order, no snapshots (p50)',
        value: ms(withoutSnapshots),
        baseline: `Castore (full read): ${ms(peerLoad)}`,
        ratio: ratio(withoutSnapshots, peerLoad),
      },
    );
  } finally {
    oursRaw.destroy();
    peerRaw.destroy();
    await dynamo.stop();
  }
}

/** Append → OrdersView row visible, through the local cloud's stream poller and projector. */
export async function projectionLagFigures(rows: Row[]): Promise<void> {
  const cloud = await startLocalCloud({ appDir: ROOT, port: 0, iam: 'off', onLog: () => undefined });
  const raw = new DynamoDBClient({ endpoint: cloud.endpoints.dynamodb, region: cloud.region, credentials: LOCAL_CREDENTIALS });
  const client = DynamoDBDocumentClient.from(raw);
  try {
    const eventsTable = cloud.resource('EventStore/Events').physicalId;
    const viewTable = cloud.resource('ReadModel/OrdersView').physicalId;
    const store = new EventStore({ client, tableName: eventsTable, upcasters: orderUpcasters });
    // Scheduled functions (the leader election's contenders) start their sandboxes on their first firing, a
    // minute in, and those cold starts take the 2 cores from the poller and projector for a while. On AWS they
    // run elsewhere, and after a minute they are warm anyway: fire them once now, so the lag is steady state.
    await cloud.scheduler.fireAll();
    const lags: number[] = [];
    const samples = Math.min(SAMPLES, 200);
    for (let i = 0; i < samples + 10; i++) {
      const orderId = `lag-${i}`;
      // Placed now: an order placed long ago is one the leader's job cancels as unpaid, and those cancellations
      // (each through the projector, the publisher and four subscribers) would be load of their own.
      await store.append(orderId, 0, [placed(orderId, new Date().toISOString())], META);
      const appended = performance.now();
      for (;;) {
        const { Item } = await client.send(new GetCommand({ TableName: viewTable, Key: { orderId }, ConsistentRead: true }));
        if (Item) break;
        if (performance.now() - appended > 10_000) throw new Error(`${orderId} never reached the view`);
        // Every 5 ms: finer than that, the observer's own reads load the DynamoDB Local the projector writes to.
        await sleep(5);
      }
      if (i >= 10) lags.push(performance.now() - appended); // the first 10 warm the projector
      // A random pause, so appends land anywhere in the poller's 250 ms cycle, as real traffic does: a fixed
      // one locks each append to the same phase (just after the poller's last read) and measures that phase only.
      await sleep(20 + Math.random() * 250);
    }
    const goal = 2 * 250; // twice the stream poll interval
    const p50 = percentile(lags, 50);
    const p99 = percentile(lags, 99);
    log(`projection lag: p50 ${ms(p50)}, p99 ${ms(p99)}`);
    rows.push(
      {
        figure: 'projection lag p50 (append → OrdersView row)',
        value: ms(p50),
        baseline: `goal: ≤ 2 × stream poll interval = ${ms(goal)}`,
        ratio: ratio(p50, goal),
      },
      {
        figure: 'projection lag p99 (append → OrdersView row)',
        value: ms(p99),
        baseline: `goal: ≤ 2 × stream poll interval = ${ms(goal)}`,
        ratio: ratio(p99, goal),
      },
    );
  } finally {
    client.destroy();
    await cloud.stop();
  }
}
