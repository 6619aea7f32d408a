/**
 * Strangler Fig, the other way, as use cases on DynamoDB Local: legacy's rows (its changes endpoint played by
 * an in-memory page reader the test writes to) imported into the event store by the backfill and change
 * capture, raced against each other, repeated, and met by legacy's outages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURRENT_SCHEMA_VERSION, orderUpcasters, type OrderStatus } from '../../lambdas/domain/orders/index.ts';
import { EventStore } from '../../lambdas/patterns/event-sourcing/index.ts';
import type { LegacyChangesPage, LegacyOrder } from '../../lambdas/use-cases/legacy-contract.ts';
import {
  captureLegacyChanges,
  importLegacyChanges,
  importLegacyOrder,
  rewound,
  type LegacyImportDeps,
} from '../../lambdas/use-cases/legacy-import.ts';
import { createEventsTable, startLocalDynamo } from '../helpers/tables.ts';

let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
let store: EventStore;
let rows = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  await createEventsTable(dynamo.raw);
  store = new EventStore({ client: dynamo.client, tableName: 'events', upcasters: orderUpcasters, schemaVersions: CURRENT_SCHEMA_VERSION });
});

afterAll(() => dynamo?.stop());

const deps = (ownerOf: (status: OrderStatus) => 'eightfold' | 'legacy' = () => 'legacy'): LegacyImportDeps => ({
  store,
  now: () => new Date('2026-12-05T10:00:00.000Z'),
  ownerOf,
  metadata: { correlationId: 'c', actor: 'test' },
});

/** A row of legacy's, as its changes endpoint lists it: placed at its counter, then the revisions given. */
function legacyRow(
  revisions: { by: 'LEGACY' | 'EIGHTFOLD'; status_code?: 'N' | 'P' | 'C' | 'S' }[] = [],
  source: 'LEGACY' | 'EIGHTFOLD' = 'LEGACY',
) {
  const orderNo = `L-${++rows}`;
  const all = [{ by: source, status_code: 'N' as const }, ...revisions].map((revision, i) => ({
    rev: i + 1,
    at: `2026-12-05T09:00:0${i}.000Z`,
    ...revision,
  }));
  const status = all.findLast((revision) => revision.status_code)!.status_code!;
  return {
    order_no: orderNo,
    customer_no: 'c-1',
    status_code: status,
    lines: [{ sku: 'KETTLE', qty: 2, unit_price: '34.50' }],
    total_amount: '69.00',
    placed_at: '2026-12-05T09:00:00.000Z',
    updated_at: all.at(-1)!.at,
    rev: all.length,
    source,
    revisions: all,
    changed_at: all.at(-1)!.at,
  } satisfies LegacyOrder;
}

const typesOf = async (orderId: string) => (await store.read(orderId)).events.map((e) => e.type);

describe('importing one of legacy’s rows', () => {
  it('imports an order legacy took whole, at its revision and status, once however often it is read', async () => {
    const row = legacyRow([{ by: 'LEGACY', status_code: 'C' }]);
    expect(await importLegacyOrder(deps(), row)).toBe('imported');
    expect(await importLegacyOrder(deps(), row)).toBe('unchanged');
    const { events } = await store.read(row.order_no);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'OrderImported',
      data: { orderId: row.order_no, customerId: 'c-1', status: 'CANCELLED', totalCents: 6900, legacyRev: 2 },
    });
  });

  it('takes the revisions legacy made later as the events they stand for, each once', async () => {
    const row = legacyRow();
    await importLegacyOrder(deps(), row);
    const paid = {
      ...row,
      rev: 2,
      status_code: 'P' as const,
      revisions: [...row.revisions, { rev: 2, by: 'LEGACY' as const, status_code: 'P' as const, at: 't2' }],
    };
    expect(await importLegacyOrder(deps(), paid)).toBe('changed');
    expect(await importLegacyOrder(deps(), paid)).toBe('unchanged');
    expect(await typesOf(row.order_no)).toEqual(['OrderImported', 'OrderPaid']);
  });

  it('never takes back what Eightfold fed: a row of Eightfold’s own revisions is passed over without a read', async () => {
    const row = legacyRow([{ by: 'EIGHTFOLD', status_code: 'C' }], 'EIGHTFOLD');
    expect(await importLegacyOrder(deps(), row)).toBe('unchanged');
    expect(await typesOf(row.order_no)).toEqual([]);
  });

  it('names an orphan: a row Eightfold’s feed wrote, changed by legacy, for an order Eightfold does not hold', async () => {
    const row = legacyRow([{ by: 'LEGACY', status_code: 'C' }], 'EIGHTFOLD');
    expect(await importLegacyOrder(deps(), row)).toBe('orphaned');
  });

  it('imports each order once when the backfill and change capture read it at the same moment', async () => {
    const contested = Array.from({ length: 20 }, () => legacyRow([{ by: 'LEGACY', status_code: 'C' }]));
    const outcomes = await Promise.all(contested.flatMap((row) => [importLegacyOrder(deps(), row), importLegacyOrder(deps(), row)]));
    expect(outcomes.filter((o) => o === 'imported')).toHaveLength(20);
    for (const row of contested) expect(await typesOf(row.order_no)).toEqual(['OrderImported']);
  });

  it('settles a change the order’s state refuses by the owner of its route: legacy owned it, a conflict; Eightfold did, rejected', async () => {
    for (const [owner, outcome] of [
      ['legacy', 'conflict'],
      ['eightfold', 'rejected'],
    ] as const) {
      const row = legacyRow();
      await importLegacyOrder(deps(), row);
      // Legacy shipped it without a payment (no transition here allows that).
      const shipped = {
        ...row,
        rev: 2,
        status_code: 'S' as const,
        revisions: [...row.revisions, { rev: 2, by: 'LEGACY' as const, status_code: 'S' as const, at: 't2' }],
      };
      expect(
        await importLegacyOrder(
          deps(() => owner),
          shipped,
        ),
      ).toBe(outcome);
      const { events } = await store.read(row.order_no);
      expect(events.at(-1)).toMatchObject({
        type: 'LegacyChangeRejected',
        data: { legacyRev: 2, legacyStatus: 'SHIPPED', keptStatus: 'PLACED', owner },
      });
      expect(
        await importLegacyOrder(
          deps(() => owner),
          shipped,
        ),
      ).toBe('unchanged');
    }
  });
});

