import { paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface ShardLoad {
  readonly shard: number;
  /** Items the shard holds. */
  readonly items: number;
  /** Items written within the window. */
  readonly recentWrites: number;
}

export interface LoadReport {
  readonly perShard: ShardLoad[];
  /** The fullest shard over the mean, by items and by recent writes (1 is perfectly even). */
  readonly maxOverMean: { readonly items: number; readonly recentWrites: number };
  /** Keys with the most increments among those written within the window, busiest first. */
  readonly hotKeys: { readonly key: string; readonly increments: number }[];
}

export interface LoadQuery {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The by-shard index: partition key `shard` (number), sort key `updatedAt` (ISO time), with `key` and `increments`. */
  readonly indexName: string;
  readonly shards: number;
  readonly since: Date;
  /** @default 10 */
  readonly hotKeys?: number;
}

/** The fullest bucket over the mean: 1 is perfectly even (and so is all empty). */
export function maxOverMean(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return mean === 0 ? 1 : Math.max(...values) / mean;
}

/** Per-shard load from the by-shard index, every shard read in parallel. */
export async function shardLoad(query: LoadQuery): Promise<LoadReport> {
  const { client, tableName, indexName, since } = query;
  const count = async (shard: number, recentOnly: boolean) => {
    let total = 0;
    const pages = paginateQuery(
      { client },
      {
        TableName: tableName,
        IndexName: indexName,
        KeyConditionExpression: recentOnly ? '#shard = :shard AND updatedAt >= :since' : '#shard = :shard',
        ExpressionAttributeValues: recentOnly ? { ':shard': shard, ':since': since.toISOString() } : { ':shard': shard },
        ...(recentOnly
          ? { ProjectionExpression: '#key, increments', ExpressionAttributeNames: { '#shard': 'shard', '#key': 'key' } }
          : { Select: 'COUNT' as const, ExpressionAttributeNames: { '#shard': 'shard' } }),
      },
    );
    const recent: { key: string; increments: number }[] = [];
    for await (const page of pages) {
      total += page.Count ?? 0;
      for (const item of page.Items ?? []) recent.push({ key: String(item.key), increments: Number(item.increments ?? 0) });
    }
    return { total, recent };
  };
  const perShard = await Promise.all(
    Array.from({ length: query.shards }, async (_, shard) => {
      const [all, recent] = await Promise.all([count(shard, false), count(shard, true)]);
      return { load: { shard, items: all.total, recentWrites: recent.total }, recent: recent.recent };
    }),
  );
  // A key's write shards may sit in different shards: add them up.
  const byKey = new Map<string, number>();
  for (const { key, increments } of perShard.flatMap((s) => s.recent)) byKey.set(key, (byKey.get(key) ?? 0) + increments);
  const hotKeys = [...byKey]
    .map(([key, increments]) => ({ key, increments }))
    .sort((a, b) => b.increments - a.increments)
    .slice(0, query.hotKeys ?? 10);
  const loads = perShard.map((s) => s.load);
  return {
    perShard: loads,
    maxOverMean: { items: maxOverMean(loads.map((l) => l.items)), recentWrites: maxOverMean(loads.map((l) => l.recentWrites)) },
    hotKeys,
  };
}
