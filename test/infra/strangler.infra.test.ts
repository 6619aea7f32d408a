/** Strangler Fig: the façade routes each route as the routing table says, and everything else to legacy. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOn,
  eightfoldStack,
  lambdaTarget,
  LEGACY_URL,
  methodAt,
  ROUTES,
  synthesize,
  synthesizeStack,
  withRoutes,
} from '../helpers/stack.ts';

let template: Template;
beforeAll(() => {
  ({ template } = eightfoldStack());
});

describe('EightfoldStack: Strangler Fig façade', () => {
  type Method = {
    Properties: {
      HttpMethod: string;
      ResourceId: unknown;
      ApiKeyRequired?: boolean;
      Integration: {
        Type: string;
        Uri?: unknown;
        TimeoutInMillis?: number;
        IntegrationHttpMethod?: string;
        RequestParameters?: Record<string, string>;
      };
    };
  };
  const methods = (of: Template) => Object.values(of.findResources('AWS::ApiGateway::Method')) as Method[];
  /** The methods legacy serves: through the façade's stamping proxy. */
  const legacyMethods = () => methods(template).filter((m) => /^StranglerLegacyProxy/.test(lambdaTarget(m as never) ?? ''));
  const resources = () =>
    template.findResources('AWS::ApiGateway::Resource') as Record<string, { Properties: { PathPart: string; ParentId: unknown } }>;

  it('sends any path Eightfold does not serve to legacy through the façade’s proxy, which stamps X-Served-By and waits 3 s', () => {
    const [proxyId] = Object.entries(resources()).find(
      ([, r]) => r.Properties.PathPart === '{proxy+}' && JSON.stringify(r.Properties.ParentId).includes('RootResourceId'),
    )!;
    const catchAll = legacyMethods().find((m) => JSON.stringify(m.Properties.ResourceId).includes(proxyId))!;
    expect(catchAll.Properties).toMatchObject({ HttpMethod: 'ANY', Integration: { Type: 'AWS_PROXY' } });
    expect(catchAll.Properties.ApiKeyRequired).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'legacy-proxy/index.handler',
      Timeout: 5,
      Environment: { Variables: Match.objectLike({ LEGACY_URL: LEGACY_URL }) },
    });
    // One permission for the whole API, not one per method: a Lambda's resource policy has a size limit.
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter((p) =>
      JSON.stringify(p).includes('StranglerLegacyProxy'),
    );
    expect(permissions).toHaveLength(1);
  });

  it('sends the methods Eightfold does not serve on its own paths to legacy, and no /ops path', () => {
    for (const path of [
      '/health',
      '/orders',
      '/orders/{orderId}',
      '/orders/{orderId}/cancel',
      '/customers/{customerId}',
      '/products/{sku}/sales',
    ])
      expect(lambdaTarget(methodAt(template, `ANY ${path}`)), path).toMatch(/^StranglerLegacyProxy/);
    expect(legacyMethods().length).toBeGreaterThan(10);
    expect(() => methodAt(template, 'ANY /ops/breakers')).toThrow();
  });

  it('answers /integration/* from API Gateway itself, 404 stamped X-Served-By: gateway: legacy’s integration API is never forwarded', () => {
    for (const path of ['/integration', '/integration/{proxy+}']) {
      const method = methodAt(template, `ANY ${path}`) as unknown as { Properties: { Integration: Record<string, any> } };
      expect(method.Properties.Integration).toMatchObject({
        Type: 'MOCK',
        IntegrationResponses: [{ StatusCode: '404', ResponseParameters: { 'method.response.header.X-Served-By': "'gateway'" } }],
      });
    }
  });

  it('with -c eightfold:stampLegacy=false, proxies legacy with plain HTTP_PROXY integrations: no hop, path parameters carried over', () => {
    const plain = synthesize({ 'eightfold:stampLegacy': 'false' });
    const cancel = methodAt(plain, 'ANY /orders/{orderId}/cancel') as unknown as Method;
    expect(cancel.Properties.Integration).toMatchObject({
      Type: 'HTTP_PROXY',
      IntegrationHttpMethod: 'ANY',
      Uri: `${LEGACY_URL}orders/{orderId}/cancel`,
      TimeoutInMillis: 3000,
      RequestParameters: { 'integration.request.path.orderId': 'method.request.path.orderId' },
    });
    expect(Object.keys(plain.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith('StranglerLegacyProxy'))).toEqual([]);
  });

  it('feeds every order event to legacy: an unfiltered FIFO subscriber that backs off and waits ~2 h before its DLQ', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    const [queueId, queue] = Object.entries(queues).find(([id]) => id.startsWith('PubSubLegacySyncQueue'))!;
    // 6 × the 15 s function timeout; 30 receives backing off 1 s, 2 s, … 5 min.
    expect(queue.Properties).toMatchObject({ FifoQueue: true, VisibilityTimeout: 90, RedrivePolicy: { maxReceiveCount: 30 } });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
      Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FilterPolicy: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'legacy-sync-subscriber/index.handler',
      Timeout: 15,
      Environment: {
        Variables: Match.objectLike({
          SUBSCRIBER_QUEUE_URL: { Ref: queueId },
          SUBSCRIBER_RETRY_BACKOFF_SECONDS: '1:300',
          AMBASSADOR_POLICY_PARAMETER: Match.anyValue(),
          BREAKERS_TABLE: Match.anyValue(),
        }),
      },
    });
    expect(actionsOn('PubSubLegacySyncConsumer', 'PubSubSubscriberCheckpoints')).toEqual(new Set());
    expect([...actionsOn('PubSubLegacySyncConsumer', 'PubSubLegacySyncQueue')]).toEqual(
      expect.arrayContaining(['sqs:ChangeMessageVisibility']),
    );
    // Legacy is an outbound target like the payment provider: its own policy, its own breaker.
    const [parameter] = Object.values(template.findResources('AWS::SSM::Parameter')) as { Properties: { Value: unknown } }[];
    expect(JSON.stringify(parameter!.Properties.Value)).toContain(`\\"legacy\\":{\\"baseUrl\\":\\"${LEGACY_URL}`);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ KNOWN_BREAKERS: 'payment-provider,legacy' }) },
    });
  });
});

