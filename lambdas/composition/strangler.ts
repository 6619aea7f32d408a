import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { routeSchema } from '../patterns/strangler/index.ts';
import type { Caller } from '../kernel/caller.ts';
import { signedInCallerOf } from '../platform/caller.ts';
import { errorResponse } from '../platform/http.ts';
import { mayActFor } from '../use-cases/access.ts';
import { traced } from '../platform/observability.ts';
import { ENV } from '../platform/environment.ts';
import { json } from './settings.ts';

/** The routes the strangler router serves (shadow and weighted ones), each with the Eightfold function behind it. */
export const routerRoutesSchema = z.record(z.string(), routeSchema.and(z.object({ target: z.string().min(1) })));
export type RouterRoutes = z.infer<typeof routerRoutesSchema>;

/** The router's routes, as the strangler construct gives them. */
export const ROUTER_ROUTES_SETTING = [ENV.strangler.routes, json(routerRoutesSchema)] as const;

/** What the router hands the shadow function: the request as it came, and what legacy answered. */
export interface ShadowRun {
  readonly route: string;
  readonly event: APIGatewayProxyEvent;
  readonly legacy: { readonly statusCode: number; readonly body: string };
}

/** `METHOD /resource/{param}`: the route a request came in on. */
export const routeKeyOf = (event: APIGatewayProxyEvent) => `${event.httpMethod} ${event.resource}`;

const lambda = traced(new LambdaClient({}));

/** Eightfold's answer: the request handed, as it came, to the function that serves the route. */
export async function invokeEightfold(functionName: string, event: unknown): Promise<APIGatewayProxyResult> {
  const { Payload, FunctionError } = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(event)) }),
  );
  const result = JSON.parse(new TextDecoder().decode(Payload ?? new Uint8Array())) as APIGatewayProxyResult;
  // API Gateway answers a failed Lambda integration with 502; so does the router.
  if (FunctionError) return errorResponse(502, 'INTERNAL', 'Eightfold failed to answer');
  return result;
}

/** Headers that belong to the hop, not to the request or the answer. */
const HOP_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'keep-alive',
  'x-forwarded-for',
  'x-forwarded-port',
  'x-forwarded-proto',
]);
/** A header that is the request's or the answer's own: not the hop's, nor an AWS service's stamp (legacy's own API Gateway ids). */
const endToEnd = ([name]: [string, unknown]) => !HOP_HEADERS.has(name.toLowerCase()) && !/^(x-amzn?-|apigw-)/i.test(name);

/** How long the façade waits for legacy: as API Gateway's legacy integrations did, so an outage answers fast. */
export const LEGACY_TIMEOUT_MS = 3_000;

/** Bodies passed as text; anything else (an image of legacy's catalog) is passed base64-encoded, as API Gateway expects. */
const TEXTUAL = /json|text|xml|javascript|x-www-form-urlencoded/i;

/**
 * Legacy's answer to the request, passed through to the same path on legacy with its query, headers and
 * body, and answered with legacy's status, headers and body, stamped `X-Served-By: legacy` whatever legacy
 * sent. Legacy not answering within 3 s, or not reachable, is the façade's own answer: 504 or 502,
 * `X-Served-By: gateway`.
 */
export async function proxyToLegacy(legacyUrl: string, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const url = new URL(event.path.replace(/^\//, ''), legacyUrl);
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {}))
    for (const value of values ?? []) url.searchParams.append(name, value);
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).filter((header): header is [string, string] => header[1] !== undefined && endToEnd(header)),
  );
  const body =
    event.body === null || event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body;
  try {
    const response = await fetch(url, { method: event.httpMethod, headers, body, signal: AbortSignal.timeout(LEGACY_TIMEOUT_MS) });
    const textual = TEXTUAL.test(response.headers.get('content-type') ?? 'application/json');
    return {
      statusCode: response.status,
      headers: { ...Object.fromEntries([...response.headers].filter(endToEnd)), 'X-Served-By': 'legacy' },
      ...(textual
        ? { body: await response.text() }
        : { body: Buffer.from(await response.arrayBuffer()).toString('base64'), isBase64Encoded: true }),
    };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    return errorResponse(
      timedOut ? 504 : 502,
      timedOut ? 'LEGACY_TIMEOUT' : 'LEGACY_UNREACHABLE',
      timedOut ? `Legacy did not answer within ${LEGACY_TIMEOUT_MS} ms` : 'Legacy could not be reached',
      undefined,
      { 'X-Served-By': 'gateway' },
    );
  }
}

const ownedBy = (answer: APIGatewayProxyResult, caller: Caller): boolean => {
  try {
    return mayActFor(caller, (JSON.parse(answer.body) as { customerId?: string }).customerId);
  } catch {
    return false;
  }
};

/** The façade's own refusal: what Eightfold answers for what is not the caller's, as if it did not exist. */
const notTheirs = (code: 'ORDER_NOT_FOUND' | 'CUSTOMER_NOT_FOUND', message: string) =>
  errorResponse(404, code, message, undefined, { 'X-Served-By': 'gateway' });

/**
 * Legacy's answer to a signed-in caller, within what that caller may see. Legacy knows no callers, so on
 * the routes Eightfold declares (behind its authorizer, whoever serves them) the façade applies Eightfold's
 * rules: a customer's own orders and lists only, another's answered as if it did not exist. A command on an
 * order is checked against legacy's copy before it is forwarded; a read, against what legacy answers.
 * Operators, and legacy's own unsigned paths, pass straight through.
 */
export async function proxyToLegacyFor(legacyUrl: string, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const caller = signedInCallerOf(event);
  if (!caller || caller.role === 'operator') return proxyToLegacy(legacyUrl, event);
  const { customerId, orderId } = event.pathParameters ?? {};
  if (customerId !== undefined && !mayActFor(caller, customerId)) return notTheirs('CUSTOMER_NOT_FOUND', `No customer ${customerId}`);
  if (orderId === undefined) return proxyToLegacy(legacyUrl, event);
  const missing = () => notTheirs('ORDER_NOT_FOUND', `Order ${orderId} does not exist`);
  if (event.httpMethod !== 'GET') {
    const read = {
      ...event,
      httpMethod: 'GET',
      path: `/orders/${encodeURIComponent(orderId)}`,
      body: null,
      multiValueQueryStringParameters: null,
    };
    const copy = await proxyToLegacy(legacyUrl, read);
    if (copy.statusCode >= 500) return copy;
    if (copy.statusCode === 200 && !ownedBy(copy, caller)) return missing();
  }
  const answer = await proxyToLegacy(legacyUrl, event);
  return event.httpMethod === 'GET' && answer.statusCode === 200 && !ownedBy(answer, caller) ? missing() : answer;
}
