import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Creates an on-demand table: the first key is the partition key, a second one the sort key. */
export async function createTable(client: DynamoDBClient, name: string, key: { name: string; type: 'S' | 'N' }[]): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: key.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
      AttributeDefinitions: key.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}
