import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isConditionalCheckFailed, isTransactionRefused } from '../../kernel/dynamodb-errors.ts';
import { changeEntry, toLeaseRecord, type LeaseRecord } from './lease-record.ts';

/** What a contender holds after acquiring: its token, and until when it may act (its own clock). */
export interface Lease {
  readonly name: string;
  readonly holder: string;
  readonly fencingToken: number;
  readonly expiresAt: number;
  /** The holder this acquisition took the lease from because it let it expire (not one that stepped down or released it). */
  readonly takenOverFrom?: string;
}

export interface LeaseClientOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** This contender's id (a Lambda instance id, a host name…). */
  readonly holder: string;
  /** @default 15_000 */
  readonly leaseMs?: number;
  /**
   * The most two contenders' clocks may disagree. A follower takes over only `margin` after expiry by its
   * own clock, and a holder stops acting `margin` before expiry by its own clock, so skew up to the margin
   * never gives two contenders a lease they both believe valid. @default 2_000
   */
  readonly clockSkewMarginMs?: number;
  readonly clock?: () => number;
}

/**
 * A lease on DynamoDB with conditional writes: acquire when free or expired beyond the skew margin (the
 * same write increments the fencing token), renew (`hold`) only as the holder, release only as the holder
 * with its token. No
 * background thread is assumed: a Lambda contender renews within its invocations (`heartbeatMs` says how
 * often: a third of the lease, so two missed heartbeats still leave it valid).
 */
export class LeaseClient {
  readonly holder: string;
  readonly leaseMs: number;
  readonly marginMs: number;
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: () => number;

  constructor(options: LeaseClientOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.holder = options.holder;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.marginMs = options.clockSkewMarginMs ?? 2_000;
    this.clock = options.clock ?? Date.now;
    if (this.marginMs * 2 >= this.leaseMs) throw new Error('The clock-skew margin must be under half the lease');
  }

  /** How often a holder renews. */
  get heartbeatMs(): number {
    return Math.floor(this.leaseMs / 3);
  }

  /**
   * One stateless turn of a contender (a scheduled Lambda keeps nothing between invocations): renew the
   * lease if the table names this contender its holder, otherwise take it if it is free or expired beyond
   * the margin. Undefined when someone else holds it. A follower spends one failed conditional write per
   * turn: the refused renewal returns the item, which says whether acquiring is worth a second write.
   */
  async hold(name: string): Promise<Lease | undefined> {
    const now = this.clock();
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { name, entry: 'lease' },
          UpdateExpression: 'SET expiresAt = :expires, heartbeatAt = :now',
          ConditionExpression: 'holder = :me AND attribute_not_exists(steppedDown)',
          ExpressionAttributeValues: { ':me': this.holder, ':expires': now + this.leaseMs, ':now': now },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { name, holder: this.holder, fencingToken: Number(Attributes!.fencingToken), expiresAt: now + this.leaseMs };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      return this.tryAcquire(name, toLeaseRecord(name, item && unmarshall(item)));
    }
  }

  /**
   * Takes the lease if it is free or expired beyond the margin; undefined if someone holds it, or won it
   * first. The same transaction raises the fencing token by one and records the leadership change, so the
   * history never lacks a leader. `seen` is the lease as last read, when the caller has it.
   */
  async tryAcquire(name: string, seen?: LeaseRecord): Promise<Lease | undefined> {
    const current = seen ?? (await this.read(name));
    const now = this.clock();
    if (!this.isAcquirable(current, now)) return undefined;
    const lease: Lease = {
      name,
      holder: this.holder,
      fencingToken: current.fencingToken + 1,
      expiresAt: now + this.leaseMs,
      takenOverFrom: current.holder !== undefined && current.steppedDown === undefined ? current.holder : undefined,
    };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: { name, entry: 'lease' },
                UpdateExpression:
                  'SET holder = :me, expiresAt = :expires, heartbeatAt = :now, acquiredAt = :now, fencingToken = :token REMOVE steppedDown',
                // The token we read is still the newest (nobody acquired since), and the lease is still free or
                // expired; a holder told to step down lets the others try for a whole lease before it may return.
                ConditionExpression:
                  '(attribute_not_exists(fencingToken) OR fencingToken = :seenToken) AND (attribute_not_exists(holder) OR expiresAt < :expiredBefore) AND (attribute_not_exists(steppedDown) OR steppedDown <> :me OR expiresAt < :longExpiredBefore)',
                ExpressionAttributeValues: {
                  ':me': this.holder,
                  ':expires': lease.expiresAt,
                  ':now': now,
                  ':token': lease.fencingToken,
                  ':seenToken': current.fencingToken,
                  ':expiredBefore': now - this.marginMs,
                  ':longExpiredBefore': now - this.marginMs - this.leaseMs,
                },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                // Kept a week for `GET /ops/leader`.
                Item: {
                  name,
                  entry: changeEntry(lease.fencingToken),
                  holder: this.holder,
                  fencingToken: lease.fencingToken,
                  at: now,
                  expiresAtEpochSeconds: Math.floor(now / 1000) + 7 * 86_400,
                },
              },
            },
          ],
        }),
      );
      return lease;
    } catch (error) {
      if (isTransactionRefused(error)) return undefined;
      throw error;
    }
  }

  /** The lease as stored, read consistently. */
  async read(name: string): Promise<LeaseRecord> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { name, entry: 'lease' }, ConsistentRead: true }),
    );
    return toLeaseRecord(name, Item);
  }

  /** Whether this contender may take the lease now, by its own clock (the write's condition says it again). */
  private isAcquirable(lease: LeaseRecord, now: number): boolean {
    const expiredBeyondMargin = lease.expiresAt < now - this.marginMs;
    const mayReturn = lease.steppedDown !== this.holder || lease.expiresAt < now - this.marginMs - this.leaseMs;
    return (lease.holder === undefined || expiredBeyondMargin) && mayReturn;
  }

  /** Gives the lease up at once (a clean shutdown); the token stays, so the next holder's is higher. */
  async release(lease: Lease): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { name: lease.name, entry: 'lease' },
          UpdateExpression: 'REMOVE holder SET expiresAt = :zero',
          ConditionExpression: 'holder = :me AND fencingToken = :token',
          ExpressionAttributeValues: { ':me': this.holder, ':token': lease.fencingToken, ':zero': 0 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Whether the holder may still act on this lease by its own clock (the margin kept in hand). */
  isValid(lease: Lease): boolean {
    return this.clock() < lease.expiresAt - this.marginMs;
  }
}
