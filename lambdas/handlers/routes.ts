/**
 * The routes each API function serves, and who may call each: its handler dispatches on exactly these (the
 * type checks it), the stack hands exactly these to the strangler, which routes each to Eightfold or legacy
 * as the routing table says, and the authorizer denies customers the routes only operators may call.
 * `customers`: a signed-in customer, on their own orders (an operator on anyone's). `operators`: operators only.
 */
export const COMMAND_ROUTES = {
  'POST /orders': { shadowable: true, callers: 'customers' },
  'POST /orders/{orderId}/cancel': { shadowable: true, callers: 'customers' },
  'POST /orders/{orderId}/ship': { shadowable: true, callers: 'operators' },
  // A payment's decision is the provider's answer: it has no dry run to shadow.
  'POST /orders/{orderId}/payment': { shadowable: false, callers: 'customers' },
} as const;

export const QUERY_ROUTES = {
  'GET /orders/{orderId}': { shadowable: true, callers: 'customers' },
  'GET /orders/{orderId}/events': { shadowable: true, callers: 'customers' },
  'GET /orders/{orderId}/history': { shadowable: true, callers: 'customers' },
  'GET /customers/{customerId}/orders': { shadowable: true, callers: 'customers' },
  'GET /customers/{customerId}/notifications': { shadowable: true, callers: 'customers' },
  'GET /products/{sku}/sales': { shadowable: true, callers: 'customers' },
} as const;

/** The operators' API (lambdas/handlers/ops.ts), operators only; the authorizer denies customers all of `* /ops/*`. */
export const OPS_ROUTES = {
  'GET /ops/queues': { callers: 'operators' },
  'GET /ops/events': { callers: 'operators' },
  'GET /ops/routes': { callers: 'operators' },
  'GET /ops/shards': { callers: 'operators' },
  'GET /ops/leader': { callers: 'operators' },
  'POST /ops/leader/step-down': { callers: 'operators' },
  'POST /ops/leader/resign': { callers: 'operators' },
  'GET /ops/breakers': { callers: 'operators' },
  'PUT /ops/breakers/{name}': { callers: 'operators' },
  'PUT /ops/faults/{target}': { callers: 'operators' },
} as const;

/** The routes anyone may call: no token. */
export const OPEN_ROUTES = {
  'GET /health': { callers: 'anyone' },
  'GET /openapi.json': { callers: 'anyone' },
  'GET /console': { callers: 'anyone' },
} as const;

/** The routes only operators may call, as the authorizer's policy denies them to customers. */
export const OPERATOR_ONLY_ROUTES = [
  ...Object.entries({ ...COMMAND_ROUTES, ...QUERY_ROUTES })
    .filter(([, route]) => route.callers === 'operators')
    .map(([key]) => key),
  '* /ops/*',
];
