import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../kernel/dynamodb-errors.ts';
import { changeEntry, toLeaseRecord, type LeaseRecord } from './lease-record.ts';

/** One acquisition of a lease, kept a week (the `change#<token>` items beside the lease). */
export interface LeadershipChange {
  readonly holder: string;
  readonly fencingToken: number;
  readonly acquiredAt: number;
  readonly steppedDownAt?: number;
}

export interface LeaseView extends LeaseRecord {
  /** Newest first. */
  readonly recentChanges: LeadershipChange[];
}

/** The leases table as operators see it: who holds a lease, the last leadership changes, and step-down. */
export class LeaseTable {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: { readonly client: DynamoDBDocumentClient; readonly tableName: string }) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  /** The lease and its last `changes` acquisitions, in one query: `lease` sorts after every `change#…`. */
  async describe(name: string, changes = 10): Promise<LeaseView> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#name = :name',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: { ':name': name },
        ScanIndexForward: false,
        Limit: changes + 1,
        ConsistentRead: true,
      }),
    );
    const lease = Items.find((item) => item.entry === 'lease');
    const recentChanges = Items.filter((item) => String(item.entry).startsWith('change#')).map((item) => ({
      holder: String(item.holder),
      fencingToken: Number(item.fencingToken),
      acquiredAt: Number(item.at),
      ...(item.steppedDownAt === undefined ? {} : { steppedDownAt: Number(item.steppedDownAt) }),
    }));
    return { ...toLeaseRecord(name, lease), recentChanges };
  }

  /**
   * Tells the current holder to stop renewing, as if it crashed: it keeps its lease until expiry (its
   * in-flight work stays fenced by its token), then another contender takes over with a higher token.
   * Undefined when no one holds a live lease; asking twice changes nothing.
   */
  stepDown(name: string, now: number): Promise<LeaseRecord | undefined> {
    return this.letGo(name, now, false);
  }

  /**
   * A graceful hand-over: the holder may no longer renew, nor take the lease back for a lease period, and
   * the lease expires now, so the next contender's turn after the clock-skew margin takes it, with a
   * higher token (fencing whatever the old holder's current turn still writes). Undefined when no one holds
   * a live lease.
   */
  resign(name: string, now: number): Promise<LeaseRecord | undefined> {
    return this.letGo(name, now, true);
  }

  private async letGo(name: string, now: number, expireNow: boolean): Promise<LeaseRecord | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { name, entry: 'lease' },
          UpdateExpression: `SET steppedDown = if_not_exists(steppedDown, holder)${expireNow ? ', expiresAt = :now' : ''}`,
          ConditionExpression: 'attribute_exists(holder) AND expiresAt > :now',
          ExpressionAttributeValues: { ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const record = toLeaseRecord(name, Attributes);
      await this.client
        .send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { name, entry: changeEntry(record.fencingToken) },
            UpdateExpression: 'SET steppedDownAt = if_not_exists(steppedDownAt, :now)',
            ConditionExpression: 'attribute_exists(holder)',
            ExpressionAttributeValues: { ':now': now },
          }),
        )
        .catch(() => undefined); // the history is best effort; the lease item is what counts
      return record;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }
}
