/** Sharding: the shard maps, the write-sharded counters and their context. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsOn, eightfoldStack, synthesize } from '../helpers/stack.ts';

let template: Template;
beforeAll(() => {
  ({ template } = eightfoldStack());
});

describe('EightfoldStack: Sharding', () => {
  it('keeps write-sharded counters with expiring applied-markers and a by-shard index carrying key and increments', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAtEpochSeconds', Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byShard',
          KeySchema: [
            { AttributeName: 'shard', KeyType: 'HASH' },
            { AttributeName: 'updatedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['key', 'writeShard', 'increments'] },
        },
      ],
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'name', KeyType: 'HASH' }],
      TableName: Match.absent(),
    });
  });

  it('stamps each OrdersView row with its customer’s shard, the projector reading the map, and keys no index by it (every order would write a shard’s partition)', () => {
    const [view] = Object.values(
      template.findResources('AWS::DynamoDB::Table', { Properties: { KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }] } }),
    );
    const indexes = (view!.Properties.GlobalSecondaryIndexes as { KeySchema: { AttributeName: string }[] }[]).map(
      (index) => index.KeySchema[0]!.AttributeName,
    );
    // A customer's list is keyed by a part of it (write sharding), never by the shard.
    expect(indexes).toContain('customerPart');
    expect(indexes).not.toContain('customerId');
    expect(indexes).not.toContain('shard');
    expect(actionsOn('ReadModelProjector', 'ShardingShardMaps')).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:PutItem']));
  });

  it('gives each function only what its part needs: the subscriber counts, queries batch-read, operators query the index', () => {
    expect(actionsOn('PubSubSalesConsumer', 'ShardingSalesCounters')).toEqual(new Set(['dynamodb:UpdateItem', 'dynamodb:PutItem']));
    expect(actionsOn('PubSubSalesConsumer', 'ShardingShardMaps')).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:PutItem']));
    expect(actionsOn('PubSubSalesConsumer', 'EventStoreEvents')).toEqual(new Set(['dynamodb:Query', 'dynamodb:GetItem']));
    // Its effects commute and carry their own markers: it has no checkpoint partition at all.
    expect(actionsOn('PubSubSalesConsumer', 'PubSubSubscriberCheckpoints')).toEqual(new Set());
    expect(actionsOn('QueriesFunction', 'ShardingSalesCounters')).toEqual(new Set(['dynamodb:BatchGetItem']));
    expect(actionsOn('OpsFunction', 'ShardingSalesCounters')).toEqual(new Set(['dynamodb:Query']));
    // Reading the map and storing it are separate grants: only the two functions that write by it may store version 1.
    for (const reader of ['QueriesFunction', 'OpsFunction'])
      expect(actionsOn(reader, 'ShardingShardMaps')).toEqual(new Set(['dynamodb:GetItem']));
  });

  it('routes GET /products/{sku}/sales to the queries function and GET /ops/shards to ops, behind the key', () => {
    const paths = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
      (r) => (r as { Properties: { PathPart: string } }).Properties.PathPart,
    );
    expect(paths).toEqual(expect.arrayContaining(['products', '{sku}', 'sales', 'shards']));
  });

  it('takes N = 16 shards, S = 8 write shards and a 10 s map cache by default, any from context, and refuses S over 50 (a resharding read gathers 2 × S items in one transaction)', () => {
    const environment = (t: Template, service: string) =>
      (
        Object.values(t.findResources('AWS::Lambda::Function')).find((f) =>
          JSON.stringify(f).includes(`"POWERTOOLS_SERVICE_NAME":"${service}"`),
        ) as { Properties: { Environment: { Variables: Record<string, unknown> } } }
      ).Properties.Environment.Variables;
    for (const service of ['queries', 'ops', 'sales-subscriber'])
      expect(environment(template, service)).toMatchObject({
        DEFAULT_SHARDS: '16',
        DEFAULT_WRITE_SHARDS: '8',
        SHARD_MAP_CACHE_MS: '10000',
      });
    expect(environment(synthesize({ 'eightfold:sharding': '{"shards":32}' }), 'queries')).toMatchObject({
      DEFAULT_SHARDS: '32',
      DEFAULT_WRITE_SHARDS: '8',
    });
    expect(environment(synthesize({ 'eightfold:sharding': { mapCacheSeconds: 2 } }), 'projector')).toMatchObject({
      DEFAULT_SHARDS: '16',
      SHARD_MAP_CACHE_MS: '2000',
    });
    // No longer than the reshard's default settle time allows for.
    expect(() => synthesize({ 'eightfold:sharding': { mapCacheSeconds: 11 } })).toThrow(/mapCacheSeconds must be from 0 to 10/);
    expect(() => synthesize({ 'eightfold:sharding': { writeShards: 51 } })).toThrow(/writeShards must be a whole number from 1 to 50/);
  });
});
