/**
 * The operators' API (an operator's token at the gateway, checked again here): breakers, the leader, shards, routes, queues and
 * recent events, and faults and step-down outside production. Each route parses, calls its operation
 * (use-cases/operations/) with the dependencies composed once (composition/operations.ts), and answers.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type * as z from 'zod';
import * as deps from '../composition/operations.ts';
import { callerOf } from '../platform/caller.ts';
import { correlateRequests } from '../platform/correlation.ts';
import { requireOperator } from '../use-cases/access.ts';
import { dispatch, HttpError, jsonResponse, parseJsonBody, type Route } from '../platform/http.ts';
import { answerErrors } from '../platform/http-errors.ts';
import { logger } from '../platform/logger.ts';
import { observed } from '../platform/observability.ts';
import { listBreakers, overrideBreaker } from '../use-cases/operations/breakers.ts';
import { recentEvents } from '../use-cases/operations/events.ts';
import { injectFaults } from '../use-cases/operations/faults.ts';
import { resign, showLeader, stepDown } from '../use-cases/operations/leader.ts';
import { showQueues } from '../use-cases/operations/queues.ts';
import { showRoutes } from '../use-cases/operations/routes.ts';
import { showShards } from '../use-cases/operations/shards.ts';
import { faultsSchema } from '../platform/fault-inputs.ts';
import { breakerOverrideSchema, recentEventsLimitSchema, routeHoursSchema } from '../use-cases/operations/inputs.ts';
import type { OPS_ROUTES } from './routes.ts';

/** A query parameter checked against its schema; 400 with `message` when it does not fit. */
function queryParameter<Schema extends z.ZodType>(
  event: APIGatewayProxyEvent,
  name: string,
  schema: Schema,
  message: string,
): z.infer<Schema> {
  const parsed = schema.safeParse(event.queryStringParameters?.[name] ?? undefined);
  if (!parsed.success) throw new HttpError(400, 'VALIDATION_FAILED', message);
  return parsed.data;
}

const ok = (body: unknown) => jsonResponse(200, body);

const ROUTES = {
  'GET /ops/queues': async () => ok(await showQueues(deps.queues)),
  'GET /ops/events': async (event: APIGatewayProxyEvent) =>
    ok(
      await recentEvents(deps.events, {
        limit: queryParameter(event, 'limit', recentEventsLimitSchema, 'limit: a whole number from 1 to 100'),
      }),
    ),
  'GET /ops/routes': async (event: APIGatewayProxyEvent) =>
    ok(await showRoutes(deps.routes, { hours: queryParameter(event, 'hours', routeHoursSchema, 'hours: a whole number from 1 to 336') })),
  'GET /ops/shards': async () => ok(await showShards(deps.shards)),
  'GET /ops/leader': async () => ok(await showLeader(deps.leader)),
  'POST /ops/leader/step-down': async () => {
    const lease = await stepDown(deps.leader);
    logger.warn('leader told to step down', { holder: lease.holder, fencingToken: lease.fencingToken });
    return jsonResponse(202, lease);
  },
  'POST /ops/leader/resign': async () => {
    const lease = await resign(deps.leader);
    logger.warn('leader resigned', { holder: lease.holder, fencingToken: lease.fencingToken });
    return jsonResponse(202, lease);
  },
  'GET /ops/breakers': async () => ok(await listBreakers(deps.breakers)),
  'PUT /ops/breakers/{name}': async (event: APIGatewayProxyEvent) => {
    const input = { name: event.pathParameters?.name ?? '', ...parseJsonBody(event, breakerOverrideSchema) };
    const breaker = await overrideBreaker(deps.breakers, input);
    logger.warn('breaker overridden by an operator', { name: breaker.name, state: breaker.state, version: breaker.version });
    return ok(breaker);
  },
  'PUT /ops/faults/{target}': async (event: APIGatewayProxyEvent) => {
    const injected = await injectFaults(deps.faults, {
      target: event.pathParameters?.target ?? '',
      faults: parseJsonBody(event, faultsSchema),
    });
    logger.warn('faults injected', injected);
    return ok(injected);
  },
} satisfies Record<keyof typeof OPS_ROUTES, Route>;

export const handler = observed((event: APIGatewayProxyEvent) => {
  const caller = callerOf(event);
  requireOperator(caller, 'use the operators’ API');
  // Every log line of the request names the operator: who forced a breaker, injected a fault, stepped a leader down.
  logger.appendKeys({ principal: caller.principal });
  return dispatch(ROUTES, event);
})
  .use(correlateRequests())
  .use(answerErrors('The operation failed; retry it'));
