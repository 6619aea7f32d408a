/**
 * The operators' API, composed: one typed settings object read from the environment once, and the
 * dependencies of every operation (use-cases/operations/) built from it.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { LeaseTable } from '../patterns/leader-election/index.ts';
import { COUNTERS_BY_SHARD_INDEX, shardLoad } from '../patterns/sharding/index.ts';
import { routingTableSchema, ShadowLog } from '../patterns/strangler/index.ts';
import { documentClient } from '../platform/clients.ts';
import { FAULT_TARGETS, writeFaults, type Faults, type FaultTarget } from '../platform/faults.ts';
import { ENV } from '../platform/environment.ts';
import { logger } from '../platform/logger.ts';
import { traced } from '../platform/observability.ts';
import type { BreakerOpsDeps } from '../use-cases/operations/breakers.ts';
import type { EventOpsDeps } from '../use-cases/operations/events.ts';
import type { FaultOpsDeps } from '../use-cases/operations/faults.ts';
import type { LeaderOpsDeps } from '../use-cases/operations/leader.ts';
import type { QueueOpsDeps } from '../use-cases/operations/queues.ts';
import type { RouteOpsDeps } from '../use-cases/operations/routes.ts';
import type { ShardOpsDeps } from '../use-cases/operations/shards.ts';
import { breakerStore } from './breakers.ts';
import { readRecentEvents } from './recent-events.ts';
import { routeMetrics } from './route-metrics.ts';
import { currentShardMap } from './shards.ts';

const json = <Schema extends z.ZodType>(schema: Schema) =>
  z
    .string()
    .transform((text) => JSON.parse(text) as unknown)
    .pipe(schema);
const list = z.string().transform((text) => text.split(',').filter(Boolean));

/** What the ops function is told by its construct (lib/constructs/ops-api.ts), checked at cold start. */
const settingsSchema = z.object({
  stage: z.string().min(1),
  knownBreakers: list,
  leasesTable: z.string().min(1),
  leaseName: z.string().min(1),
  salesCountersTable: z.string().min(1),
  routingTable: json(routingTableSchema),
  shadowComparisonsTable: z.string().min(1),
  apiName: z.string().min(1),
  apiStage: z.string().min(1),
  routerServiceName: z.string().min(1),
  observedQueues: json(z.array(z.object({ name: z.string(), url: z.string().optional(), deadLetterUrl: z.string() }))),
  auditLogTable: z.string().min(1),
  faultsTable: z.string().optional(),
  faultTargets: list.default([]),
});
const env = process.env;
const settings = settingsSchema.parse({
  stage: env[ENV.deployment.stage],
  knownBreakers: env[ENV.breakers.known],
  leasesTable: env[ENV.leaderElection.table],
  leaseName: env[ENV.leaderElection.lease],
  salesCountersTable: env[ENV.sharding.counters],
  routingTable: env[ENV.strangler.routingTable],
  shadowComparisonsTable: env[ENV.strangler.shadowComparisons],
  apiName: env[ENV.strangler.apiName],
  apiStage: env[ENV.strangler.apiStage],
  routerServiceName: env[ENV.strangler.routerService],
  observedQueues: env[ENV.ops.observedQueues],
  auditLogTable: env[ENV.auditLog.table],
  faultsTable: env[ENV.faults.table],
  faultTargets: env[ENV.ops.faultTargets],
});

const now = () => Date.now();
const sqs = traced(new SQSClient({ useQueueUrlAsEndpoint: false }));
const servedCounts = routeMetrics({
  cloudwatch: traced(new CloudWatchClient({})),
  routingTable: settings.routingTable,
  api: { name: settings.apiName, stage: settings.apiStage },
  routerServiceName: settings.routerServiceName,
});
const shadowLog = new ShadowLog(documentClient, settings.shadowComparisonsTable);

export const breakers: BreakerOpsDeps = { store: breakerStore, known: settings.knownBreakers, now };

export const leader: LeaderOpsDeps = {
  leases: new LeaseTable({ client: documentClient, tableName: settings.leasesTable }),
  leaseName: settings.leaseName,
  stage: settings.stage,
  now,
};

export const shards: ShardOpsDeps = {
  shardMap: currentShardMap,
  load: (count, since) =>
    shardLoad({
      client: documentClient,
      tableName: settings.salesCountersTable,
      indexName: COUNTERS_BY_SHARD_INDEX,
      shards: count,
      since,
    }),
  now,
};

export const routes: RouteOpsDeps = {
  routingTable: settings.routingTable,
  // The table and the comparisons are still worth showing without the counts.
  servedCounts: (hours) =>
    servedCounts(hours).catch((error: unknown) => {
      logger.error('served-by counts unavailable', { error: error as Error });
      return undefined;
    }),
  shadowReport: (route) => shadowLog.report(route),
};

export const queues: QueueOpsDeps = {
  queues: settings.observedQueues,
  depth: async (queueUrl) => {
    const names = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] as const;
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...names] }));
    return { waiting: Number(Attributes[names[0]] ?? 0), inFlight: Number(Attributes[names[1]] ?? 0) };
  },
};

export const events: EventOpsDeps = {
  recent: (options) => readRecentEvents(documentClient, settings.auditLogTable, options),
  now,
};

export const faults: FaultOpsDeps<Faults> = {
  stage: settings.stage,
  targets: settings.faultTargets.filter((target) => (FAULT_TARGETS as readonly string[]).includes(target)),
  write: (target, value) => writeFaults(settings.faultsTable!, target as FaultTarget, value),
};
