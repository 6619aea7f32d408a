import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { apiDescription } from '../../lambdas/handlers/api-description.ts';
import { COMMAND_ROUTES, OPEN_ROUTES, OPS_ROUTES, QUERY_ROUTES } from '../../lambdas/handlers/routes.ts';
import { withReference } from '../../scripts/api-reference.ts';

const description = apiDescription('1.2.3');
/** The document as a client reads it: plain JSON. */
const paths = JSON.parse(JSON.stringify(description.paths)) as Record<string, Record<string, any>>;
const doc = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

describe('the API description (OpenAPI 3.1, from the zod schemas)', () => {
  it('describes every route the handlers serve, and says who may call each', () => {
    const described = Object.entries(description.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => [`${method.toUpperCase()} ${path}`, (op as Record<string, unknown>)['x-callers']]),
    );
    const routes = { ...COMMAND_ROUTES, ...QUERY_ROUTES, ...OPS_ROUTES, ...OPEN_ROUTES };
    expect(Object.fromEntries(described)).toEqual(Object.fromEntries(Object.entries(routes).map(([key, route]) => [key, route.callers])));
    // Only the open routes go without the bearer token the document requires by default.
    for (const [path, methods] of Object.entries(description.paths)) {
      for (const [method, op] of Object.entries(methods) as [string, { security?: unknown[] }][]) {
        expect(op.security === undefined, `${method} ${path}`).toBe(`${method.toUpperCase()} ${path}` in OPEN_ROUTES === false);
      }
    }
  });

  it('holds schemas a JSON Schema 2020-12 validator compiles, which accept a good answer and refuse a wrong one', () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    const order = paths['/orders/{orderId}']!.get.responses['200'].content['application/json'].schema;
    const validate = ajv.compile(order);
    const answer = {
      orderId: 'o1',
      customerId: 'c1',
      status: 'PLACED',
      items: [{ sku: 'LAMP', quantity: 2, unitPriceCents: 1250 }],
      totalCents: 2500,
      version: 1,
      placedAt: '2026-12-05T10:00:00.000Z',
      updatedAt: '2026-12-05T10:00:00.000Z',
      payment: { status: 'NONE', chargedCents: 0, refundedCents: 0 },
    };
    expect(validate(answer)).toBe(true);
    expect(validate({ ...answer, status: 'LOST' })).toBe(false);
    expect(validate({ ...answer, secret: 'leaked' })).toBe(false);
    expect(validate({ ...answer, payment: { ...answer.payment, status: 'SPENT' } })).toBe(false);
    expect(validate({ ...answer, version: 0 })).toBe(false);
    const body = ajv.compile(paths['/orders']!.post.requestBody.content['application/json'].schema);
    expect(body({ items: [{ sku: 'LAMP', quantity: 1, unitPriceCents: 1 }] })).toBe(true);
    expect(body({ items: [] })).toBe(false);
  });

  it('is what docs/api.md and docs/openapi.json hold (npm run api-reference makes them)', () => {
    const current = apiDescription(JSON.parse(doc('../package.json')).version as string);
    expect(doc('api.md')).toBe(withReference(doc('api.md'), current));
    expect(JSON.parse(doc('openapi.json'))).toEqual(JSON.parse(JSON.stringify(current)));
  });
});
