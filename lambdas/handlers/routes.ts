/**
 * The routes each API function serves: its handler dispatches on exactly these (the type checks it), and
 * the stack hands exactly these to the strangler, which routes each to Eightfold or legacy as the routing
 * table says.
 */
export const COMMAND_ROUTES = {
  'POST /orders': { shadowable: true },
  'POST /orders/{orderId}/cancel': { shadowable: true },
  'POST /orders/{orderId}/ship': { shadowable: true },
  // A payment's decision is the provider's answer: it has no dry run to shadow.
  'POST /orders/{orderId}/payment': { shadowable: false },
} as const;

export const QUERY_ROUTES = {
  'GET /orders/{orderId}': { shadowable: true },
  'GET /orders/{orderId}/events': { shadowable: true },
  'GET /orders/{orderId}/history': { shadowable: true },
  'GET /customers/{customerId}/orders': { shadowable: true },
  'GET /customers/{customerId}/notifications': { shadowable: true },
  'GET /products/{sku}/sales': { shadowable: true },
} as const;
