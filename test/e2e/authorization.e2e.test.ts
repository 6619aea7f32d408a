/**
 * Who may call what, route by route, through the local cloud: anonymous, customer A, customer B and an
 * operator against every route of the API. Each answer's status is asserted, and a refused request is
 * shown to have written nothing (the event store counted before and after).
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from '../helpers/api.ts';
import { eventually } from '../helpers/eventually.ts';
import { parseRequestsFile, resolve } from '../helpers/requests-file.ts';
import { PROJECT_DIR } from '../helpers/paths.ts';
import { startTarget, type E2ETarget } from '../helpers/target.ts';
import { join } from 'node:path';

type Who = 'anonymous' | 'customer A' | 'customer B' | 'operator';
const WHO: readonly Who[] = ['anonymous', 'customer A', 'customer B', 'operator'];
const A = 'authz-customer-a';
const B = 'authz-customer-b';

let target: E2ETarget;
let tokens: Record<Who, string | undefined>;

const call = (who: Who, method: string, path: string, body?: unknown) =>
  fetch(`${target.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(tokens[who] ? { authorization: `Bearer ${tokens[who]}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

async function storedEvents(): Promise<number> {
  let count = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await target.documents.send(
      new ScanCommand({ TableName: target.outputs.eightfold.EventsTableName!, Select: 'COUNT', ConsistentRead: true, ExclusiveStartKey }),
    );
    count += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return count;
}

const order = { customerId: A, items: [{ sku: 'AUTHZ-LAMP', quantity: 1, unitPriceCents: 1250 }] };
async function placedBy(who: Who, body: unknown = order): Promise<string> {
  const response = await call(who, 'POST', '/orders', body);
  expect(response.status).toBe(201);
  return (await json<{ orderId: string }>(response)).orderId;
}

/**
 * Asks as each caller, expecting its status (or one of several, where the state decides); a refusal (4xx)
 * must leave the event store as it was, and carry the contract's error body.
 */
async function expectAnswers(method: string, path: string, expected: Record<Who, number | number[]>, body?: unknown): Promise<void> {
  for (const who of WHO) {
    const before = await storedEvents();
    const response = await call(who, method, path, body);
    expect([expected[who]].flat(), `${who}: ${method} ${path}`).toContain(response.status);
    if (response.status >= 400) {
      expect(await response.json(), `${who}: ${method} ${path}`).toEqual({
        error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
      });
      expect(await storedEvents(), `${who}: ${method} ${path} wrote`).toBe(before);
    }
  }
}

beforeAll(async () => {
  target = await startTarget();
  tokens = {
    anonymous: undefined,
    'customer A': await target.tokenFor(A),
    'customer B': await target.tokenFor(B),
    operator: target.operatorToken,
  };
});

afterAll(async () => {
  await target?.stop();
});

