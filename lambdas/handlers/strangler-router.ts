import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { servedByEightfold, stickyKeyOf } from '../patterns/strangler/index.ts';
import { requireEnv } from '../shared/clients.ts';
import { errorResponse } from '../shared/http.ts';
import { logger } from '../shared/logger.ts';
import { invokeEightfold, proxyToLegacy, ROUTED_REQUESTS_METRIC, routeKeyOf, routerRoutes, STRANGLER_NAMESPACE, type ShadowRun } from '../shared/strangler.ts';

const routes = routerRoutes();
const shadowFunction = requireEnv('SHADOW_FUNCTION');
const lambda = new LambdaClient({});
const metrics = new Metrics({ namespace: STRANGLER_NAMESPACE });

/** One EMF log line per request: which side served it (GET /ops/routes sums them; no write on the request's path). */
function countServed(route: string, servedBy: 'legacy' | 'eightfold'): void {
  const metric = metrics.singleMetric();
  metric.addDimensions({ route, servedBy });
  metric.addMetric(ROUTED_REQUESTS_METRIC, MetricUnit.Count, 1);
}

/** An asynchronous invocation carries at most 1 MB; a larger shadow run is skipped, never the client's answer. */
const MAX_SHADOW_BYTES = 1_000_000;

/**
 * Strangler Fig, the routes in between: a `weighted` route sends each customer, always the same way, to
 * Eightfold or to legacy; a `shadow` route answers from legacy and hands the request and legacy's answer to
 * the shadow function (an asynchronous invocation: the client does not wait for Eightfold's side).
 */
async function route(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const key = routeKeyOf(event);
  const config = routes[key];
  if (!config) return errorResponse(500, 'ROUTE_NOT_CONFIGURED', `The strangler router has no route ${key}`);
  if (config.mode === 'weighted') {
    const eightfold = servedByEightfold(stickyKeyOf({ ...event, sourceIp: event.requestContext?.identity?.sourceIp }), config.percent!);
    countServed(key, eightfold ? 'eightfold' : 'legacy');
    return eightfold ? invokeEightfold(config.target, event) : proxyToLegacy(event);
  }
  countServed(key, 'legacy');
  const answer = await proxyToLegacy(event);
  const run: ShadowRun = { route: key, event, legacy: { statusCode: answer.statusCode, body: answer.body } };
  const payload = new TextEncoder().encode(JSON.stringify(run));
  if (payload.byteLength > MAX_SHADOW_BYTES) {
    logger.warn('shadow run skipped: too large to hand over', { route: key, bytes: payload.byteLength });
    return answer;
  }
  try {
    await lambda.send(new InvokeCommand({ FunctionName: shadowFunction, InvocationType: 'Event', Payload: payload }));
  } catch (error) {
    // The comparison is ours, not the client's: losing one never changes the answer.
    logger.error('shadow run not handed over', { route: key, error: error as Error });
  }
  return answer;
}

export const handler = middy(route).use(injectLambdaContext(logger));
