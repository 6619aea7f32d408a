/**
 * Strangler Fig, the other way: legacy's orders, and the changes legacy still makes to them, taken into the
 * event store, so a route can move to Eightfold without losing what legacy holds. Legacy is read through its
 * API (its changes endpoint, `GET /integration/orders?changedSince=`), never its tables. The backfill
 * (`npm run migrate-legacy`) and change capture (the legacy-capture leader) both run `importLegacyChanges`;
 * every import is idempotent, so the two may overlap, run again, or resume anywhere.
 */
import { isConcurrencyError, handleCommand, type EventMetadata, type EventStore } from '../patterns/event-sourcing/index.ts';
import type { RoutingTable } from '../patterns/strangler/index.ts';
import {
  orderDecider,
  type ImportedOrder,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
  type OrderStatus,
} from '../domain/orders/index.ts';
import type { OutboundRequest, OutboundResponse } from '../patterns/ambassador/index.ts';
import type { Checkpoint } from '../patterns/leader-election/index.ts';
import { centsOf, LEGACY_STATUS, legacyChangesPageSchema, type LegacyChangesPage, type LegacyOrder } from './legacy-contract.ts';
import { LegacyRefusedError } from './legacy-feed.ts';

/** Who owns a route's writes: Eightfold when the route is in `eightfold` mode; legacy in any other (it takes the writes). */
export type WriteOwner = 'eightfold' | 'legacy';

/** The public route a status legacy gives an order comes through. */
const ROUTE_OF_STATUS: Record<OrderStatus, string> = {
  PLACED: 'POST /orders',
  PAID: 'POST /orders/{orderId}/payment',
  CANCELLED: 'POST /orders/{orderId}/cancel',
  SHIPPED: 'POST /orders/{orderId}/ship',
};

/** Per status, who owned the writes of the route that gives it, by the routing table. */
export const writeOwnersOf =
  (routes: RoutingTable) =>
  (status: OrderStatus): WriteOwner =>
    routes[ROUTE_OF_STATUS[status]]?.mode === 'eightfold' ? 'eightfold' : 'legacy';

export interface LegacyImportDeps {
  readonly store: EventStore;
  readonly now: () => Date;
  readonly ownerOf: (status: OrderStatus) => WriteOwner;
  readonly metadata: EventMetadata;
}

/**
 * What importing a row did: `imported` an order new to Eightfold; `changed` an order by legacy's later
 * revisions; `rejected` one of them on a route Eightfold owns (Eightfold's state stands, legacy is
 * corrected); `conflict` one on a route legacy owns that Eightfold cannot take (an operator's to settle);
 * `unchanged` nothing to take (taken already, or only Eightfold's own revisions); `orphaned` a row fed by
 * Eightfold whose order Eightfold does not hold.
 */
export type ImportOutcome = 'imported' | 'changed' | 'rejected' | 'conflict' | 'unchanged' | 'orphaned';

/** Counts of each outcome, none yet. */
export const noOutcomes = (): Record<ImportOutcome, number> => ({
  imported: 0,
  changed: 0,
  rejected: 0,
  conflict: 0,
  unchanged: 0,
  orphaned: 0,
});

/** Legacy's row as the order it holds, in Eightfold's terms, at the row's revision. */
export function importedOrderOf(row: LegacyOrder): ImportedOrder {
  return {
    orderId: row.order_no,
    customerId: row.customer_no,
    items: row.lines.map((line) => ({ sku: line.sku, quantity: line.qty, unitPriceCents: centsOf(line.unit_price) })),
    totalCents: centsOf(row.total_amount),
    placedAt: row.placed_at,
    status: LEGACY_STATUS[row.status_code],
    updatedAt: row.updated_at,
    legacyRev: row.rev,
  };
}

/** A row all of whose revisions Eightfold's feed made: nothing in it for Eightfold to take. */
export const isEightfoldsOwn = (row: LegacyOrder): boolean => row.revisions.every((revision) => revision.by === 'EIGHTFOLD');