describe('who may call what', () => {
  it('places an order for a customer signed in as themselves, or for anyone by an operator; never in another’s name', async () => {
    await expectAnswers('POST', '/orders', { anonymous: 401, 'customer A': 201, 'customer B': 403, operator: 201 }, order);
    // A customer's order names them by their token alone; an operator must name the customer.
    const { customerId, ...unnamed } = order;
    expect(customerId).toBe(A);
    await expectAnswers('POST', '/orders', { anonymous: 401, 'customer A': 201, 'customer B': 201, operator: 400 }, unnamed);
  });

  it('reads an order, its events, its history and its customer’s lists for that customer and operators only: to another customer it does not exist', async () => {
    const orderId = await placedBy('customer A');
    await eventually(async () => expect((await call('operator', 'GET', `/orders/${orderId}`)).status).toBe(200));
    const own = { anonymous: 401, 'customer A': 200, 'customer B': 404, operator: 200 } as const;
    for (const path of [`/orders/${orderId}`, `/orders/${orderId}/events`, `/orders/${orderId}/history?version=1`])
      await expectAnswers('GET', path, own);
    await expectAnswers('GET', `/customers/${A}/orders`, own);
    await expectAnswers('GET', `/customers/${A}/notifications`, own);
    await expectAnswers('GET', '/products/AUTHZ-LAMP/sales', { anonymous: 401, 'customer A': 200, 'customer B': 200, operator: 200 });
  });

  it('pays and cancels an order for its customer or an operator; ships it for operators only', async () => {
    const paid = await placedBy('customer A');
    await expectAnswers('POST', `/orders/${paid}/payment`, { anonymous: 401, 'customer A': 200, 'customer B': 404, operator: 200 });
    await expectAnswers('POST', `/orders/${paid}/ship`, { anonymous: 401, 'customer A': 403, 'customer B': 403, operator: 200 });
    const cancelledByA = await placedBy('customer A');
    for (const who of ['anonymous', 'customer B'] as const) {
      const before = await storedEvents();
      expect((await call(who, 'POST', `/orders/${cancelledByA}/cancel`)).status).toBe(who === 'anonymous' ? 401 : 404);
      expect(await storedEvents()).toBe(before);
    }
    expect((await call('customer A', 'POST', `/orders/${cancelledByA}/cancel`)).status).toBe(200);
    expect((await call('operator', 'POST', `/orders/${await placedBy('customer A')}/cancel`)).status).toBe(200);
  });

  it('opens /ops to operators only, and /health, the API description and the console page to anyone', async () => {
    const operatorsOnly = { anonymous: 401, 'customer A': 403, 'customer B': 403, operator: 200 } as const;
    for (const path of ['/ops/breakers', '/ops/leader', '/ops/shards', '/ops/routes', '/ops/queues', '/ops/events'])
      await expectAnswers('GET', path, operatorsOnly);
    await expectAnswers('PUT', '/ops/breakers/payment-provider', operatorsOnly, { state: 'CLOSED' });
    await expectAnswers('PUT', '/ops/faults/payment-provider', operatorsOnly, {});
    // The operator's answer depends on whether the coordinator's first turn (a minute in) made a leader yet.
    await expectAnswers('POST', '/ops/leader/step-down', { anonymous: 401, 'customer A': 403, 'customer B': 403, operator: [202, 409] });
    for (const path of ['/health', '/openapi.json', '/console'])
      await expectAnswers('GET', path, { anonymous: 200, 'customer A': 200, 'customer B': 200, operator: 200 });
  });

  it('refuses a token it did not issue, an expired one, and one for a group of its own making', async () => {
    const [header, claims, signature] = tokens['customer A']!.split('.');
    const asOperator = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(claims!, 'base64url').toString()), 'cognito:groups': ['operators'] }),
    ).toString('base64url');
    for (const forged of [`${header}.${asOperator}.${signature}`, 'a.b.c', `${tokens['customer A']}x`]) {
      const response = await fetch(`${target.url}/ops/breakers`, { headers: { authorization: `Bearer ${forged}` } });
      expect(response.status, forged.slice(0, 20)).toBe(401);
    }
    const issuer = target.outputs.eightfold.IssuerUrl!;
    const expired = await fetch(`${issuer}/local/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: A, expiresInSeconds: -60 }),
    });
    const { access_token: stale } = (await expired.json()) as { access_token: string };
    expect((await fetch(`${target.url}/customers/${A}/orders`, { headers: { authorization: `Bearer ${stale}` } })).status).toBe(401);
  });
});

describe('the API description says who may call each operation', () => {
  it('and the gateway holds to it: no token is refused but on open routes, a customer is refused the operators’ routes', async () => {
    const description = await json<{ paths: Record<string, Record<string, { 'x-callers': string }>> }>(
      await call('anonymous', 'GET', '/openapi.json'),
    );
    const operations = Object.entries(description.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path: path.replace(/\{[^}]+\}/g, 'authz-none'),
        callers: op['x-callers'],
      })),
    );
    expect(new Set(operations.map((op) => op.callers))).toEqual(new Set(['anyone', 'customers', 'operators']));
    for (const { method, path, callers } of operations) {
      const anonymous = await call('anonymous', method, path);
      expect(anonymous.status === 401, `${method} ${path} without a token`).toBe(callers !== 'anyone');
      const body = method === 'GET' ? undefined : {};
      if (callers === 'operators')
        expect((await call('customer A', method, path, body)).status, `${method} ${path} as a customer`).toBe(403);
    }
  });
});

describe('requests.http, the README’s walk-through as requests', () => {
  it('runs as written: each request answers the status its title names, and reads the answers before it', async () => {
    const { variables, requests } = parseRequestsFile(join(PROJECT_DIR, 'requests.http'));
    const env = {
      CUSTOMER_TOKEN: await target.tokenFor('c1'),
      OTHER_TOKEN: await target.tokenFor('c2'),
      OPERATOR_TOKEN: target.operatorToken,
    };
    const answers: Record<string, unknown> = {};
    const at = (text: string) => resolve(text, { ...variables, base: target.url }, env, answers);
    expect(requests.length).toBeGreaterThanOrEqual(10);
    for (const request of requests) {
      const expected = Number(/\b([1-5]\d\d)\b/.exec(request.title)?.[1] ?? 200);
      const send = () =>
        fetch(at(request.url), {
          method: request.method,
          headers: Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key, at(value)])),
          body: request.body === undefined ? undefined : at(request.body),
        });
      // A read of what the refund has yet to reach answers 503 VIEW_BEHIND: a client retries it, as this does.
      const response = await eventually(
        async () => {
          const answer = await send();
          expect(answer.status, `${request.title}: ${request.method} ${at(request.url)}`).not.toBe(503);
          return answer;
        },
        { timeoutMs: 20_000 },
      );
      expect(response.status, `${request.title}: ${request.method} ${at(request.url)}`).toBe(expected);
      const servedBy = /X-Served-By: (\w+)/.exec(request.title)?.[1];
      if (servedBy) expect(response.headers.get('x-served-by')).toBe(servedBy);
      if (request.name) answers[request.name] = await response.json();
    }
  });
});
