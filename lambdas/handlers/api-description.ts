/**
 * The HTTP API described as OpenAPI 3.1, made from the same zod schemas the handlers parse requests with,
 * and from the answers' schemas below; served at `GET /openapi.json`, and the source of docs/api-reference.md.
 * An answer the e2e suite receives that this document does not describe fails the suite
 * (test/helpers/api-description.ts).
 */
// A namespace import, not `import { z }`: esbuild can then drop zod's locales from the bundle.
import * as z from 'zod';
import { CURRENT_SCHEMA_VERSION, ORDER_STATUS } from '../domain/orders/index.ts';
import { faultsSchema } from '../platform/fault-inputs.ts';
import { breakerOverrideSchema, recentEventsLimitSchema, routeHoursSchema } from '../use-cases/operations/inputs.ts';
import { idSchema, paymentSchema, placeOrderSchema, skuSchema } from '../use-cases/order-inputs.ts';
import { COMMAND_ROUTES, OPEN_ROUTES, OPS_ROUTES, QUERY_ROUTES } from './routes.ts';

const timestamp = z.iso.datetime({ offset: true });
const version = z.number().int().min(1).describe('The order version this answer reflects (its ETag)');

const itemSchema = z.object({ sku: z.string(), quantity: z.number().int(), unitPriceCents: z.number().int() });
const orderStatus = z.enum(Object.values(ORDER_STATUS) as [string, ...string[]]);
/**
 * Eightfold's answers always carry it; legacy's, on a route legacy still serves (`X-Served-By: legacy`),
 * do not: legacy keeps no payment ledger. A client of the façade reads it as optional until the route moves.
 */
const paymentSummary = z
  .object({
    status: z.enum(['NONE', 'PENDING', 'PAID', 'DECLINED', 'REFUND_PENDING', 'REFUNDED']),
    chargedCents: z.number().int(),
    refundedCents: z.number().int(),
  })
  .optional()
  .describe("The payment's ledger; absent in legacy's answers (X-Served-By: legacy), which keep none");

const orderAnswer = z.object({
  orderId: z.string(),
  customerId: z.string(),
  status: orderStatus,
  items: z.array(itemSchema),
  totalCents: z.number().int(),
  version,
  placedAt: timestamp,
  updatedAt: timestamp,
  payment: paymentSummary,
});

const nextCursor = z.string().optional().describe('Pass as ?cursor= for the next page; absent on the last');

const eventAnswer = z.object({
  eventId: z.string(),
  orderId: z.string(),
  version,
  type: z.enum(Object.keys(CURRENT_SCHEMA_VERSION) as [string, ...string[]]),
  schemaVersion: z.number().int(),
  data: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
  recordedAt: timestamp,
});

const notificationAnswer = z.object({
  notificationId: z.string(),
  orderId: z.string(),
  type: z.string(),
  version,
  text: z.string(),
  createdAt: timestamp,
});