/**
 * Takes one row of legacy's into the event store. An order new to Eightfold is imported whole, at the row's
 * revision (`OrderImported`); on an order Eightfold holds, every revision legacy made after the newest it
 * took becomes the event it stands for, judged by the decider (`TakeLegacyChange`); Eightfold's own
 * revisions are skipped, so nothing echoes. Safe to repeat and to run beside other writers: appends are
 * conditional on the version decided on, and a conflict decides again.
 */
export async function importLegacyOrder(deps: LegacyImportDeps, row: LegacyOrder): Promise<ImportOutcome> {
  if (isEightfoldsOwn(row)) return 'unchanged';
  const orderId = row.order_no;
  const now = () => deps.now().toISOString();
  // An order legacy took is most likely new here (a backfill, a new order captured): its import is one
  // conditional write, with nothing to load. Only if the order exists already is it loaded, for its changes.
  if (row.source === 'LEGACY') {
    const command: OrderCommand = { type: 'ImportOrder', data: importedOrderOf(row), now: now() };
    try {
      await handleCommand(deps.store, orderDecider, orderId, command, deps.metadata, { expectedVersion: 0 });
      return 'imported';
    } catch (error) {
      if (!isConcurrencyError(error)) throw error;
    }
  }
  let current: { version: number; state: OrderState } = await deps.store.load<OrderState, OrderEvent>(orderId, orderDecider);
  if (current.state.status === 'NONE') return 'orphaned';
  let outcome: ImportOutcome = 'unchanged';
  for (const revision of row.revisions) {
    const taken = current.state.status === 'NONE' ? 0 : (current.state.legacyRev ?? 0);
    if (revision.by !== 'LEGACY' || !revision.status_code || revision.rev <= taken) continue;
    const status = LEGACY_STATUS[revision.status_code];
    const command: OrderCommand = {
      type: 'TakeLegacyChange',
      data: { orderId, legacyRev: revision.rev, status, at: revision.at, owner: deps.ownerOf(status) },
      now: now(),
    };
    const result = await handleCommand(deps.store, orderDecider, orderId, command, deps.metadata, { known: current });
    current = { version: result.version, state: result.state };
    const rejection = result.events.find((event) => event.type === 'LegacyChangeRejected');
    if (rejection) outcome = (rejection.data as { owner: WriteOwner }).owner === 'legacy' ? 'conflict' : 'rejected';
    else if (result.events.length > 0 && outcome === 'unchanged') outcome = 'changed';
  }
  return outcome;
}

/** Reads a page of legacy's changes endpoint through the ambassador. */
export const legacyChangesReader =
  (send: (request: OutboundRequest) => Promise<OutboundResponse>) =>
  async (changedSince: string, limit: number): Promise<LegacyChangesPage> => {
    const query = new URLSearchParams({ ...(changedSince ? { changedSince } : {}), limit: String(limit) });
    const response = await send({ method: 'GET', path: `/integration/orders?${query}` });
    if (response.status !== 200)
      throw new LegacyRefusedError(`legacy's changes endpoint answered ${response.status} ${JSON.stringify(response.body)}`, {
        orderId: '*',
        version: 0,
        status: response.status,
      });
    return legacyChangesPageSchema.parse(response.body);
  };

export interface ImportChangesInput {
  /** Where to start: a page's `next`, an ISO time, or '' for the beginning. */
  readonly since: string;
  readonly pageSize: number;
  /** Rows imported at once within a page (each is a different order). @default 8 */
  readonly concurrency?: number;
  /** Rows to pass over, by order and revision: taken already in this run. */
  readonly taken?: Map<string, number>;
  /** Checked between pages: false stops (a lease running out, a deadline). @default always true */
  readonly keepGoing?: () => boolean;
  /** Called after each page with the cursor after it and the running counts: a checkpoint, a progress bar. */
  readonly onPage?: (progress: ImportProgress) => Promise<void> | void;
}

export interface ImportProgress {
  /** The cursor after the last page read: resume from here. */
  readonly next: string;
  readonly rows: number;
  readonly outcomes: Readonly<Record<ImportOutcome, number>>;
  /** Whether legacy said more changes follow the last page. */
  readonly more: boolean;
}

