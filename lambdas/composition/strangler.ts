import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { routeSchema } from '../patterns/strangler/index.ts';
import { errorResponse } from '../platform/http.ts';
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

/** Request headers that belong to the hop, not to the request. */
const HOP_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'x-forwarded-for',
  'x-forwarded-port',
  'x-forwarded-proto',
]);

/** How long the router waits for legacy: as long as the façade's own legacy integrations wait. */
const LEGACY_TIMEOUT_MS = 3_000;

/** Legacy's answer: the request passed through to the same path on legacy, as an HTTP proxy integration does. */
export async function proxyToLegacy(legacyUrl: string, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const url = new URL(event.path.replace(/^\//, ''), legacyUrl);
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {}))
    for (const value of values ?? []) url.searchParams.append(name, value);
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).filter(([name, value]) => value !== undefined && !HOP_HEADERS.has(name.toLowerCase())),
  ) as Record<string, string>;
  const body =
    event.body === null || event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body;
  try {
    const response = await fetch(url, { method: event.httpMethod, headers, body, signal: AbortSignal.timeout(LEGACY_TIMEOUT_MS) });
    return {
      statusCode: response.status,
      headers: {
        'Content-Type': response.headers.get('content-type') ?? 'application/json',
        'X-Served-By': response.headers.get('x-served-by') ?? 'legacy',
      },
      body: await response.text(),
    };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    return errorResponse(
      timedOut ? 504 : 502,
      timedOut ? 'LEGACY_TIMEOUT' : 'LEGACY_UNREACHABLE',
      timedOut ? `Legacy did not answer within ${LEGACY_TIMEOUT_MS} ms` : 'Legacy could not be reached',
    );
  }
}