/** Every error, Eightfold's and API Gateway's own: `{ error: { code, message, … } }`, details by code. */
const errorAnswer = z.object({
  error: z.looseObject({
    code: z.string().describe('Stable, machine-readable: VALIDATION_FAILED, ORDER_NOT_FOUND, VERSION_CONFLICT, …'),
    message: z.string(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

const breakerAnswer = z.looseObject({
  name: z.string(),
  state: z.enum(['CLOSED', 'OPEN', 'HALF_OPEN', 'FORCED_OPEN', 'DISABLED']),
  version: z.number().int(),
  window: z.looseObject({ calls: z.number(), failures: z.number(), slow: z.number() }),
  openedAt: timestamp.nullable(),
  nextProbeAt: timestamp.nullable(),
  probes: z.object({ claimed: z.number(), succeeded: z.number(), of: z.number() }).nullable(),
  updatedAt: timestamp.nullable(),
});
const leaseAnswer = z.looseObject({
  holder: z.string().nullable(),
  status: z.enum(['LEADING', 'STEPPING_DOWN', 'HANDED_OVER', 'EXPIRED', 'VACANT']),
  fencingToken: z.number().int(),
  leaseExpiresAt: timestamp.nullable(),
  heartbeatAt: timestamp.nullable(),
});

type Callers = 'anyone' | 'customers' | 'operators';
interface Answer {
  readonly description: string;
  readonly schema?: z.ZodType;
  readonly contentType?: string;
}
interface Operation {
  readonly summary: string;
  readonly path?: Record<string, z.ZodType>;
  readonly query?: Record<string, z.ZodType>;
  readonly headers?: Record<string, z.ZodType>;
  readonly body?: z.ZodType;
  readonly answers: Record<number, Answer>;
}

const orderId = { orderId: idSchema };
const page = { limit: z.number().int().min(1).max(100), cursor: z.string() };
const ifMatch = {
  'If-Match': z
    .string()
    .regex(/^"?\d+"?$/)
    .describe('Apply only at this version (an ETag): else 409 VERSION_CONFLICT'),
};
const changed = (what: string): Answer => ({
  description: what,
  schema: z.object({ orderId: z.string(), version, status: orderStatus, payment: paymentSummary }),
});

const OPERATIONS: Record<
  keyof typeof COMMAND_ROUTES | keyof typeof QUERY_ROUTES | keyof typeof OPS_ROUTES | keyof typeof OPEN_ROUTES,
  Operation
> = {
  'GET /health': {
    summary: 'Liveness of the API itself; touches no dependency',
    answers: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok'), version: z.string() }) } },
  },
  'GET /openapi.json': {
    summary: 'This document',
    answers: { 200: { description: 'The OpenAPI 3.1 description of the API', schema: z.looseObject({ openapi: z.string() }) } },
  },
  'GET /console': {
    summary: "The operators' console: one page over /ops (paste an operator's token)",
    answers: { 200: { description: 'The page', contentType: 'text/html' } },
  },
  'POST /orders': {
    summary: "Place an order (a customer's own; an operator names the customer)",
    headers: {
      'Idempotency-Key': z
        .string()
        .regex(/^[\x21-\x7e]{1,128}$/)
        .describe('Same key and body: the first answer again'),
    },
    body: placeOrderSchema,
    answers: {
      201: { description: 'Placed', schema: z.object({ orderId: z.string(), version, status: z.literal('PLACED') }) },
    },
  },
  'POST /orders/{orderId}/cancel': {
    summary: 'Cancel an order; a paid one is refunded (payment REFUND_PENDING, then REFUNDED)',
    path: orderId,
    headers: ifMatch,
    answers: { 200: changed('Cancelled') },
  },
  'POST /orders/{orderId}/ship': {
    summary: 'Ship a paid order (operators)',
    path: orderId,
    headers: ifMatch,
    answers: { 200: changed('Shipped') },
  },
  'POST /orders/{orderId}/payment': {
    summary: 'Pay for an order: the payment saga (402 declined, 503 provider unavailable, 409 in progress or cancelled meanwhile)',
    path: orderId,
    body: paymentSchema,
    answers: {
      200: {
        description: 'Paid (or already paid: nothing charged again)',
        schema: z.object({ orderId: z.string(), status: z.literal('PAID'), version }),
      },
    },
  },
  'GET /orders/{orderId}': {
    summary: 'The order, from the read model',
    path: orderId,
    query: { minVersion: z.number().int().min(1).describe('Wait up to 2 s for the view to reach this version, else 503 VIEW_BEHIND') },
    answers: { 200: { description: 'The order', schema: orderAnswer } },
  },
  'GET /orders/{orderId}/events': {
    summary: "The order's stored events, oldest first",
    path: orderId,
    query: page,
    answers: { 200: { description: 'A page of events', schema: z.object({ events: z.array(eventAnswer), nextCursor }) } },
  },
  'GET /orders/{orderId}/history': {
    summary: 'The order as it was after event `version`',
    path: orderId,
    query: { version: z.number().int().min(1) },
    answers: { 200: { description: 'The order then', schema: orderAnswer } },
  },
  'GET /customers/{customerId}/orders': {
    summary: "A customer's orders, newest first",
    path: { customerId: idSchema },
    query: page,
    answers: { 200: { description: 'A page of orders', schema: z.object({ orders: z.array(orderAnswer), nextCursor }) } },
  },
  'GET /customers/{customerId}/notifications': {
    summary: 'What the notifications subscriber told the customer, newest first',
    path: { customerId: idSchema },
    query: page,
    answers: {
      200: { description: 'A page of notifications', schema: z.object({ notifications: z.array(notificationAnswer), nextCursor }) },
    },
  },
  'GET /products/{sku}/sales': {
    summary: 'Units sold, from the sharded counter (eventually consistent)',
    path: { sku: skuSchema },
    answers: {
      200: {
        description: 'Units sold',
        schema: z.object({ sku: z.string(), unitsSold: z.number().int(), shards: z.number().int(), asOf: timestamp }),
      },
    },
  },
  'GET /ops/queues': {
    summary: "Each subscriber's backlog and dead letters",
    answers: {
      200: {
        description: 'Queues',
        schema: z.object({
          subscribers: z.array(
            z.object({
              name: z.string(),
              waiting: z.number().int().nullable(),
              inFlight: z.number().int().nullable(),
              deadLetters: z.number().int(),
            }),
          ),
        }),
      },
    },
  },
  'GET /ops/events': {
    summary: 'The latest order events, newest first (the last 10 minutes)',
    query: { limit: recentEventsLimitSchema },
    answers: {
      200: {
        description: 'Recent events',
        schema: z.object({
          events: z.array(
            z.object({ orderId: z.string(), version: z.number().int(), type: z.string(), eventId: z.string(), recordedAt: timestamp }),
          ),
        }),
      },
    },
  },
  'GET /ops/routes': {
    summary: 'The routing table as deployed, with who served each route and what shadow runs found',
    query: { hours: routeHoursSchema },
    answers: {
      200: { description: 'Routes', schema: z.looseObject({ routes: z.array(z.looseObject({ route: z.string(), mode: z.string() })) }) },
    },
  },
  'GET /ops/shards': {
    summary: 'The shard map, each shard’s load, and the hot keys',
    answers: {
      200: {
        description: 'Shards',
        schema: z.looseObject({ map: z.looseObject({ name: z.string(), version: z.number().int(), shards: z.number().int() }) }),
      },
    },
  },
  'GET /ops/leader': {
    summary: "The coordinator's lease and its recent changes of holder",
    answers: {
      200: {
        description: 'The lease',
        schema: leaseAnswer.extend({ recentChanges: z.array(z.looseObject({ holder: z.string(), fencingToken: z.number().int() })) }),
      },
    },
  },
  'POST /ops/leader/resign': {
    summary: "Hand leadership over: the lease is let go now, and the next contender's turn takes it",
    answers: { 202: { description: 'Let go', schema: leaseAnswer } },
  },
  'POST /ops/leader/step-down': {
    summary: "Simulate the leader's crash (not in prod): it stops renewing, and another leads once the lease runs out",
    answers: { 202: { description: 'Stepping down', schema: leaseAnswer } },
  },
  'GET /ops/breakers': {
    summary: 'Every circuit breaker',
    answers: { 200: { description: 'Breakers', schema: z.object({ breakers: z.array(breakerAnswer) }) } },
  },
  'PUT /ops/breakers/{name}': {
    summary: 'Force a breaker open, disable it, or reset it, fleet-wide',
    path: { name: z.string() },
    body: breakerOverrideSchema,
    answers: { 200: { description: 'The breaker now', schema: breakerAnswer } },
  },
  'PUT /ops/faults/{target}': {
    summary: "Set a stand-in's faults (not in prod)",
    path: { target: z.enum(['payment-provider', 'legacy']) },
    body: faultsSchema,
    answers: {
      200: {
        description: 'The faults now: every stand-in acts on them by the time this answers',
        schema: faultsSchema.extend({ target: z.string() }),
      },
    },
  },
};

const CALLERS: Record<keyof typeof OPERATIONS, Callers> = Object.fromEntries(
  Object.entries({ ...COMMAND_ROUTES, ...QUERY_ROUTES, ...OPS_ROUTES, ...OPEN_ROUTES }).map(([key, route]) => [key, route.callers]),
) as Record<keyof typeof OPERATIONS, Callers>;

const WHO = {
  anyone: 'Anyone: no token.',
  customers: "A customer on their own orders (another's answer 404), an operator on anyone's.",
  operators: "Operators only (a customer's token: 403).",
} as const;

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
  return rest;
};

function operation(key: keyof typeof OPERATIONS, op: Operation) {
  const callers = CALLERS[key];
  const parameter = (place: 'path' | 'query' | 'header', name: string, schema: z.ZodType) => ({
    name,
    in: place,
    required: place === 'path',
    schema: jsonSchema(schema, 'input'),
    ...(schema.description ? { description: schema.description } : {}),
  });
  const parameters = [
    ...Object.entries(op.path ?? {}).map(([name, schema]) => parameter('path', name, schema)),
    ...Object.entries(op.query ?? {}).map(([name, schema]) => parameter('query', name, schema)),
    ...Object.entries(op.headers ?? {}).map(([name, schema]) => parameter('header', name, schema)),
  ];
  const responses = Object.fromEntries(
    Object.entries(op.answers).map(([status, answer]) => [
      status,
      {
        description: answer.description,
        content: { [answer.contentType ?? 'application/json']: answer.schema ? { schema: jsonSchema(answer.schema, 'output') } : {} },
      },
    ]),
  );
  return {
    summary: op.summary,
    description: WHO[callers],
    operationId: key.toLowerCase().replace(/[^a-z0-9]+(.)?/g, (_, next: string | undefined) => (next ?? '').toUpperCase()),
    'x-callers': callers,
    ...(callers === 'anyone' ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? { requestBody: { required: !key.includes('payment'), content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } }
      : {}),
    responses: {
      ...responses,
      default: {
        description: 'An error: its status, and the code in the body',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    },
  };
}

/** The OpenAPI 3.1 document of the API at `version`. */
export function apiDescription(appVersion: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, op] of Object.entries(OPERATIONS) as [keyof typeof OPERATIONS, Operation][]) {
    const [method, path] = key.split(' ') as [string, string];
    (paths[path] ??= {})[method.toLowerCase()] = operation(key, op);
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'Eightfold order service',
      version: appVersion,
      description:
        'Orders for an online shop. Every answer says who served it (`X-Served-By`: eightfold, legacy or gateway); paths not listed here are served by the legacy system, through the same façade.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An access token of the stack’s user pool (npm run token)',
        },
      },
      schemas: { Error: jsonSchema(errorAnswer, 'output') },
    },
  };
}
