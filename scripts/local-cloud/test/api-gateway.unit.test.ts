import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LocalApiGateway, parseProxyResponse } from '../api-gateway/gateway.ts';
import { buildApiGatewayModel, matchRoute, type ResourceNode } from '../api-gateway/model.ts';

function node(pathPart: string, path: string, children: ResourceNode[] = []): ResourceNode {
  return { id: path, pathPart, path, children, methods: new Map() };
}

const root = node('', '/', [
  node('orders', '/orders', [
    node('{orderId}', '/orders/{orderId}', [node('events', '/orders/{orderId}/events')]),
    node('search', '/orders/search'),
  ]),
  node('{proxy+}', '/{proxy+}'),
]);

describe('matchRoute', () => {
  it.each([
    ['/', '/', null],
    ['/orders', '/orders', null],
    ['/orders/search', '/orders/search', null],
    ['/orders/o-1', '/orders/{orderId}', { orderId: 'o-1' }],
    ['/orders/o%201/events', '/orders/{orderId}/events', { orderId: 'o 1' }],
    ['/catalog/products/sku-1', '/{proxy+}', { proxy: 'catalog/products/sku-1' }],
    ['/orders/o-1/unknown', '/{proxy+}', { proxy: 'orders/o-1/unknown' }],
  ])('%s matches %s', (path, expected, params) => {
    const match = matchRoute(root, path);
    expect(match?.node.path).toBe(expected);
    expect(match?.pathParameters).toEqual(params);
  });

  it('finds nothing when no resource and no greedy proxy matches', () => {
    const noProxy = node('', '/', [node('orders', '/orders')]);
    expect(matchRoute(noProxy, '/customers')).toBeUndefined();
  });
});

describe('parseProxyResponse', () => {
  it('merges headers and multiValueHeaders and decodes a base64 body', () => {
    const response = parseProxyResponse({
      statusCode: 201,
      headers: { 'content-type': 'text/plain' },
      multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] },
      body: Buffer.from('hello').toString('base64'),
      isBase64Encoded: true,
    });
    expect(response).toEqual({
      statusCode: 201,
      headers: { 'content-type': ['text/plain'], 'set-cookie': ['a=1', 'b=2'] },
      body: Buffer.from('hello'),
    });
  });

  it.each([
    ['a string', 'ok'],
    ['null', null],
    ['a non-integer status', { statusCode: 'abc' }],
    ['a status out of range', { statusCode: 700 }],
    ['an object body', { statusCode: 200, body: { a: 1 } }],
    ['multiValueHeaders that are not lists', { statusCode: 200, multiValueHeaders: { a: 'b' } }],
  ])('treats %s as malformed', (_description, payload) => {
    expect(parseProxyResponse(payload)).toBeUndefined();
  });
});

const resource = (logicalId: string, type: string, properties: Record<string, unknown>, attributes: Record<string, unknown> = {}) => ({
  stackName: 's',
  logicalId,
  type,
  properties,
  physicalId: logicalId.toLowerCase(),
  attributes,
});

/** One API with `GET /ping` (a MOCK) on stage `prod`. */
const pingApi = (method: Record<string, unknown> = {}, stage: Record<string, unknown> = {}) =>
  buildApiGatewayModel(
    [
      resource('Api', 'AWS::ApiGateway::RestApi', { Name: 'api' }, { RootResourceId: 'root' }),
      resource('Ping', 'AWS::ApiGateway::Resource', { RestApiId: 'api', ParentId: 'root', PathPart: 'ping' }),
      resource('PingGet', 'AWS::ApiGateway::Method', {
        RestApiId: 'api',
        ResourceId: 'ping',
        HttpMethod: 'GET',
        Integration: { Type: 'MOCK' },
        ...method,
      }),
      resource('Prod', 'AWS::ApiGateway::Stage', { RestApiId: 'api', StageName: 'prod', ...stage }),
    ],
    () => 'key',
  );

/** Serves a model on a free port for the length of `use`. */
async function serving(model: ReturnType<typeof buildApiGatewayModel>, use: (url: string) => Promise<void>): Promise<void> {
  const gateway = new LocalApiGateway({
    model,
    region: 'us-east-1',
    accountId: '000000000000',
    invokeFunction: () => Promise.reject(new Error('no functions')),
    log: () => undefined,
  });
  const server = createServer(gateway.listener).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.close();
  }
}

describe('stage throttling', () => {
  it('answers 429 TooManyRequests past the stage’s burst, for all callers together, then admits at its rate', async () => {
    const model = pingApi(
      {},
      { MethodSettings: [{ ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 2, ThrottlingBurstLimit: 3 }] },
    );
    await serving(model, async (base) => {
      const url = `${base}/ping`;
      const statuses = await Promise.all(Array.from({ length: 5 }, () => fetch(url).then((r) => r.status)));
      expect(statuses.filter((s) => s === 200)).toHaveLength(3);
      const throttled = await fetch(url);
      expect(throttled.status).toBe(429);
      expect(await throttled.json()).toEqual({ message: 'Too Many Requests' });
      // Two per second: a token back after 500 ms (a slow rate, so a busy machine cannot refill the bucket early).
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect((await fetch(url)).status).toBe(200);
    });
  });
});

describe('what the gateway will not serve open', () => {
  it.each(['AWS_IAM', 'COGNITO_USER_POOLS', 'CUSTOM'])('refuses to start a method behind %s authorization, naming it', (type) => {
    expect(() => pingApi({ AuthorizationType: type })).toThrow(`PingGet: authorization type ${type} is not emulated`);
  });

  it('answers 403 Forbidden on a stage the API does not have, as an execute-api URL does', async () => {
    await serving(pingApi(), async (base) => {
      expect((await fetch(`${base}/restapis/api/prod/_user_request_/ping`)).status).toBe(200);
      const unknown = await fetch(`${base}/restapis/api/staging/_user_request_/ping`);
      expect(unknown.status).toBe(403);
      expect(await unknown.json()).toEqual({ message: 'Forbidden' });
    });
  });
});