/** Legacy's changes endpoint, in memory: rows by when they last changed, a page at a time after a cursor. */
class LegacyChanges {
  readonly rows = new Map<string, LegacyOrder>();
  down = false;
  reads = 0;

  put(row: LegacyOrder, changedAt: string): void {
    this.rows.set(row.order_no, { ...row, changed_at: changedAt });
  }

  read = async (changedSince: string, limit: number): Promise<LegacyChangesPage> => {
    this.reads++;
    if (this.down) throw new Error('legacy answered 503');
    const sorted = [...this.rows.values()]
      .map((row) => ({ row, key: `${row.changed_at}#${row.order_no}` }))
      .filter(({ key }) => key > changedSince)
      .sort((a, b) => a.key.localeCompare(b.key));
    const page = sorted.slice(0, limit);
    return { orders: page.map(({ row }) => row), next: page.at(-1)?.key ?? changedSince, more: sorted.length > limit };
  };
}

describe('paging through legacy’s changes', () => {
  it('imports every row, page after page, calling back with the cursor after each page', async () => {
    const legacy = new LegacyChanges();
    const added = Array.from({ length: 25 }, () => legacyRow());
    added.forEach((row, i) => legacy.put(row, `2026-12-05T08:00:${String(i).padStart(2, '0')}.000Z`));
    const cursors: string[] = [];
    const progress = await importLegacyChanges(
      { ...deps(), readChanges: legacy.read },
      { since: '', pageSize: 10, onPage: (p) => void cursors.push(p.next) },
    );
    expect(progress).toMatchObject({ rows: 25, more: false, outcomes: { imported: 25 } });
    expect(cursors).toHaveLength(3);
    expect(cursors.at(-1)).toBe(`2026-12-05T08:00:24.000Z#${added.at(-1)!.order_no}`);
  });

  it('captures on a clock: from the checkpoint less the overlap, through an outage, moving the checkpoint on', async () => {
    const legacy = new LegacyChanges();
    let clock = Date.parse('2026-12-05T11:00:00.000Z');
    let checkpoint: string | undefined = '2026-12-05T11:00:00.000Z#';
    const written: string[] = [];
    const early = legacyRow();
    // Written 5 s before the checkpoint but indexed late: the overlap re-reads it.
    legacy.put(early, '2026-12-05T10:59:55.000Z');
    const late = legacyRow();
    const failures: unknown[] = [];
    const result = await captureLegacyChanges(
      {
        ...deps(),
        readChanges: legacy.read,
        checkpoint: { read: async () => checkpoint, write: async (next) => void written.push((checkpoint = next)) },
      },
      {
        deadline: clock + 10_000,
        stillLeading: () => true,
        pollMs: 1_000,
        overlapMs: 10_000,
        clock: () => clock,
        sleep: async (ms) => {
          clock += ms;
          // Legacy goes down for the third and fourth polls; a new order comes meanwhile.
          legacy.down = clock >= Date.parse('2026-12-05T11:00:02.000Z') && clock < Date.parse('2026-12-05T11:00:04.000Z');
          if (clock === Date.parse('2026-12-05T11:00:03.000Z')) legacy.put(late, '2026-12-05T11:00:03.000Z');
        },
        onPollFailed: (error) => failures.push(error),
      },
    );
    expect(result.polls).toBe(10);
    expect(result.failedPolls).toBe(2);
    expect(failures).toHaveLength(2);
    expect(result.outcomes.imported).toBe(2);
    expect(await typesOf(early.order_no)).toEqual(['OrderImported']);
    expect(await typesOf(late.order_no)).toEqual(['OrderImported']);
    expect(written.at(-1)).toBe(`2026-12-05T11:00:03.000Z#${late.order_no}`);
    // Rows already taken in this turn are passed over: each imported once, though read on every poll.
    expect(legacy.reads).toBe(10);
    expect(rewound(written.at(-1)!, 10_000)).toBe('2026-12-05T10:59:53.000Z');
  });
});
