import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { DEFAULT_POLICY, fromItem, setBreakerState, windowCounts, type BreakerRecord } from '../patterns/circuit-breaker/index.ts';
import { LeaseTable, type LeaseRecord, type LeaseView } from '../patterns/leader-election/index.ts';
import { COUNTERS_BY_SHARD_INDEX, shardLoad, shardsSpanned } from '../patterns/sharding/index.ts';
import { parseRouteKey, routingTableSchema, ShadowLog, type Route as StranglerRoute } from '../patterns/strangler/index.ts';
import { breakerStore } from '../composition/breakers.ts';
import { documentClient, requireEnv } from '../platform/clients.ts';
import { FAULT_TARGETS, faultsSchema, writeFaults, type FaultTarget } from '../platform/faults.ts';
import { dispatch, HttpError, jsonResponse, parseJsonBody, type Route } from '../platform/http.ts';
import { correlateRequests } from '../platform/correlation.ts';
import { answerErrors } from '../platform/http-errors.ts';
import { logger } from '../platform/logger.ts';
import { currentShardMap } from '../composition/shards.ts';
import { METRICS_NAMESPACE, ROUTED_REQUESTS_METRIC } from '../platform/metric-names.ts';
import { observed, traced } from '../platform/observability.ts';
import { readRecentEvents } from '../composition/recent-events.ts';

const breakersTable = requireEnv('BREAKERS_TABLE');
const knownBreakers = requireEnv('KNOWN_BREAKERS').split(',');
const stage = requireEnv('EIGHTFOLD_STAGE');
const leaseName = requireEnv('LEASE_NAME');
const leases = new LeaseTable({ client: documentClient, tableName: requireEnv('LEASES_TABLE') });
const salesCountersTable = requireEnv('SALES_COUNTERS_TABLE');
const routingTable = routingTableSchema.parse(JSON.parse(requireEnv('ROUTING_TABLE')));
const shadowLog = new ShadowLog(documentClient, requireEnv('SHADOW_COMPARISONS_TABLE'));
const cloudwatch = traced(new CloudWatchClient({}));
const api = { name: requireEnv('API_NAME'), stage: requireEnv('API_STAGE') };
const routerServiceName = requireEnv('ROUTER_SERVICE_NAME');
const hoursSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(14 * 24)
  .default(24);
const overrideSchema = z.strictObject({ state: z.enum(['FORCED_OPEN', 'DISABLED', 'CLOSED']) });
const observedQueues = z
  .array(z.object({ name: z.string(), url: z.string().optional(), deadLetterUrl: z.string() }))
  .parse(JSON.parse(requireEnv('OBSERVED_QUEUES')));
const sqs = traced(new SQSClient({ useQueueUrlAsEndpoint: false }));
const auditLogTable = requireEnv('AUDIT_LOG_TABLE');
const eventsLimitSchema = z.coerce.number().int().min(1).max(100).default(25);

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** A breaker as operators see it: state, window counts, when it opened and when it will next probe. */
function describe(record: BreakerRecord, now: number) {
  return {
    name: record.name,
    state: record.state,
    version: record.version,
    window: windowCounts(record, now, DEFAULT_POLICY),
    openedAt: iso(record.openedAt),
    nextProbeAt: record.state === 'OPEN' ? iso(record.nextProbeAt) : null,
    probes:
      record.state === 'HALF_OPEN'
        ? { claimed: record.probesClaimed, succeeded: record.probesSucceeded, of: DEFAULT_POLICY.halfOpenProbes }
        : null,
    updatedAt: iso(record.updatedAt),
  };
}

function breakerName(event: APIGatewayProxyEvent): string {
  const name = event.pathParameters?.name ?? '';
  if (!knownBreakers.includes(name))
    throw new HttpError(404, 'BREAKER_NOT_FOUND', `No breaker ${name}; known: ${knownBreakers.join(', ')}`);
  return name;
}

async function listBreakers(): Promise<APIGatewayProxyResult> {
  const { Items = [] } = await documentClient.send(new ScanCommand({ TableName: breakersTable, ConsistentRead: true }));
  const now = Date.now();
  const byName = new Map(Items.map((item) => [String(item.name), fromItem(String(item.name), item)]));
  // Every known breaker is listed, CLOSED if it never saw a call.
  const names = [...new Set([...knownBreakers, ...byName.keys()])].sort();
  return jsonResponse(200, { breakers: names.map((name) => describe(byName.get(name) ?? fromItem(name, undefined), now)) });
}

async function overrideBreaker(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const name = breakerName(event);
  const { state } = parseJsonBody(event, overrideSchema);
  const record = await setBreakerState(breakerStore, name, state, Date.now());
  logger.warn('breaker overridden by an operator', { name, state, version: record.version });
  return jsonResponse(200, describe(record, Date.now()));
}

