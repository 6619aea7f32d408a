import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Where a leader's work resumes: a cursor of its own making, read at the start of a turn, moved on as it goes. */
export interface Checkpoint {
  read(): Promise<string | undefined>;
  write(next: string): Promise<void>;
}

/**
 * A checkpoint kept in the leases table, beside the lease it belongs to: the item `name` / `checkpoint`, whose
 * `next` is the cursor. Its leader alone writes it; a stale leader writing an older cursor only makes the
 * next turn read some work again, so the writes need no fence.
 */
export function leaseCheckpoint(options: {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly name: string;
}): Checkpoint {
  const { client, tableName: TableName, name } = options;
  const Key = { name, entry: 'checkpoint' };
  return {
    read: async () => {
      const { Item } = await client.send(new GetCommand({ TableName, Key, ConsistentRead: true }));
      return Item?.next as string | undefined;
    },
    write: async (next) => {
      await client.send(
        new UpdateCommand({
          TableName,
          Key,
          UpdateExpression: 'SET #next = :next, updatedAt = :now',
          ExpressionAttributeNames: { '#next': 'next' },
          ExpressionAttributeValues: { ':next': next, ':now': new Date().toISOString() },
        }),
      );
    },
  };
}
