/**
 * The legacy monolith's orders, kept the way the old system kept them: its own table and schema
 * (snake_case, one-letter status codes, prices as dollar strings, a revision counter and an audit trail of
 * revisions). Legacy serves the public orders API from them (the API Eightfold took over route by route),
 * runs its old daily report over them, takes Eightfold's orders through its integration feed
 * (`PUT /integration/orders/{orderId}`), and lists what changed (`GET /integration/orders?changedSince=`),
 * so Eightfold can take over its orders and follow the changes it still makes.
 */
import { GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { documentClient } from '../platform/clients.ts';
import { isConditionalCheckFailed } from '../kernel/dynamodb-errors.ts';
import { issuesText } from '../platform/http.ts';
import { placeOrderSchema } from '../use-cases/order-inputs.ts';
import {
  centsOf,
  dollarsOf,
  LEGACY_STATUS,
  legacyFeedSchema,
  type LegacyFeedAnswer,
  type LegacyFeedEntry,
  type LegacyOrder,
  type LegacyStatusCode,
  type LegacyWriter,
} from '../use-cases/legacy-contract.ts';

/** A row of legacy's ORDERS table, with the keys of its changes index. */
type LegacyOrderRow = LegacyOrder & { feed: typeof CHANGES_PARTITION; changed_key: string };

/** Legacy's index of its orders by when it last changed them: one partition, sorted by `changed_at#order_no`. */
export const LEGACY_CHANGES_INDEX = 'changes';
/** Legacy's index of a customer's orders, newest first. */
export const LEGACY_BY_CUSTOMER_INDEX = 'by_customer';
const CHANGES_PARTITION = 'orders';
const MAX_PAGE = 500;
/** Writes that met a concurrent one retry from a fresh read, this many times. */
const ATTEMPTS = 5;

/** What legacy answers: a status and a JSON body. */
export interface LegacyAnswer {
  readonly statusCode: number;
  readonly body: unknown;
}
const ok = (body: unknown, statusCode = 200): LegacyAnswer => ({ statusCode, body });
const failure = (statusCode: number, code: string, message: string): LegacyAnswer => ({ statusCode, body: { error: { code, message } } });

/** A legacy row in the public API's order shape (the shape both systems answer `GET /orders/{orderId}` with). */
export function publicOrderOf(row: LegacyOrder) {
  return {
    orderId: row.order_no,
    customerId: row.customer_no,
    status: LEGACY_STATUS[row.status_code],
    items: row.lines.map((line) => ({ sku: line.sku, quantity: line.qty, unitPriceCents: centsOf(line.unit_price) })),
    totalCents: centsOf(row.total_amount),
    version: row.rev,
    placedAt: row.placed_at,
    updatedAt: row.updated_at,
  };
}

/** A page's `?limit`: `fallback` when absent, else a whole number from 1 to `max`, or the answer that refuses it. */
function pageSizeOf(limit: string | undefined, fallback: number, max: number): number | LegacyAnswer {
  const size = limit === undefined ? fallback : Number(limit);
  return Number.isInteger(size) && size >= 1 && size <= max
    ? size
    : failure(400, 'VALIDATION_FAILED', `limit: a whole number from 1 to ${max}`);
}

/** The row's fields that say when legacy wrote it, for its changes index. */
const changedNow = (orderNo: string) => {
  const changedAt = new Date().toISOString();
  return { changed_at: changedAt, changed_key: `${changedAt}#${orderNo}`, feed: CHANGES_PARTITION } as const;
};

export class LegacyOrders {
  private readonly table: string;

  constructor(table: string) {
    this.table = table;
  }

  private async row(orderNo: string): Promise<LegacyOrderRow | undefined> {
    const { Item } = await documentClient.send(new GetCommand({ TableName: this.table, Key: { order_no: orderNo }, ConsistentRead: true }));
    return Item as LegacyOrderRow | undefined;
  }

  /** `POST /orders` at legacy's own counter: the public request, legacy's own order number. */
  async place(body: unknown): Promise<LegacyAnswer> {
    const parsed = placeOrderSchema.safeParse(body);
    if (!parsed.success) return failure(400, 'VALIDATION_FAILED', issuesText(parsed.error));
    // Legacy's counter has no sign-in: the body names the customer.
    if (!parsed.data.customerId) return failure(400, 'VALIDATION_FAILED', 'customerId: required');
    const orderNo = `L${randomBytes(8).toString('hex').toUpperCase()}`;
    const changed = changedNow(orderNo);
    const row: LegacyOrderRow = {
      order_no: orderNo,
      customer_no: parsed.data.customerId,
      status_code: 'N',
      lines: parsed.data.items.map((item) => ({ sku: item.sku, qty: item.quantity, unit_price: dollarsOf(item.unitPriceCents) })),
      total_amount: dollarsOf(parsed.data.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0)),
      placed_at: changed.changed_at,
      updated_at: changed.changed_at,
      rev: 1,
      source: 'LEGACY',
      revisions: [{ rev: 1, by: 'LEGACY', status_code: 'N', at: changed.changed_at }],
      ...changed,
    };
    await documentClient.send(new PutCommand({ TableName: this.table, Item: row, ConditionExpression: 'attribute_not_exists(order_no)' }));
    return ok({ orderId: orderNo, version: 1, status: 'PLACED' }, 201);
  }

  /** `GET /orders/{orderId}`. */
  async get(orderNo: string): Promise<LegacyAnswer> {
    const row = await this.row(orderNo);
    return row ? ok(publicOrderOf(row)) : failure(404, 'NOT_FOUND', `No order ${orderNo}`);
  }

  /** `GET /customers/{customerId}/orders?limit=N`: the customer's orders, newest first, in the public shape. */
  async ofCustomer(customerNo: string, limit: string | undefined): Promise<LegacyAnswer> {
    const size = pageSizeOf(limit, 20, 100);
    if (typeof size !== 'number') return size;
    const page = await documentClient.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: LEGACY_BY_CUSTOMER_INDEX,
        KeyConditionExpression: 'customer_no = :customer',
        ExpressionAttributeValues: { ':customer': customerNo },
        ScanIndexForward: false,
        Limit: size,
      }),
    );
    return ok({ orders: ((page.Items ?? []) as LegacyOrderRow[]).map(publicOrderOf) });
  }

  /** `GET /integration/orders/{orderId}`: the row as legacy keeps it, for the integration's own checks. */
  async getRow(orderNo: string): Promise<LegacyAnswer> {
    const row = await this.row(orderNo);
    return row ? ok(row) : failure(404, 'NOT_FOUND', `No order ${orderNo}`);
  }

  /**
   * `GET /integration/orders?changedSince=<cursor>&limit=N`: the orders legacy wrote after the cursor (an ISO
   * time, or the `next` of a previous page), oldest change first. A row changed again later moves on, so a
   * reader that follows `next` meets every row's latest revision. The index is eventually consistent, so a
   * reader that follows along re-reads a little before where it stopped (use-cases/legacy-import.ts).
   */
  async changes(changedSince: string | undefined, limit: string | undefined): Promise<LegacyAnswer> {
    const size = pageSizeOf(limit, 100, MAX_PAGE);
    if (typeof size !== 'number') return size;
    if (changedSince !== undefined && (changedSince.length > 120 || Number.isNaN(Date.parse(changedSince.split('#')[0]!))))
      return failure(400, 'VALIDATION_FAILED', 'changedSince: an ISO time, or the next of a previous page');
    const since = changedSince ?? '';
    const page = await documentClient.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: LEGACY_CHANGES_INDEX,
        KeyConditionExpression: since ? 'feed = :feed AND changed_key > :since' : 'feed = :feed',
        ExpressionAttributeValues: { ':feed': CHANGES_PARTITION, ...(since ? { ':since': since } : {}) },
        Limit: size,
      }),
    );
    const rows = (page.Items ?? []) as LegacyOrderRow[];
    const orders = rows.map(({ feed: _feed, changed_key: _key, ...order }) => order);
    return ok({ orders, next: rows.at(-1)?.changed_key ?? since, more: page.LastEvaluatedKey !== undefined });
  }

  /** `POST /orders/{orderId}/cancel`: only a placed or paid order may be cancelled. */
  async cancel(orderNo: string): Promise<LegacyAnswer> {
    const row = await this.row(orderNo);
    if (!row) return failure(404, 'NOT_FOUND', `No order ${orderNo}`);
    if (row.status_code !== 'N' && row.status_code !== 'P')
      return failure(409, 'ILLEGAL_TRANSITION', `Order ${orderNo} is ${LEGACY_STATUS[row.status_code]} and cannot be cancelled`);
    const written = await this.revise(row, 'LEGACY', { status_code: 'C', updated_at: new Date().toISOString() });
    if (!written) return failure(409, 'VERSION_CONFLICT', `Order ${orderNo} changed meanwhile; try again`);
    return ok({ orderId: orderNo, version: row.rev + 1, status: 'CANCELLED' });
  }

  /**
   * `PUT /integration/orders/{orderId}`: applies one feed entry, exactly once, as a revision of legacy's own.
   * A placement creates the row; a later version updates it only if it is newer than the one the row holds.
   * A repeat, or an older version, changes nothing and says which version and event the row holds; a
   * version of an order legacy never saw placed is refused with 409.
   */
  async applyFeed(orderNo: string, body: unknown): Promise<LegacyAnswer> {
    const parsed = legacyFeedSchema.safeParse(body);
    if (!parsed.success) return failure(400, 'VALIDATION_FAILED', issuesText(parsed.error));
    const entry = parsed.data;
    // A placement is nearly always new: created on the condition that no row exists, read only if one does.
    if (entry.order && (await this.create(orderNo, entry))) return ok({ applied: true, rev: 1 } satisfies LegacyFeedAnswer);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const row = await this.row(orderNo);
      if (!row) {
        if (!entry.order) return failure(409, 'ORDER_UNKNOWN', `Order ${orderNo} was never placed here; send its placement first`);
        if (await this.create(orderNo, entry)) return ok({ applied: true, rev: 1 } satisfies LegacyFeedAnswer);
        continue;
      }
      if (entry.order || (row.eightfold_version ?? 0) >= entry.version) {
        const answer: LegacyFeedAnswer = {
          applied: false,
          rev: row.rev,
          ...(row.eightfold_version ? { eightfold_version: row.eightfold_version, eightfold_event_id: row.eightfold_event_id } : {}),
          reason: row.eightfold_version
            ? `version ${entry.version} is not newer than ${row.eightfold_version}`
            : `order ${orderNo} is legacy's own`,
        };
        return ok(answer);
      }
      const change = {
        status_code: entry.status_code,
        updated_at: entry.updated_at,
        eightfold_version: entry.version,
        eightfold_event_id: entry.event_id,
      };
      if (await this.revise(row, 'EIGHTFOLD', change)) return ok({ applied: true, rev: row.rev + 1 } satisfies LegacyFeedAnswer);
    }
    return failure(409, 'VERSION_CONFLICT', `Order ${orderNo} kept changing; send the entry again`);
  }

  /** The row a placement from Eightfold creates; false if the order appeared meanwhile. */
  private async create(orderNo: string, entry: LegacyFeedEntry): Promise<boolean> {
    const changed = changedNow(orderNo);
    const row: LegacyOrderRow = {
      order_no: orderNo,
      ...entry.order!,
      status_code: entry.status_code!,
      updated_at: entry.updated_at,
      rev: 1,
      source: 'EIGHTFOLD',
      revisions: [{ rev: 1, by: 'EIGHTFOLD', status_code: entry.status_code, at: changed.changed_at }],
      eightfold_version: entry.version,
      eightfold_event_id: entry.event_id,
      ...changed,
    };
    try {
      await documentClient.send(
        new PutCommand({ TableName: this.table, Item: row, ConditionExpression: 'attribute_not_exists(order_no)' }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** The row's next revision, by `by`, if no one revised it since it was read; false if someone did. */
  private async revise(
    row: LegacyOrderRow,
    by: LegacyWriter,
    change: { status_code?: LegacyStatusCode; updated_at: string; eightfold_version?: number; eightfold_event_id?: string },
  ): Promise<boolean> {
    const rev = row.rev + 1;
    const changed = changedNow(row.order_no);
    const fields = Object.entries({ ...change, ...changed, rev }).filter(([, value]) => value !== undefined);
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { order_no: row.order_no },
          UpdateExpression: `SET ${fields.map(([name]) => `${name} = :${name}`).join(', ')}, revisions = list_append(revisions, :revision)`,
          ConditionExpression: 'rev = :seen',
          ExpressionAttributeValues: {
            ...Object.fromEntries(fields.map(([name, value]) => [`:${name}`, value])),
            ':seen': row.rev,
            ':revision': [{ rev, by, ...(change.status_code ? { status_code: change.status_code } : {}), at: changed.changed_at }],
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * The old daily report (`GET /reports/orders?date=YYYY-MM-DD`): orders placed that day by status and the
   * revenue of those not cancelled, over every order legacy knows, its own and Eightfold's. A full scan, as
   * the old system did it overnight.
   */
  async dailyReport(date: string | undefined): Promise<LegacyAnswer> {
    if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return failure(400, 'VALIDATION_FAILED', 'date: expected YYYY-MM-DD');
    const byStatus: Record<string, number> = Object.fromEntries(Object.values(LEGACY_STATUS).map((status) => [status, 0]));
    const bySource: Record<string, number> = { LEGACY: 0, EIGHTFOLD: 0 };
    let revenueCents = 0;
    let orders = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documentClient.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: 'begins_with(placed_at, :date)',
          ExpressionAttributeValues: { ':date': date },
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
      );
      for (const row of (page.Items ?? []) as LegacyOrderRow[]) {
        orders++;
        byStatus[LEGACY_STATUS[row.status_code]]!++;
        bySource[row.source]!++;
        if (row.status_code !== 'C') revenueCents += centsOf(row.total_amount);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return ok({ date, orders, byStatus, bySource, revenue: dollarsOf(revenueCents) });
  }
}
