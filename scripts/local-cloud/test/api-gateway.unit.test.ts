import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LocalApiGateway, parseProxyResponse } from '../api-gateway/gateway.ts';
import type { InvokeOutcome } from '../lambda/function-runtime.ts';
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
  it.each(['AWS_IAM', 'COGNITO_USER_POOLS'])('refuses to start a method behind %s authorization, naming it', (type) => {
    expect(() => pingApi({ AuthorizationType: type })).toThrow(`PingGet: authorization type ${type} is not emulated`);
  });

  it('refuses to start an AWS integration with a service it does not play, naming the method and the service', () => {
    expect(() => pingApi({ Integration: { Type: 'AWS', Uri: 'arn:aws:apigateway:us-east-1:kinesis:action/PutRecord' } })).toThrow(
      'PingGet: AWS integrations with kinesis are not emulated (Lambda, sqs, sns, dynamodb are)',
    );
    expect(() => pingApi({ Integration: { Type: 'AWS', Uri: 'arn:aws:apigateway:us-east-1:sqs:action/SendMessage' } })).not.toThrow();
  });

  it('refuses to start a CUSTOM method whose authorizer the template does not hold', () => {
    expect(() => pingApi({ AuthorizationType: 'CUSTOM', AuthorizerId: 'nowhere' })).toThrow(
      'PingGet: its authorizer nowhere is not in the template',
    );
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

describe('Lambda authorizers', () => {
  const AUTH_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:auth';
  const ECHO_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:echo';
  const uri = (arn: string) => `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${arn}/invocations`;
  const customGet = (id: string, resourceId: string) =>
    resource(id, 'AWS::ApiGateway::Method', {
      RestApiId: 'api',
      ResourceId: resourceId,
      HttpMethod: 'GET',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: 'authorizer',
      Integration: { Type: 'AWS_PROXY', Uri: uri(ECHO_ARN) },
    });
  const model = (authorizer: Record<string, unknown> = {}) =>
    buildApiGatewayModel(
      [
        resource('Api', 'AWS::ApiGateway::RestApi', { Name: 'api' }, { RootResourceId: 'root' }),
        resource('Authorizer', 'AWS::ApiGateway::Authorizer', {
          RestApiId: 'api',
          Type: 'TOKEN',
          AuthorizerUri: uri(AUTH_ARN),
          IdentitySource: 'method.request.header.Authorization',
          ...authorizer,
        }),
        resource('Ping', 'AWS::ApiGateway::Resource', { RestApiId: 'api', ParentId: 'root', PathPart: 'ping' }),
        resource('Admin', 'AWS::ApiGateway::Resource', { RestApiId: 'api', ParentId: 'root', PathPart: 'admin' }),
        customGet('PingGet', 'ping'),
        customGet('AdminGet', 'admin'),
        resource('Prod', 'AWS::ApiGateway::Stage', { RestApiId: 'api', StageName: 'prod' }),
      ],
      () => 'key',
    );
  const statement = (Effect: string, Resource: string) => ({ Effect, Action: 'execute-api:Invoke', Resource });
  /** The authorizer's answer to each token; the echo function answers with what the authorizer passed on. */
  const answers: Record<string, () => InvokeOutcome> = {
    allow: () =>
      ok({
        principalId: 'user-1',
        policyDocument: { Statement: [statement('Allow', 'arn:aws:execute-api:*:*:api/prod/*/*')] },
        context: { role: 'customer' },
      }),
    'not-admin': () =>
      ok({
        principalId: 'user-2',
        policyDocument: {
          Statement: [
            statement('Allow', 'arn:aws:execute-api:*:*:api/prod/*'),
            statement('Deny', 'arn:aws:execute-api:*:*:api/prod/*/admin'),
          ],
        },
      }),
    nobody: () => failed('Unauthorized'),
    broken: () => failed('TypeError: x is undefined'),
    shapeless: () => ok({ allowed: true }),
  };
  function ok(payload: unknown): InvokeOutcome {
    return { ok: true, payload, durationMs: 1, coldStart: false };
  }
  function failed(errorMessage: string): InvokeOutcome {
    return { ok: false, kind: 'Unhandled', error: { errorType: 'Error', errorMessage, trace: [] }, durationMs: 1, coldStart: false };
  }

  async function serve(use: (get: (path: string, token?: string) => Promise<Response>, calls: string[]) => Promise<void>, authorizer = {}) {
    const calls: string[] = [];
    const gateway = new LocalApiGateway({
      model: model(authorizer),
      region: 'us-east-1',
      accountId: '000000000000',
      invokeFunction: async (arn, event) => {
        const { authorizationToken, requestContext } = event as { authorizationToken?: string; requestContext?: { authorizer: unknown } };
        if (arn === AUTH_ARN) {
          calls.push(authorizationToken!);
          return answers[authorizationToken!.replace('Bearer ', '')]!();
        }
        return ok({ statusCode: 200, body: JSON.stringify(requestContext?.authorizer) });
      },
      log: () => undefined,
    });
    const server = createServer(gateway.listener).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await use((path, token) => fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }), calls);
    } finally {
      server.close();
    }
  }

  it('answers 401 to a request without the identity, without asking the authorizer', async () => {
    await serve(async (get, calls) => {
      const answer = await get('/ping');
      expect(answer.status).toBe(401);
      expect(await answer.json()).toEqual({ message: 'Unauthorized' });
      expect(calls).toEqual([]);
    });
  });

  it('passes an allowed caller on with its principal and context, and asks once per token while the result is cached', async () => {
    await serve(async (get, calls) => {
      for (let i = 0; i < 3; i++) {
        const answer = await get('/ping', 'allow');
        expect(answer.status).toBe(200);
        expect(await answer.json()).toEqual({ principalId: 'user-1', role: 'customer' });
      }
      expect((await get('/admin', 'allow')).status).toBe(200);
      expect(calls).toEqual(['Bearer allow']);
    });
  });

  it('asks on every request when the TTL is 0', async () => {
    await serve(
      async (get, calls) => {
        await get('/ping', 'allow');
        await get('/ping', 'allow');
        expect(calls).toHaveLength(2);
      },
      { AuthorizerResultTtlInSeconds: 0 },
    );
  });

  it('lets an explicit Deny win over an Allow, per method: 403 AccessDenied', async () => {
    await serve(async (get) => {
      expect((await get('/ping', 'not-admin')).status).toBe(200);
      const denied = await get('/admin', 'not-admin');
      expect(denied.status).toBe(403);
      expect(await denied.json()).toEqual({ message: 'User is not authorized to access this resource' });
    });
  });

  it('answers 401 when the authorizer says "Unauthorized", 500 when it fails or answers without a policy', async () => {
    await serve(async (get) => {
      expect((await get('/ping', 'nobody')).status).toBe(401);
      for (const token of ['broken', 'shapeless']) {
        // As AWS answers an authorizer's failure: 500, `{"message":null}`, an AuthorizerConfigurationException.
        const failed = await get('/ping', token);
        expect([failed.status, failed.headers.get('x-amzn-errortype'), await failed.json()]).toEqual([
          500,
          'AuthorizerConfigurationException',
          { message: null },
        ]);
      }
    });
  });

  it('refuses a token the validation expression does not match, without asking the authorizer', async () => {
    await serve(
      async (get, calls) => {
        expect((await get('/ping', 'allow')).status).toBe(200);
        expect((await get('/ping', 'NOT allowed!')).status).toBe(401);
        expect(calls).toEqual(['Bearer allow']);
      },
      { IdentityValidationExpression: 'Bearer [a-z]+' },
    );
  });

  it('refuses to start an authorizer type it does not play (a Cognito user pool authorizer), naming it', () => {
    expect(() => model({ Type: 'COGNITO_USER_POOLS' })).toThrow('Authorizer: authorizer type COGNITO_USER_POOLS is not emulated');
  });
});
