import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, startDynamoDbLocal } from '@eightfold/local-cloud';

type KeyAttribute = { name: string; type: 'S' | 'N' };
/** An index's keys; with `include`, it projects only those attributes (as the stack's index does). */
type Index = { keys: KeyAttribute[]; include?: string[] };

/**
 * Creates an on-demand table: the first key is the partition key, a second one the sort key; each index
 * likewise.
 */
export async function createTable(
  client: DynamoDBClient,
  name: string,
  key: KeyAttribute[],
  indexes: Record<string, Index> = {},
): Promise<void> {
  const schema = (keys: KeyAttribute[]) =>
    keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? ('HASH' as const) : ('RANGE' as const) }));
  const attributes = new Map([...key, ...Object.values(indexes).flatMap((index) => index.keys)].map((k) => [k.name, k.type]));
  await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: schema(key),
      AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
      BillingMode: 'PAY_PER_REQUEST',
      ...(Object.keys(indexes).length > 0
        ? {
            GlobalSecondaryIndexes: Object.entries(indexes).map(([IndexName, index]) => ({
              IndexName,
              KeySchema: schema(index.keys),
              Projection: index.include
                ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: index.include }
                : { ProjectionType: 'ALL' as const },
            })),
          }
        : {}),
    }),
  );
}

/** The event store's table: a stream's events by position. */
export const createEventsTable = (client: DynamoDBClient, name = 'events') =>
  createTable(client, name, [
    { name: 'streamId', type: 'S' },
    { name: 'position', type: 'N' },
  ]);

/** DynamoDB Local for one test file, and a document client on it; `stop` ends both. */
export async function startLocalDynamo(): Promise<{ raw: DynamoDBClient; client: DynamoDBDocumentClient; stop: () => Promise<void> }> {
  const dynamo = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return {
    raw,
    client,
    stop: async () => {
      client.destroy();
      await dynamo.stop();
    },
  };
}
