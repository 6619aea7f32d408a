/**
 * Strangler Fig, what shadow runs found: per route, running totals and the latest mismatches, in one table
 * partition per route. `totals` sorts after every `sample#…`, so one newest-first Query reads both.
 */
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Difference } from './shadow-compare.ts';

/** One shadow run's outcome. */
export interface ShadowOutcome {
  readonly route: string;
  /** The request's path, as the client sent it. */
  readonly path: string;
  readonly requestId: string;
  /** Empty when the answers matched. */
  readonly differences: readonly Difference[];
  /** Eightfold's side failed to answer at all (its error, in a line). */
  readonly error?: string;
  readonly at: Date;
}

export interface ShadowTotals {
  readonly compared: number;
  readonly matches: number;
  readonly mismatches: number;
  readonly errors: number;
  readonly lastComparedAt?: string;
}

export interface ShadowSample {
  readonly at: string;
  readonly path: string;
  readonly requestId: string;
  readonly differences: readonly Difference[];
  readonly error?: string;
}

export interface ShadowReport extends ShadowTotals {
  /** The latest mismatches and errors, newest first. */
  readonly recentMismatches: ShadowSample[];
}

/** How long a mismatch sample is kept. */
const SAMPLE_TTL_SECONDS = 7 * 24 * 3600;

export class ShadowLog {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(client: DynamoDBDocumentClient, table: string) {
    this.client = client;
    this.table = table;
  }

  /** Counts the outcome; keeps a sample of a mismatch or an error. */
  async record(outcome: ShadowOutcome): Promise<void> {
    const kind = outcome.error ? 'errors' : outcome.differences.length ? 'mismatches' : 'matches';
    const at = outcome.at.toISOString();
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { route: outcome.route, entry: 'totals' },
        UpdateExpression: 'ADD compared :one, #kind :one SET lastComparedAt = :at',
        ExpressionAttributeNames: { '#kind': kind },
        ExpressionAttributeValues: { ':one': 1, ':at': at },
      }),
    );
    if (kind === 'matches') return;
    const sample = {
      at,
      path: outcome.path,
      requestId: outcome.requestId,
      differences: outcome.differences,
      ...(outcome.error ? { error: outcome.error } : {}),
    };
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          route: outcome.route,
          entry: `sample#${at}#${outcome.requestId}`,
          ...sample,
          expiresAt: Math.floor(outcome.at.getTime() / 1000) + SAMPLE_TTL_SECONDS,
        },
      }),
    );
  }

  /** A route's totals and its latest `samples` mismatches; undefined when it was never compared. */
  async report(route: string, samples = 5): Promise<ShadowReport | undefined> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'route = :route',
        ExpressionAttributeValues: { ':route': route },
        ScanIndexForward: false,
        Limit: samples + 1,
      }),
    );
    const [totals, ...rest] = Items;
    if (totals?.entry !== 'totals') return undefined;
    return {
      compared: totals.compared ?? 0,
      matches: totals.matches ?? 0,
      mismatches: totals.mismatches ?? 0,
      errors: totals.errors ?? 0,
      lastComparedAt: totals.lastComparedAt,
      recentMismatches: rest.map(({ at, path, requestId, differences, error }) => ({
        at,
        path,
        requestId,
        differences,
        ...(error ? { error } : {}),
      })),
    };
  }
}
