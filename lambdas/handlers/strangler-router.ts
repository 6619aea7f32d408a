import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { signedInCustomerOf } from '../platform/caller.ts';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Writable } from 'node:stream';
import { servedByEightfold, stickyKeyOf } from '../patterns/strangler/index.ts';
import { errorResponse } from '../platform/http.ts';
import { logger } from '../platform/logger.ts';
import { METRICS_NAMESPACE, ROUTED_REQUESTS_METRIC } from '../platform/metric-names.ts';
import { readSettings, text } from '../composition/settings.ts';
import { invokeEightfold, proxyToLegacyFor, ROUTER_ROUTES_SETTING, routeKeyOf, type ShadowRun } from '../composition/strangler.ts';
import { traced } from '../platform/observability.ts';
import { ENV } from '../platform/environment.ts';

// The composition root: this function's settings, read once.
const settings = readSettings({
  routes: ROUTER_ROUTES_SETTING,
  shadowFunction: [ENV.strangler.shadowFunction, text],
  legacyUrl: [ENV.strangler.legacyUrl, text],
});
const { routes, shadowFunction } = settings;
const toLegacy = (event: APIGatewayProxyEvent) => proxyToLegacyFor(settings.legacyUrl, event);
const lambda = traced(new LambdaClient({}));
const metrics = new Metrics({ namespace: METRICS_NAMESPACE });

/** An asynchronous invocation carries at most 1 MB; a larger shadow run is skipped, never the client's answer. */
const MAX_SHADOW_BYTES = 1_000_000;

/** One EMF log line per request: which side served it (GET /ops/routes sums them; no write on the request's path). */
function countServed(route: string, servedBy: 'legacy' | 'eightfold'): void {
  const metric = metrics.singleMetric();
  metric.addDimensions({ route, servedBy });
  metric.addMetric(ROUTED_REQUESTS_METRIC, MetricUnit.Count, 1);
}

/** Writes the whole answer and ends the stream: the client has its response from this moment. */
function answerWith(stream: Writable, answer: APIGatewayProxyResult): Promise<void> {
  const response = awslambda.HttpResponseStream.from(stream, { statusCode: answer.statusCode, headers: answer.headers ?? {} });
  return new Promise((resolve) => response.end(answer.body ?? '', () => resolve()));
}

/** Hands a shadow run to the shadow function (an asynchronous invocation); a failure is logged, never surfaced. */
async function handOff(run: ShadowRun): Promise<void> {
  const payload = new TextEncoder().encode(JSON.stringify(run));
  if (payload.byteLength > MAX_SHADOW_BYTES)
    return logger.warn('shadow run skipped: too large to hand over', { route: run.route, bytes: payload.byteLength });
  try {
    await lambda.send(new InvokeCommand({ FunctionName: shadowFunction, InvocationType: 'Event', Payload: payload }));
  } catch (error) {
    logger.error('shadow run not handed over', { route: run.route, error: error as Error });
  }
}

/**
 * Strangler Fig, the routes in between: a `weighted` route sends each customer, always the same way, to
 * Eightfold or to legacy; a `shadow` route answers from legacy and only then, the client's response already
 * complete, hands the request and legacy's answer to the shadow function. The response streams
 * (`responseTransferMode: STREAM`) precisely so the invocation can outlive the answer.
 */
async function route(event: APIGatewayProxyEvent, stream: Writable, context: Context): Promise<void> {
  logger.addContext(context);
  // API Gateway follows a streamed response with a call of its own, which is no request to route.
  if (!event?.httpMethod) return void stream.end();
  const key = routeKeyOf(event);
  const config = routes[key];
  if (!config) return answerWith(stream, errorResponse(500, 'ROUTE_NOT_CONFIGURED', `The strangler router has no route ${key}`));
  if (config.mode === 'weighted') {
    const sticky = { ...event, signedInCustomer: signedInCustomerOf(event), sourceIp: event.requestContext?.identity?.sourceIp };
    const eightfold = servedByEightfold(stickyKeyOf(sticky), config.percent!);
    countServed(key, eightfold ? 'eightfold' : 'legacy');
    return answerWith(stream, await (eightfold ? invokeEightfold(config.target, event) : toLegacy(event)));
  }
  countServed(key, 'legacy');
  const answer = await toLegacy(event);
  await answerWith(stream, answer);
  await handOff({ route: key, event, legacy: { statusCode: answer.statusCode, body: answer.body } });
}

export const handler = awslambda.streamifyResponse(route);
