import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { EightfoldFunction } from './eightfold-function.ts';
import { Construct } from 'constructs';
import { grantOnTable } from './grants.ts';
import { COUNTERS_BY_SHARD_INCLUDES, COUNTERS_BY_SHARD_INDEX } from '../../lambdas/patterns/sharding/layout.ts';
import { ENV } from '../../lambdas/platform/environment.ts';

export interface ShardingProps {
  /** N: shards the keys are spread over (the shard map's version 1; a reshard moves it). */
  readonly shards: number;
  /** S: write shards per counter, so one hot SKU takes S times a partition's 1,000 writes a second. */
  readonly writeShards: number;
  /**
   * How long each Lambda trusts the map it read: the bound on how stale a router may be, and so part of what
   * a reshard waits between its phases. At most 10, which `npm run reshard`'s default settle time (45 s)
   * allows for; lower it for quicker reshards at more reads of the map. @default 10
   */
  readonly mapCacheSeconds?: number;
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Sharding: the ShardMaps table (one versioned map per name, read by every router) and the SalesCounters
 * table (write-sharded counters whose keys start with their shard, applied-event markers expiring by
 * TTL, and a by-shard index for per-shard load and shard-by-shard scans).
 */
export class Sharding extends Construct {
  readonly shardMaps: Table;
  readonly counters: Table;
  readonly shards: number;
  readonly writeShards: number;
  readonly mapCacheSeconds: number;

  constructor(scope: Construct, id: string, props: ShardingProps) {
    super(scope, id);
    for (const [name, value, max] of [
      ['shards', props.shards, 1024],
      ['writeShards', props.writeShards, 50],
    ] as const) {
      // While resharding, a counter's 2 × S locations are read in one transaction: at most 100 items.
      if (!Number.isInteger(value) || value < 1 || value > max)
        throw new Error(`${id}: ${name} must be a whole number from 1 to ${max}, got ${value}`);
    }
    this.mapCacheSeconds = props.mapCacheSeconds ?? 10;
    if (!(this.mapCacheSeconds >= 0 && this.mapCacheSeconds <= 10))
      throw new Error(`${id}: mapCacheSeconds must be from 0 to 10, got ${props.mapCacheSeconds}`);
    this.shards = props.shards;
    this.writeShards = props.writeShards;
    this.shardMaps = new Table(this, 'ShardMaps', {
      partitionKey: { name: 'name', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.counters = new Table(this, 'SalesCounters', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAtEpochSeconds',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.counters.addGlobalSecondaryIndex({
      indexName: COUNTERS_BY_SHARD_INDEX,
      partitionKey: { name: 'shard', type: AttributeType.NUMBER },
      sortKey: { name: 'updatedAt', type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: COUNTERS_BY_SHARD_INCLUDES,
    });
  }

  /** What a Lambda needs to find the shard map. */
  get routingEnvironment(): Record<string, string> {
    return {
      [ENV.sharding.maps]: this.shardMaps.tableName,
      [ENV.sharding.shards]: String(this.shards),
      [ENV.sharding.writeShards]: String(this.writeShards),
      [ENV.sharding.mapCacheMs]: String(this.mapCacheSeconds * 1000),
    };
  }

  /** What a Lambda needs to find the shard map and the counters. */
  get environment(): Record<string, string> {
    return { ...this.routingEnvironment, [ENV.sharding.counters]: this.counters.tableName };
  }

  /**
   * A function that writes by the map: reads it, and stores version 1 from the defaults if it is the first
   * (a conditional put: a stored map is never overwritten by it). Reshards publish the later versions.
   */
  grantRoute(grantee: IGrantable): void {
    this.shardMaps.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem');
  }

  /** A function that only reads by the map: GetItem alone (with none stored yet, the defaults stand unstored). */
  grantReadMap(grantee: IGrantable): void {
    this.shardMaps.grant(grantee, 'dynamodb:GetItem');
  }

  /** Apply increments: counter updates and applied-markers, in transactions. */
  grantCount(fn: EightfoldFunction): void {
    this.useFrom(fn, 'writes');
    grantOnTable(fn, this.counters, ['dynamodb:UpdateItem', 'dynamodb:PutItem']);
  }

  /** Gather counter totals: batch reads only. */
  grantReadTotals(fn: EightfoldFunction): void {
    this.useFrom(fn, 'reads');
    grantOnTable(fn, this.counters, ['dynamodb:BatchGetItem']);
  }

  /** Per-shard load for operators: queries of the by-shard index. */
  grantObserve(fn: EightfoldFunction): void {
    this.useFrom(fn, 'reads');
    grantOnTable(fn, this.counters, ['dynamodb:Query'], [COUNTERS_BY_SHARD_INDEX]);
  }

  /** A function that routes by the shard map and finds the counters. */
  private useFrom(fn: EightfoldFunction, use: 'writes' | 'reads'): void {
    if (use === 'writes') this.grantRoute(fn);
    else this.grantReadMap(fn);
    for (const [name, value] of Object.entries(this.environment)) fn.addEnvironment(name, value);
  }
}
