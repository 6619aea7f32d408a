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
  EIGHTFOLD_STAGE: z.string().min(1),
  KNOWN_BREAKERS: list,
  LEASES_TABLE: z.string().min(1),
  LEASE_NAME: z.string().min(1),
  SALES_COUNTERS_TABLE: z.string().min(1),
  ROUTING_TABLE: json(routingTableSchema),
  SHADOW_COMPARISONS_TABLE: z.string().min(1),
  API_NAME: z.string().min(1),
  API_STAGE: z.string().min(1),
  ROUTER_SERVICE_NAME: z.string().min(1),
  OBSERVED_QUEUES: json(z.array(z.object({ name: z.string(), url: z.string().optional(), deadLetterUrl: z.string() }))),
  AUDIT_LOG_TABLE: z.string().min(1),
  FAULTS_TABLE: z.string().optional(),
  FAULT_TARGETS: list.default([]),
});
const settings = settingsSchema.parse(process.env);

const now = () => Date.now();
const sqs = traced(new SQSClient({ useQueueUrlAsEndpoint: false }));
const servedCounts = routeMetrics({
  cloudwatch: traced(new CloudWatchClient({})),
  routingTable: settings.ROUTING_TABLE,
  api: { name: settings.API_NAME, stage: settings.API_STAGE },
  routerServiceName: settings.ROUTER_SERVICE_NAME,
});
const shadowLog = new ShadowLog(documentClient, settings.SHADOW_COMPARISONS_TABLE);

export const breakers: BreakerOpsDeps = { store: breakerStore, known: settings.KNOWN_BREAKERS, now };

export const leader: LeaderOpsDeps = {
  leases: new LeaseTable({ client: documentClient, tableName: settings.LEASES_TABLE }),
  leaseName: settings.LEASE_NAME,
  stage: settings.EIGHTFOLD_STAGE,
  now,
};

export const shards: ShardOpsDeps = {
  shardMap: currentShardMap,
  load: (count, since) =>
    shardLoad({
      client: documentClient,
      tableName: settings.SALES_COUNTERS_TABLE,
      indexName: COUNTERS_BY_SHARD_INDEX,
      shards: count,
      since,
    }),
  now,
};

export const routes: RouteOpsDeps = {
  routingTable: settings.ROUTING_TABLE,
  // The table and the comparisons are still worth showing without the counts.
  servedCounts: (hours) =>
    servedCounts(hours).catch((error: unknown) => {
      logger.error('served-by counts unavailable', { error: error as Error });
      return undefined;
    }),
  shadowReport: (route) => shadowLog.report(route),
};

export const queues: QueueOpsDeps = {
  queues: settings.OBSERVED_QUEUES,
  depth: async (queueUrl) => {
    const names = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] as const;
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...names] }));
    return { waiting: Number(Attributes[names[0]] ?? 0), inFlight: Number(Attributes[names[1]] ?? 0) };
  },
};

export const events: EventOpsDeps = {
  recent: (options) => readRecentEvents(documentClient, settings.AUDIT_LOG_TABLE, options),
  now,
};

export const faults: FaultOpsDeps<Faults> = {
  stage: settings.EIGHTFOLD_STAGE,
  targets: settings.FAULT_TARGETS.filter((target) => (FAULT_TARGETS as readonly string[]).includes(target)),
  write: (target, value) => writeFaults(settings.FAULTS_TABLE!, target as FaultTarget, value),
};
