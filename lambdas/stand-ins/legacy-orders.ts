/**
 * The legacy monolith's orders, kept the way the old system kept them: its own table and schema
 * (snake_case, one-letter status codes, prices as dollar strings, a revision counter). Legacy serves the
 * public orders API from them (the API Eightfold took over route by route), runs its old daily report over
 * them, and takes Eightfold's orders through its integration feed (`PUT /integration/orders/{orderId}`),
 * so it stays whole while the strangler moves traffic away from it.
 */
import { GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { documentClient } from '../platform/clients.ts';
import { isConditionalCheckFailed } from '../kernel/dynamodb-errors.ts';
import { issuesText } from '../platform/http.ts';
import { placeOrderSchema } from '../use-cases/order-inputs.ts';
import {
  centsOf,
  dollarsOf,
  LEGACY_STATUS,
  legacyFeedSchema,
  type legacyLineSchema,
  type LegacyStatusCode,
} from '../use-cases/legacy-contract.ts';

/** A row of legacy's ORDERS table. */
interface LegacyOrderRow {
  order_no: string;
  customer_no: string;
  status_code: LegacyStatusCode;
  lines: z.infer<typeof legacyLineSchema>[];
  total_amount: string;
  placed_at: string;
  updated_at: string;
  rev: number;
  /** Where the order was taken: at legacy's own counter, or fed from Eightfold. */
  source: 'LEGACY' | 'EIGHTFOLD';
  /** Every revision applied, in order: a revision applied twice would show here twice. */
  applied_revs: number[];
}

/** What legacy answers: a status and a JSON body. */
export interface LegacyAnswer {
  readonly statusCode: number;
  readonly body: unknown;
}
const ok = (body: unknown, statusCode = 200): LegacyAnswer => ({ statusCode, body });
const failure = (statusCode: number, code: string, message: string): LegacyAnswer => ({ statusCode, body: { error: { code, message } } });

/** A legacy row in the public API's order shape (the shape both systems answer `GET /orders/{orderId}` with). */
export function publicOrderOf(row: LegacyOrderRow) {
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
    const now = new Date().toISOString();
    const lines = parsed.data.items.map((item) => ({ sku: item.sku, qty: item.quantity, unit_price: dollarsOf(item.unitPriceCents) }));
    const row: LegacyOrderRow = {
      order_no: `L${randomBytes(8).toString('hex').toUpperCase()}`,
      customer_no: parsed.data.customerId,
      status_code: 'N',
      lines,
      total_amount: dollarsOf(parsed.data.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0)),
      placed_at: now,
      updated_at: now,
      rev: 1,
      source: 'LEGACY',
      applied_revs: [1],
    };
    await documentClient.send(new PutCommand({ TableName: this.table, Item: row, ConditionExpression: 'attribute_not_exists(order_no)' }));
    return ok({ orderId: row.order_no, version: 1, status: 'PLACED' }, 201);
  }

  /** `GET /orders/{orderId}`. */
  async get(orderNo: string): Promise<LegacyAnswer> {
    const row = await this.row(orderNo);
    return row ? ok(publicOrderOf(row)) : failure(404, 'NOT_FOUND', `No order ${orderNo}`);
  }

  /** `GET /integration/orders/{orderId}`: the row as legacy keeps it, for the integration's own checks. */
  async getRow(orderNo: string): Promise<LegacyAnswer> {
    const row = await this.row(orderNo);
    return row ? ok(row) : failure(404, 'NOT_FOUND', `No order ${orderNo}`);
  }

  /** `POST /orders/{orderId}/cancel`: only a placed or paid order may be cancelled. */
  async cancel(orderNo: string): Promise<LegacyAnswer> {
    const row = await this.row(orderNo);
    if (!row) return failure(404, 'NOT_FOUND', `No order ${orderNo}`);
    if (row.status_code !== 'N' && row.status_code !== 'P')
      return failure(409, 'ILLEGAL_TRANSITION', `Order ${orderNo} is ${LEGACY_STATUS[row.status_code]} and cannot be cancelled`);
    const rev = row.rev + 1;
    try {
      await this.update(orderNo, { rev, status_code: 'C', updated_at: new Date().toISOString() }, 'rev = :seen', { ':seen': row.rev });
    } catch (error) {
      if (isConditionalCheckFailed(error)) return failure(409, 'VERSION_CONFLICT', `Order ${orderNo} changed meanwhile; try again`);
      throw error;
    }
    return ok({ orderId: orderNo, version: rev, status: 'CANCELLED' });
  }

  /**
   * `PUT /integration/orders/{orderId}`: applies one feed entry, exactly once. A placement creates the row;
   * a later revision updates it only if it is newer than the row's (a repeat or an older one changes
   * nothing and says so); a revision of an order legacy never saw placed is refused with 409.
   */
  async applyFeed(orderNo: string, body: unknown): Promise<LegacyAnswer> {
    const parsed = legacyFeedSchema.safeParse(body);
    if (!parsed.success) return failure(400, 'VALIDATION_FAILED', issuesText(parsed.error));
    const entry = parsed.data;
    try {
      if (entry.order) {
        const row: LegacyOrderRow = {
          order_no: orderNo,
          ...entry.order,
          status_code: entry.status_code!,
          updated_at: entry.updated_at,
          rev: entry.rev,
          source: 'EIGHTFOLD',
          applied_revs: [entry.rev],
        };
        await documentClient.send(
          new PutCommand({ TableName: this.table, Item: row, ConditionExpression: 'attribute_not_exists(order_no)' }),
        );
      } else {
        await this.update(orderNo, { rev: entry.rev, status_code: entry.status_code, updated_at: entry.updated_at }, 'rev < :rev', {});
      }
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const row = await this.row(orderNo);
      if (!row) return failure(409, 'ORDER_UNKNOWN', `Order ${orderNo} was never placed here; send its placement first`);
      return ok({ applied: false, rev: row.rev, reason: `revision ${entry.rev} is not newer than ${row.rev}` });
    }
    return ok({ applied: true, rev: entry.rev });
  }

  private async update(
    orderNo: string,
    change: Pick<LegacyOrderRow, 'rev' | 'updated_at'> & { status_code?: LegacyStatusCode },
    condition: string,
    values: Record<string, unknown>,
  ): Promise<void> {
    await documentClient.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { order_no: orderNo },
        UpdateExpression: `SET rev = :rev, ${change.status_code ? 'status_code = :status, ' : ''}updated_at = :at, applied_revs = list_append(applied_revs, :revs)`,
        ConditionExpression: `attribute_exists(order_no) AND ${condition}`,
        ExpressionAttributeValues: {
          ':rev': change.rev,
          ...(change.status_code ? { ':status': change.status_code } : {}),
          ':at': change.updated_at,
          ':revs': [change.rev],
          ...values,
        },
      }),
    );
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