/** Pages through legacy's changes from `since`, importing every row, until legacy has no more (or `keepGoing` says stop). */
export async function importLegacyChanges(
  deps: LegacyImportDeps & { readonly readChanges: (changedSince: string, limit: number) => Promise<LegacyChangesPage> },
  input: ImportChangesInput,
): Promise<ImportProgress> {
  const outcomes = noOutcomes();
  let progress: ImportProgress = { next: input.since, rows: 0, outcomes, more: true };
  const concurrency = input.concurrency ?? 8;
  while (progress.more && (input.keepGoing?.() ?? true)) {
    const page = await deps.readChanges(progress.next, input.pageSize);
    const rows = page.orders.filter((row) => (input.taken?.get(row.order_no) ?? 0) < row.rev);
    for (let i = 0; i < rows.length; i += concurrency) {
      await Promise.all(
        rows.slice(i, i + concurrency).map(async (row) => {
          outcomes[await importLegacyOrder(deps, row)]++;
          input.taken?.set(row.order_no, row.rev);
        }),
      );
    }
    progress = { next: page.next, rows: progress.rows + page.orders.length, outcomes, more: page.more };
    await input.onPage?.(progress);
  }
  return progress;
}

/** The time a cursor of legacy's changes endpoint stands at (an ISO time, or a page's `next`: `time#order`). */
export const cursorTime = (cursor: string): number => Date.parse(cursor.split('#')[0]!);

/** The cursor `overlapMs` before `cursor`: legacy's changes index is eventually consistent, and its writers' clocks race. */
export function rewound(cursor: string, overlapMs: number): string {
  if (!cursor) return cursor;
  return new Date(cursorTime(cursor) - overlapMs).toISOString();
}

export interface CaptureInput {
  /** When this turn's capture must stop (its leader's next turn takes over). */
  readonly deadline: number;
  /** False once the lease is no longer this leader's. */
  readonly stillLeading: () => boolean;
  /** Between polls of legacy's changes endpoint. */
  readonly pollMs: number;
  /** How far before the checkpoint each poll re-reads (rows already taken this turn are passed over). */
  readonly overlapMs: number;
  readonly pageSize?: number;
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** A poll that failed (legacy unreachable, its breaker open): logged, and polled again. */
  readonly onPollFailed?: (error: unknown) => void;
}

/**
 * Change capture, one leader's turn: poll legacy's changes from the checkpoint (a little before it), import
 * every row, move the checkpoint on, and again every `pollMs` until the deadline or the lease runs out. A
 * first turn with no checkpoint starts from now: what came before is the backfill's (`npm run migrate-legacy`).
 */
export async function captureLegacyChanges(
  /** `checkpoint`: where capture resumes, a cursor of legacy's changes endpoint kept beside the capture's lease. */
  deps: Parameters<typeof importLegacyChanges>[0] & { readonly checkpoint: Checkpoint },
  input: CaptureInput,
): Promise<{ polls: number; failedPolls: number; cursor: string; outcomes: Record<ImportOutcome, number> }> {
  const clock = input.clock ?? Date.now;
  const sleep = input.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const keepGoing = () => clock() < input.deadline && input.stillLeading();
  let cursor = (await deps.checkpoint.read()) ?? new Date(clock() - input.overlapMs).toISOString();
  const outcomes = noOutcomes();
  const taken = new Map<string, number>();
  let polls = 0;
  let failedPolls = 0;
  while (keepGoing()) {
    const started = clock();
    polls++;
    try {
      const since = rewound(cursor, input.overlapMs);
      const progress = await importLegacyChanges(deps, { since, pageSize: input.pageSize ?? 100, taken, keepGoing });
      for (const [outcome, count] of Object.entries(progress.outcomes)) outcomes[outcome as ImportOutcome] += count;
      if (progress.next > cursor) {
        cursor = progress.next;
        await deps.checkpoint.write(cursor);
      }
    } catch (error) {
      // Legacy down, its breaker open: the changes wait in legacy, and the next poll asks again.
      failedPolls++;
      input.onPollFailed?.(error);
    }
    const wait = Math.min(input.pollMs - (clock() - started), input.deadline - clock());
    if (wait > 0 && keepGoing()) await sleep(wait);
  }
  return { polls, failedPolls, cursor, outcomes };
}