/** Production deploys no such route; should a request reach one anyway, it is refused as absent. */
function outsideProductionOnly(feature: string): void {
  if (stage === 'prod') throw new HttpError(404, 'NOT_FOUND', `${feature} does not exist in production`);
}

async function injectFaults(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  outsideProductionOnly('Fault injection');
  const target = event.pathParameters?.target ?? '';
  // The stand-ins this deployment has: a real provider or legacy system takes no faults from us.
  const deployed = (process.env.FAULT_TARGETS ?? '').split(',').filter((t) => (FAULT_TARGETS as readonly string[]).includes(t));
  if (!deployed.includes(target))
    throw new HttpError(404, 'FAULT_TARGET_NOT_FOUND', `No fault target ${target}; known: ${deployed.join(', ')}`);
  const faults = parseJsonBody(event, faultsSchema);
  await writeFaults(requireEnv('FAULTS_TABLE'), target as FaultTarget, faults);
  logger.warn('faults injected', { target, ...faults });
  return jsonResponse(200, { target, ...faults });
}

/** The lease as operators see it: LEADING, STEPPING_DOWN (told to, not yet expired), EXPIRED or VACANT. */
function describeLease(lease: LeaseRecord, now: number) {
  const live = lease.holder !== undefined && lease.expiresAt > now;
  return {
    holder: lease.holder ?? null,
    status: !lease.holder ? 'VACANT' : !live ? 'EXPIRED' : lease.steppedDown ? 'STEPPING_DOWN' : 'LEADING',
    fencingToken: lease.fencingToken,
    leaseExpiresAt: lease.holder ? iso(lease.expiresAt) : null,
    heartbeatAt: iso(lease.heartbeatAt),
  };
}

async function showLeader(): Promise<APIGatewayProxyResult> {
  const view: LeaseView = await leases.describe(leaseName);
  const recentChanges = view.recentChanges.map((change) => ({
    ...change,
    acquiredAt: iso(change.acquiredAt),
    steppedDownAt: iso(change.steppedDownAt),
  }));
  return jsonResponse(200, { ...describeLease(view, Date.now()), recentChanges });
}

async function stepDown(): Promise<APIGatewayProxyResult> {
  outsideProductionOnly('Step-down');
  const lease = await leases.stepDown(leaseName, Date.now());
  if (!lease) throw new HttpError(409, 'NO_LEADER', 'No contender holds the lease now; nothing to step down');
  logger.warn('leader told to step down', { holder: lease.holder, fencingToken: lease.fencingToken });
  return jsonResponse(202, describeLease(lease, Date.now()));
}

/** Writes within this window count as recent, and their keys compete for hot. */
const RECENT_WINDOW_MS = 5 * 60_000;

/** The shard map, and each shard's load from the sales counters' by-shard index. */
async function showShards(): Promise<APIGatewayProxyResult> {
  const map = await currentShardMap();
  const since = new Date(Date.now() - RECENT_WINDOW_MS);
  const report = await shardLoad({
    client: documentClient,
    tableName: salesCountersTable,
    indexName: COUNTERS_BY_SHARD_INDEX,
    shards: shardsSpanned(map),
    since,
  });
  return jsonResponse(200, { map, algorithm: 'jump consistent hash', recentSince: since.toISOString(), ...report });
}

/** Who answers a route in its mode: shares per side, and whether Eightfold runs beside legacy. */
function servedBy(route: StranglerRoute) {
  switch (route.mode) {
    case 'legacy':
      return { legacy: 100, eightfold: 0 };
    case 'eightfold':
      return { legacy: 0, eightfold: 100 };
    case 'shadow':
      return { legacy: 100, eightfold: 0, shadowedByEightfold: true };
    case 'weighted':
      return { legacy: 100 - route.percent!, eightfold: route.percent!, stickyPer: 'customer' };
  }
}

/**
 * Requests each route served in the last `hours`, per side, from CloudWatch: API Gateway's per-method
 * `Count` for a plain route (all of it on the side its mode names), the router's own count per side for a
 * shadow or weighted one. Nothing is written on a request's path to count it.
 */
