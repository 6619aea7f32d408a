import { describe, expect, it } from 'vitest';
import { parseProxyResponse } from '../../scripts/local-cloud/api-gateway/gateway.ts';
import { matchRoute, type ResourceNode } from '../../scripts/local-cloud/api-gateway/model.ts';

function node(pathPart: string, path: string, children: ResourceNode[] = []): ResourceNode {
  return { id: path, pathPart, path, children, methods: new Map() };
}

const root = node('', '/', [
  node('orders', '/orders', [node('{orderId}', '/orders/{orderId}', [node('events', '/orders/{orderId}/events')]), node('search', '/orders/search')]),
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
