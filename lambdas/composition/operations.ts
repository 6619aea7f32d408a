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
import { BREAKER_SETTINGS, breakerStore } from './breakers.ts';
import { readRecentEvents } from './recent-events.ts';
import { routeMetrics } from './route-metrics.ts';
import { SALES_SETTINGS } from './sales.ts';
import { json, list, readSettings, text } from './settings.ts';
import { currentShardMap, SHARD_MAP_SETTINGS } from './shards.ts';

/** What the ops function is told by its constructs (lib/constructs/ops-api.ts and the grants it takes), read once. */
const settings = readSettings({
  ...BREAKER_SETTINGS,
  ...SHARD_MAP_SETTINGS,
  ...SALES_SETTINGS,
  stage: [ENV.deployment.stage, text],
  knownBreakers: [ENV.breakers.known, list],
  leasesTable: [ENV.leaderElection.table, text],
  leaseName: [ENV.leaderElection.lease, text],
  routingTable: [ENV.strangler.routingTable, json(routingTableSchema)],
  shadowComparisonsTable: [ENV.strangler.shadowComparisons, text],
  apiName: [ENV.strangler.apiName, text],
  apiStage: [ENV.strangler.apiStage, text],
  routerServiceName: [ENV.strangler.routerService, text],
  observedQueues: [
    ENV.ops.observedQueues,
    json(z.array(z.object({ name: z.string(), url: z.string().optional(), deadLetterUrl: z.string() }))),
  ],
  auditLogTable: [ENV.auditLog.table, text],
  faultsTable: [ENV.faults.table, z.string().optional()],
  faultTargets: [ENV.ops.faultTargets, list],
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

export const breakers: BreakerOpsDeps = { store: breakerStore(settings), known: settings.knownBreakers, now };

export const leader: LeaderOpsDeps = {
  leases: new LeaseTable({ client: documentClient, tableName: settings.leasesTable }),
  leaseName: settings.leaseName,
  stage: settings.stage,
  now,
};

export const shards: ShardOpsDeps = {
  shardMap: currentShardMap(settings, 'reads'),
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
