/**
 * Strangler Fig, the routing table: per method + path, who answers. It lives in CDK context
 * (`eightfold:routes` in cdk.json), so moving a route, or rolling it back, is a one-line change and a deploy.
 *
 * - `legacy`: legacy answers (a plain HTTP proxy integration, no extra hop);
 * - `eightfold`: Eightfold answers (a plain Lambda integration, no extra hop);
 * - `shadow`: legacy answers; the same request also runs on Eightfold, off the client's path (commands as a
 *   dry run that decides but appends nothing), and the two answers are compared and recorded;
 * - `weighted`: `percent` of customers go to Eightfold, the rest to legacy, each customer always to the same side.
 */
import * as z from 'zod';
import { hash64 } from '../sharding/hashing.ts';

export const ROUTE_MODES = ['legacy', 'eightfold', 'shadow', 'weighted'] as const;
export type RouteMode = (typeof ROUTE_MODES)[number];

export const routeSchema = z
  .strictObject({
    mode: z.enum(ROUTE_MODES),
    /** When the route took this mode (an ISO date), as the operator who changed it wrote it. */
    since: z.string().regex(/^\d{4}-\d{2}-\d{2}/, 'an ISO date, e.g. 2026-11-26'),
    /** `weighted` only: the share of customers Eightfold serves. */
    percent: z.number().int().min(0).max(100).optional(),
    /** `shadow` only: fields a comparison ignores at any depth (ids and times each side makes up itself). */
    ignore: z.array(z.string().min(1)).optional(),
  })
  .refine((route) => (route.mode === 'weighted') === (route.percent !== undefined), {
    message: 'percent is required by mode weighted, and allowed with no other mode',
  })
  .refine((route) => route.mode === 'shadow' || route.ignore === undefined, { message: 'ignore is allowed with mode shadow only' });
export type Route = z.infer<typeof routeSchema>;

/** `METHOD /path/{param}`, as API Gateway names a method: the path is the resource's, with its parameters. */
export const ROUTE_KEY = /^(GET|POST|PUT|PATCH|DELETE) (\/[A-Za-z0-9._~{}/-]*)$/;
export const routingTableSchema = z.record(z.string().regex(ROUTE_KEY, 'METHOD /path, e.g. "GET /orders/{orderId}"'), routeSchema);
export type RoutingTable = z.infer<typeof routingTableSchema>;

/** The method and the resource path of a route key. */
export function parseRouteKey(key: string): { method: string; path: string } {
  const match = ROUTE_KEY.exec(key);
  if (!match) throw new Error(`"${key}" is not a route: expected METHOD /path`);
  return { method: match[1]!, path: match[2]! };
}

/** What a weighted route keys its split on: the request's customer, however the request names it. */
export interface StickyRequest {
  /** The customer the request is signed in as, when a customer signed it (their token names them). */
  readonly signedInCustomer?: string;
  readonly pathParameters?: Record<string, string | undefined> | null;
  readonly headers?: Record<string, string | undefined> | null;
  readonly body?: string | null;
  readonly sourceIp?: string;
}

/**
 * The customer a request belongs to: the one signed in, else its `{customerId}` path parameter, the
 * `customerId` of its JSON body, or an `X-Customer-Id` header (an operator acting for a customer); failing
 * those, its first path parameter (an order stays on one side), then the caller's address.
 */
export function stickyKeyOf(request: StickyRequest): string {
  if (request.signedInCustomer) return `customer:${request.signedInCustomer}`;
  const params = request.pathParameters ?? {};
  if (params.customerId) return `customer:${params.customerId}`;
  try {
    const body = JSON.parse(request.body ?? '') as { customerId?: unknown };
    if (typeof body?.customerId === 'string') return `customer:${body.customerId}`;
  } catch {
    // not JSON: no customer in it
  }
  const header = Object.entries(request.headers ?? {}).find(([name]) => name.toLowerCase() === 'x-customer-id')?.[1];
  if (header) return `customer:${header}`;
  const firstParam = Object.values(params).find((value) => value);
  return firstParam ? `param:${firstParam}` : `ip:${request.sourceIp ?? ''}`;
}

/** Whether Eightfold serves this key on a route weighted at `percent`: a stable bucket 0–99 per key. */
export function servedByEightfold(stickyKey: string, percent: number): boolean {
  return Number(hash64(`strangler:${stickyKey}`) % 100n) < percent;
}