async function servedCounts(hours: number): Promise<Map<string, { legacy: number; eightfold: number }>> {
  const period = hours * 3600;
  const queries: (MetricDataQuery & { route: string; side: 'legacy' | 'eightfold' })[] = Object.entries(routingTable).flatMap(
    ([key, route], i) => {
      const { method, path } = parseRouteKey(key);
      if (route.mode === 'legacy' || route.mode === 'eightfold') {
        const dimensions = [
          { Name: 'ApiName', Value: api.name },
          { Name: 'Method', Value: method },
          { Name: 'Resource', Value: path },
          { Name: 'Stage', Value: api.stage },
        ];
        return [
          {
            Id: `r${i}`,
            route: key,
            side: route.mode,
            MetricStat: {
              Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: dimensions },
              Period: period,
              Stat: 'Sum',
            },
          },
        ];
      }
      return (['legacy', 'eightfold'] as const).map((side) => ({
        Id: `r${i}${side}`,
        route: key,
        side,
        MetricStat: {
          Metric: {
            Namespace: METRICS_NAMESPACE,
            MetricName: ROUTED_REQUESTS_METRIC,
            Dimensions: [
              { Name: 'service', Value: routerServiceName },
              { Name: 'route', Value: key },
              { Name: 'servedBy', Value: side },
            ],
          },
          Period: period,
          Stat: 'Sum',
        },
      }));
    },
  );
  const now = Date.now();
  // The window ends a minute ahead: a point stamped by a producer whose clock runs a little ahead still counts.
  const { MetricDataResults = [] } = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now - period * 1000),
      EndTime: new Date(now + 60_000),
      MetricDataQueries: queries.map(({ route: _route, side: _side, ...query }) => query),
    }),
  );
  const counts = new Map(Object.keys(routingTable).map((key) => [key, { legacy: 0, eightfold: 0 }]));
  for (const result of MetricDataResults) {
    const query = queries.find((q) => q.Id === result.Id)!;
    counts.get(query.route)![query.side] += (result.Values ?? []).reduce((sum, value) => sum + value, 0);
  }
  return counts;
}

/** The strangler's routing table as deployed: each route's mode, who served it lately, and what shadow runs found. */
async function showRoutes(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const hours = hoursSchema.safeParse(event.queryStringParameters?.hours ?? undefined);
  if (!hours.success) throw new HttpError(400, 'VALIDATION_FAILED', 'hours: a whole number from 1 to 336');
  const countsRead = servedCounts(hours.data).catch((error: unknown) => {
    // The table and the comparisons are still worth showing without the counts.
    logger.error('served-by counts unavailable', { error: error as Error });
    return undefined;
  });
  const reports = new Map(
    await Promise.all(
      Object.entries(routingTable)
        .filter(([, route]) => route.mode === 'shadow')
        .map(async ([key]) => [key, await shadowLog.report(key)] as const),
    ),
  );
  const counts = await countsRead;
  const routes = Object.entries(routingTable).map(([key, route]) => ({
    route: key,
    ...parseRouteKey(key),
    mode: route.mode,
    since: route.since,
    ...(route.percent !== undefined ? { percent: route.percent } : {}),
    servedBy: servedBy(route),
    served: counts?.get(key) ?? null,
    ...(route.mode === 'shadow'
      ? {
          shadow: reports.get(key) ?? { compared: 0, matches: 0, mismatches: 0, errors: 0, recentMismatches: [] },
          ignored: route.ignore ?? [],
        }
      : {}),
  }));
  return jsonResponse(200, { routes, servedInLastHours: hours.data, everythingElse: 'legacy', ownPaths: ['/ops', '/health'] });
}

/** Messages a queue holds: waiting to be received, and received but not yet deleted. */
async function depth(queueUrl: string): Promise<{ waiting: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    waiting: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** Each subscriber's backlog and dead letters; the stream consumers (projector, publisher) have dead letters only. */
async function showQueues(): Promise<APIGatewayProxyResult> {
  const subscribers = await Promise.all(
    observedQueues.map(async ({ name, url, deadLetterUrl }) => {
      const [backlog, dead] = await Promise.all([url ? depth(url) : undefined, depth(deadLetterUrl)]);
      return { name, waiting: backlog?.waiting ?? null, inFlight: backlog?.inFlight ?? null, deadLetters: dead.waiting + dead.inFlight };
    }),
  );
  return jsonResponse(200, { subscribers });
}

/** The latest order events, newest first, from the audit log's index of recent ones (the last 10 minutes). */
async function showRecentEvents(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const limit = eventsLimitSchema.safeParse(event.queryStringParameters?.limit ?? undefined);
  if (!limit.success) throw new HttpError(400, 'VALIDATION_FAILED', 'limit: a whole number from 1 to 100');
  const events = await readRecentEvents(documentClient, auditLogTable, { limit: limit.data, now: Date.now(), lookBackMinutes: 10 });
  return jsonResponse(200, { events });
}

const ROUTES: Record<string, Route> = {
  'GET /ops/queues': showQueues,
  'GET /ops/events': showRecentEvents,
  'GET /ops/routes': showRoutes,
  'GET /ops/shards': showShards,
  'GET /ops/leader': showLeader,
  'POST /ops/leader/step-down': stepDown,
  'GET /ops/breakers': listBreakers,
  'PUT /ops/breakers/{name}': overrideBreaker,
  'PUT /ops/faults/{target}': injectFaults,
};

/**
 * The operators' API (API key required at the gateway): breakers, the leader, shards, routes, queues and
 * recent events, and faults and step-down outside production.
 */
export const handler = observed((event: APIGatewayProxyEvent) => dispatch(ROUTES, event))
  .use(correlateRequests())
  .use(answerErrors('The operation failed; retry it'));