describe('EightfoldStack: Strangler Fig routing table', () => {
  it.each(Object.entries(ROUTES))('builds %s as its mode in cdk.json says (%o)', (route, { mode }) => {
    const method = methodAt(template, route);
    if (mode === 'legacy') {
      expect(lambdaTarget(method)).toMatch(/^StranglerLegacyProxy/);
    } else {
      expect(method.Properties.Integration.Type).toBe('AWS_PROXY');
      expect(lambdaTarget(method)).toMatch(route.startsWith('POST') ? /^CommandsFunction/ : /^QueriesFunction/);
    }
  });

  it('rolls a route back to legacy with a one-line change: the same method goes to legacy through the façade’s proxy', () => {
    const rolledBack = synthesize(withRoutes({ 'GET /orders/{orderId}/history': { mode: 'legacy', since: '2026-11-27' } }));
    expect(lambdaTarget(methodAt(rolledBack, 'GET /orders/{orderId}/history'))).toMatch(/^StranglerLegacyProxy/);
    // No router: a route in legacy or eightfold mode costs no hop of the strangler's own.
    expect(Object.keys(rolledBack.findResources('AWS::Lambda::Function')).filter((id) => /^Strangler(Router|Shadow)/.test(id))).toEqual([]);
  });

  it('sends shadow and weighted routes through the router, which alone may hand a shadow run to the shadow function', () => {
    const moved = synthesize(
      withRoutes({
        'GET /orders/{orderId}': { mode: 'shadow', since: '2026-11-27', ignore: ['updatedAt'] },
        'POST /orders/{orderId}/cancel': { mode: 'shadow', since: '2026-11-27' },
        'GET /customers/{customerId}/orders': { mode: 'weighted', since: '2026-11-27', percent: 30 },
      }),
    );
    for (const route of ['GET /orders/{orderId}', 'POST /orders/{orderId}/cancel', 'GET /customers/{customerId}/orders']) {
      const method = methodAt(moved, route);
      expect(lambdaTarget(method), route).toMatch(/^StranglerRouter/);
      // Streamed: the client's answer is complete when the router ends its stream, before any hand-off.
      expect(method.Properties.Integration).toMatchObject({ ResponseTransferMode: 'STREAM' });
      expect(JSON.stringify(method.Properties.Integration.Uri)).toContain('/response-streaming-invocations');
    }
    expect(lambdaTarget(methodAt(moved, 'POST /orders'))).toMatch(/^CommandsFunction/);
    const functions = moved.findResources('AWS::Lambda::Function') as Record<
      string,
      { Properties: { Handler: string; Environment: { Variables: Record<string, unknown> } } }
    >;
    const [, router] = Object.entries(functions).find(([id]) => id.startsWith('StranglerRouter'))!;
    const routes = JSON.stringify(router.Properties.Environment.Variables.STRANGLER_ROUTES);
    expect(routes).toMatch(/GET \/orders\/\{orderId\}.*shadow.*updatedAt.*target.*QueriesFunction/);
    expect(routes).toMatch(/POST \/orders\/\{orderId\}\/cancel.*shadow.*target.*CommandsFunction/);
    expect(routes).toMatch(/weighted.*percent\\?":30.*target.*QueriesFunction/);
    expect(router.Properties.Environment.Variables).toMatchObject({
      LEGACY_URL,
      SHADOW_FUNCTION: { Ref: expect.stringMatching(/^StranglerShadow/) },
    });
    // The shadow function is no API integration: clients never reach it, and it never answers them.
    const shadowId = Object.keys(functions).find((id) => id.startsWith('StranglerShadow'))!;
    moved.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: shadowId },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 300,
    });
    for (const method of Object.values(moved.findResources('AWS::ApiGateway::Method')))
      expect(JSON.stringify(method)).not.toContain(shadowId);
    const invokers = (fn: string) =>
      Object.values(moved.findResources('AWS::IAM::Policy'))
        .filter(
          (p) =>
            JSON.stringify(p).includes('lambda:InvokeFunction') &&
            JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(fn),
        )
        .flatMap((p) =>
          (
            p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }
          ).Properties.PolicyDocument.Statement.filter((s) => JSON.stringify(s.Action).includes('lambda:InvokeFunction')),
        )
        .map((s) => JSON.stringify(s.Resource));
    const routerInvokes = invokers('StranglerRouter').join();
    for (const target of ['QueriesFunction', 'CommandsFunction', 'StranglerShadow']) expect(routerInvokes).toContain(target);
    const shadowInvokes = invokers('StranglerShadow').join();
    expect(shadowInvokes).toContain('QueriesFunction');
    expect(shadowInvokes).toContain('CommandsFunction');
    expect(shadowInvokes).not.toContain('StranglerRouter');
  });

  it.each([
    [
      'a payment shadowed (even its dry run would charge)',
      { 'POST /orders/{orderId}/payment': { mode: 'shadow', since: '2026-11-27' } },
      /cannot be shadowed/,
    ],
    [
      'a route Eightfold serves left out of the table',
      { 'GET /products/{sku}/sales': undefined },
      /has no mode for GET \/products\/\{sku\}\/sales/,
    ],
    [
      'a route sent to Eightfold that no function serves',
      { 'GET /catalog/products': { mode: 'eightfold', since: '2026-11-27' } },
      /no Eightfold function serves it/,
    ],
    ['a weighted route without its percent', { 'GET /orders/{orderId}': { mode: 'weighted', since: '2026-11-27' } }, /percent is required/],
    ['a mode that does not exist', { 'GET /orders/{orderId}': { mode: 'canary', since: '2026-11-27' } }, /mode/],
  ])('refuses to synthesize %s', (_, changes, message) => {
    const routes = Object.fromEntries(Object.entries({ ...ROUTES, ...changes }).filter(([, route]) => route !== undefined));
    expect(() => synthesizeStack({ 'eightfold:routes': routes })).toThrow(message);
  });

  it('lets the ops function read the routing table, query the shadow comparisons and read the served-by metrics', () => {
    expect(actionsOn('OpsFunction', 'StranglerShadowComparisons')).toEqual(new Set(['dynamodb:Query']));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ROUTING_TABLE: JSON.stringify(ROUTES),
          SHADOW_COMPARISONS_TABLE: Match.anyValue(),
          API_NAME: 'eightfold-test',
          API_STAGE: 'prod',
          ROUTER_SERVICE_NAME: 'strangler-router',
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'cloudwatch:GetMetricData', Resource: '*' })]) },
    });
    // Per-method request counts: the stage's detailed metrics.
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      MethodSettings: [Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', MetricsEnabled: true })],
    });
  });
});
