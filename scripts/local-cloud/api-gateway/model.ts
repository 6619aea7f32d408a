import type { ResolvedResource } from '../resources/types.ts';
import { INTEGRATION_SERVICES } from './aws-services.ts';

/** A REST API as the local API Gateway serves it, assembled from its template resources. */
export interface RestApiModel {
  readonly id: string;
  readonly name: string;
  readonly stackName: string;
  readonly root: ResourceNode;
  readonly stages: StageModel[];
  readonly binaryMediaTypes: string[];
  readonly gatewayResponses: Map<string, GatewayResponseOverride>;
}

export interface StageModel {
  readonly name: string;
  readonly variables: Record<string, string> | null;
  /** The stage's default method throttling (MethodSettings for `/*` and `*`): one bucket for all callers. */
  readonly throttle?: Throttle;
}

export interface Throttle {
  readonly rateLimit?: number;
  readonly burstLimit?: number;
}

export interface ResourceNode {
  readonly id: string;
  readonly pathPart: string;
  /** Full path template, e.g. `/orders/{orderId}`. */
  path: string;
  readonly children: ResourceNode[];
  readonly methods: Map<string, ApiMethod>;
}

export interface ApiMethod {
  readonly httpMethod: string;
  readonly apiKeyRequired: boolean;
  readonly authorizationType: string;
  /** The Lambda authorizer of a CUSTOM method. */
  readonly authorizer?: LambdaAuthorizer;
  readonly integration: Integration;
}

/** A Lambda authorizer (`AWS::ApiGateway::Authorizer` of type TOKEN or REQUEST). */
export interface LambdaAuthorizer {
  readonly id: string;
  readonly name: string;
  /** The API it belongs to: its permission's source ARN is `…:{restApiId}/authorizers/{id}`. */
  readonly restApiId: string;
  /** The role API Gateway invokes the function as (`AuthorizerCredentials`), instead of by the function's permissions. */
  readonly credentials?: string;
  readonly type: 'TOKEN' | 'REQUEST';
  readonly functionArn: string;
  /** Where the identity is read, e.g. `method.request.header.Authorization` (REQUEST: each, comma-separated in the template). */
  readonly identitySources: string[];
  /** TOKEN: a token that does not match is refused 401 without calling the function. */
  readonly validationExpression?: RegExp;
  /** How long a result is cached, by the identity (0: never). */
  readonly resultTtlSeconds: number;
}

export interface Integration {
  readonly Type: 'AWS_PROXY' | 'HTTP_PROXY' | 'MOCK' | 'AWS' | 'HTTP';
  readonly Uri?: string;
  readonly IntegrationHttpMethod?: string;
  readonly TimeoutInMillis?: number;
  /** A role the integration calls as, instead of the function's resource policy letting API Gateway in. */
  readonly Credentials?: string;
  readonly RequestParameters?: Record<string, string>;
  readonly RequestTemplates?: Record<string, string>;
  /** What a request whose content type has no template gets: `WHEN_NO_MATCH` (the default) passes its body through. */
  readonly PassthroughBehavior?: 'WHEN_NO_MATCH' | 'WHEN_NO_TEMPLATES' | 'NEVER';
  readonly IntegrationResponses?: {
    StatusCode: string;
    SelectionPattern?: string;
    ResponseParameters?: Record<string, string>;
    ResponseTemplates?: Record<string, string>;
  }[];
}

export interface GatewayResponseOverride {
  readonly statusCode?: number;
  readonly headers: Record<string, string>;
  readonly templates: Record<string, string>;
}

export interface ApiKeyModel {
  readonly id: string;
  readonly name: string;
  readonly value: string;
  readonly enabled: boolean;
  readonly usagePlanIds: string[];
}

export interface UsagePlanModel {
  readonly id: string;
  readonly apiStages: { apiId: string; stage: string }[];
  readonly throttle?: Throttle;
}

export interface ApiGatewayModel {
  readonly apis: RestApiModel[];
  readonly keys: ApiKeyModel[];
  readonly plans: UsagePlanModel[];
}

/** A literal `'value'` of a mapping expression, as in `method.response.header.X: "'v'"`. */
export function literal(expression: string): string | undefined {
  const match = /^'(.*)'$/s.exec(expression);
  return match ? match[1] : undefined;
}

/** A header's value, whatever the case of its name. */
export function lowerCaseLookup(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** A provisioned resource: its template properties, `Ref` value and attributes. */
interface Provisioned extends ResolvedResource {
  readonly physicalId: string;
  readonly attributes: Record<string, unknown>;
}

/** The method authorization types the local gateway enforces as API Gateway does (CUSTOM: a Lambda authorizer). */
const EMULATED_AUTHORIZATION = ['NONE', 'CUSTOM'];

/** The function a Lambda integration or authorizer URI (`…/functions/{arn}/invocations`) names. */
export function invokedFunction(uri: string | undefined): string | undefined {
  return /functions\/(.+)\/(response-streaming-)?invocations$/.exec(uri ?? '')?.[1];
}

/** An `AWS` integration URI: `arn:aws:apigateway:{region}:{service}:action/{Action}` or `…:path/{path}`. */
export function awsIntegrationTarget(uri: string | undefined): { service: string; action?: string; path?: string } | undefined {
  const match = /^arn:[^:]+:apigateway:[^:]*:([^:]+):(action|path)\/(.*)$/.exec(uri ?? '');
  if (!match) return undefined;
  const [, service, kind, rest] = match;
  return kind === 'action' ? { service: service!, action: rest } : { service: service!, path: rest };
}

/** Builds the routing model from every provisioned API Gateway resource of every stack. */

export function buildApiGatewayModel(resources: Provisioned[], generateKey: (keyId: string) => string): ApiGatewayModel {
  const byType = (type: string) => resources.filter((r) => r.type === type);
  const apis: RestApiModel[] = [];
  const nodes = new Map<string, ResourceNode & { parentId?: string; apiId: string }>();

  for (const api of byType('AWS::ApiGateway::RestApi')) {
    const rootId = String(api.attributes.RootResourceId);
    const root = { id: rootId, pathPart: '', path: '/', children: [], methods: new Map(), apiId: api.physicalId };
    nodes.set(rootId, root);
    const p = api.properties;
    apis.push({
      id: api.physicalId,
      name: p.Name ?? api.logicalId,
      stackName: api.stackName,
      root,
      stages: [],
      binaryMediaTypes: p.BinaryMediaTypes ?? [],
      gatewayResponses: new Map(),
    });
  }
  if (byType('AWS::ApiGateway::RestApi').some((api) => api.properties.Body || api.properties.BodyS3Location)) {
    throw new Error('REST APIs defined by an OpenAPI body are not emulated; define resources and methods instead');
  }
  for (const r of byType('AWS::ApiGateway::Resource')) {
    const p = r.properties;
    nodes.set(r.physicalId, {
      id: r.physicalId,
      pathPart: p.PathPart,
      path: '',
      children: [],
      methods: new Map(),
      parentId: p.ParentId,
      apiId: p.RestApiId,
    });
  }
  for (const node of nodes.values()) {
    if (node.parentId === undefined) continue;
    const parent = nodes.get(node.parentId);
    if (!parent) throw new Error(`API Gateway resource ${node.pathPart} has an unknown parent ${node.parentId}`);
    parent.children.push(node);
  }
  const setPaths = (node: ResourceNode, prefix: string): void => {
    node.path = node.pathPart ? `${prefix === '/' ? '' : prefix}/${node.pathPart}` : '/';
    for (const child of node.children) setPaths(child, node.path);
  };
  for (const api of apis) setPaths(api.root, '');

  const authorizers = new Map<string, LambdaAuthorizer>();
  for (const a of byType('AWS::ApiGateway::Authorizer')) {
    const p = a.properties;
    const functionArn = invokedFunction(p.AuthorizerUri);
    if ((p.Type !== 'TOKEN' && p.Type !== 'REQUEST') || !functionArn) {
      throw new Error(`${a.logicalId}: authorizer type ${p.Type} is not emulated (Lambda authorizers, TOKEN and REQUEST, are)`);
    }
    authorizers.set(a.physicalId, {
      id: a.physicalId,
      name: String(p.Name ?? a.logicalId),
      restApiId: String(p.RestApiId),
      ...(p.AuthorizerCredentials ? { credentials: String(p.AuthorizerCredentials) } : {}),
      type: p.Type,
      functionArn,
      identitySources: String(p.IdentitySource ?? (p.Type === 'TOKEN' ? 'method.request.header.Authorization' : ''))
        .split(',')
        .map((source) => source.trim())
        .filter(Boolean),
      validationExpression: p.IdentityValidationExpression ? new RegExp(`^(?:${p.IdentityValidationExpression})$`) : undefined,
      resultTtlSeconds: p.AuthorizerResultTtlInSeconds === undefined ? 300 : Number(p.AuthorizerResultTtlInSeconds),
    });
  }
  for (const m of byType('AWS::ApiGateway::Method')) {
    const p = m.properties;
    const node = nodes.get(p.ResourceId);
    if (!node) throw new Error(`API Gateway method ${m.logicalId} is on an unknown resource`);
    const integration = (p.Integration ?? { Type: 'MOCK' }) as Integration;
    const service =
      integration.Type === 'AWS' && !invokedFunction(integration.Uri) ? awsIntegrationTarget(integration.Uri)?.service : undefined;
    if (
      integration.Type === 'AWS' &&
      !invokedFunction(integration.Uri) &&
      !(INTEGRATION_SERVICES as readonly string[]).includes(service ?? '')
    ) {
      throw new Error(
        `${m.logicalId}: AWS integrations with ${service ?? integration.Uri} are not emulated (Lambda, ${INTEGRATION_SERVICES.join(', ')} are)`,
      );
    }
    // A method behind an authorizer the gateway cannot play would be open here and closed on AWS.
    const authorizationType = String(p.AuthorizationType ?? 'NONE');
    if (!EMULATED_AUTHORIZATION.includes(authorizationType)) {
      throw new Error(
        `${m.logicalId}: authorization type ${authorizationType} is not emulated (${EMULATED_AUTHORIZATION.join(', ')} are); refusing to serve it open`,
      );
    }
    const authorizer = authorizationType === 'CUSTOM' ? authorizers.get(String(p.AuthorizerId)) : undefined;
    if (authorizationType === 'CUSTOM' && !authorizer)
      throw new Error(`${m.logicalId}: its authorizer ${p.AuthorizerId} is not in the template`);
    node.methods.set(String(p.HttpMethod).toUpperCase(), {
      httpMethod: String(p.HttpMethod).toUpperCase(),
      apiKeyRequired: p.ApiKeyRequired === true || p.ApiKeyRequired === 'true',
      authorizationType,
      authorizer,
      integration,
    });
  }
  for (const s of byType('AWS::ApiGateway::Stage')) {
    const settings = (
      (s.properties.MethodSettings ?? []) as {
        ResourcePath?: string;
        HttpMethod?: string;
        ThrottlingRateLimit?: number;
        ThrottlingBurstLimit?: number;
      }[]
    ).find((m) => m.ResourcePath === '/*' && m.HttpMethod === '*');
    const throttle =
      settings && (settings.ThrottlingRateLimit !== undefined || settings.ThrottlingBurstLimit !== undefined)
        ? { rateLimit: settings.ThrottlingRateLimit, burstLimit: settings.ThrottlingBurstLimit }
        : undefined;
    apis
      .find((api) => api.id === s.properties.RestApiId)
      ?.stages.push({ name: s.physicalId, variables: s.properties.Variables ?? null, throttle });
  }
  for (const g of byType('AWS::ApiGateway::GatewayResponse')) {
    const p = g.properties;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries((p.ResponseParameters ?? {}) as Record<string, string>)) {
      const header = /^gatewayresponse\.header\.(.+)$/.exec(key)?.[1];
      const text = literal(value);
      if (header && text !== undefined) headers[header] = text;
    }
    apis
      .find((api) => api.id === p.RestApiId)
      ?.gatewayResponses.set(p.ResponseType, {
        statusCode: p.StatusCode ? Number(p.StatusCode) : undefined,
        headers,
        templates: p.ResponseTemplates ?? {},
      });
  }
  const plans: UsagePlanModel[] = byType('AWS::ApiGateway::UsagePlan').map((u) => ({
    id: u.physicalId,
    apiStages: (u.properties.ApiStages ?? []).map((s: { ApiId: string; Stage: string }) => ({ apiId: s.ApiId, stage: s.Stage })),
    throttle: u.properties.Throttle
      ? { rateLimit: u.properties.Throttle.RateLimit, burstLimit: u.properties.Throttle.BurstLimit }
      : undefined,
  }));
  const planKeys = byType('AWS::ApiGateway::UsagePlanKey').map((k) => k.properties as { KeyId: string; UsagePlanId: string });
  const keys: ApiKeyModel[] = byType('AWS::ApiGateway::ApiKey').map((k) => ({
    id: k.physicalId,
    name: k.properties.Name ?? k.logicalId,
    // AWS generates a value when the template sets none; so do we.
    value: k.properties.Value ?? generateKey(k.physicalId),
    enabled: k.properties.Enabled !== false && k.properties.Enabled !== 'false',
    usagePlanIds: planKeys.filter((pk) => pk.KeyId === k.physicalId).map((pk) => pk.UsagePlanId),
  }));
  for (const api of apis) if (api.stages.length === 0) api.stages.push({ name: 'local', variables: null });
  return { apis, keys, plans };
}

export interface RouteMatch {
  readonly node: ResourceNode;
  readonly pathParameters: Record<string, string> | null;
}

/** API Gateway's matching: literal segments beat `{param}`, which beats a greedy `{proxy+}`. */
export function matchRoute(root: ResourceNode, path: string): RouteMatch | undefined {
  const segments = path.split('/').filter((s) => s.length > 0);
  const walk = (node: ResourceNode, index: number, params: Record<string, string>): RouteMatch | undefined => {
    if (index === segments.length) return { node, pathParameters: Object.keys(params).length ? params : null };
    const segment = segments[index]!;
    const literalChild = node.children.find((c) => c.pathPart === segment);
    if (literalChild) {
      const found = walk(literalChild, index + 1, params);
      if (found) return found;
    }
    for (const child of node.children) {
      const param = /^\{([^}+]+)\}$/.exec(child.pathPart)?.[1];
      if (!param) continue;
      const found = walk(child, index + 1, { ...params, [param]: decodeURIComponent(segment) });
      if (found) return found;
    }
    for (const child of node.children) {
      const greedy = /^\{([^}]+)\+\}$/.exec(child.pathPart)?.[1];
      if (greedy) return { node: child, pathParameters: { ...params, [greedy]: segments.slice(index).map(decodeURIComponent).join('/') } };
    }
    return undefined;
  };
  return walk(root, 0, {});
}

/** Every route of an API, for the start-up table and `/ops/routes`-style listings. */
export function listRoutes(
  root: ResourceNode,
): { method: string; path: string; integration: string; apiKeyRequired: boolean; authorizer?: string }[] {
  const routes: { method: string; path: string; integration: string; apiKeyRequired: boolean; authorizer?: string }[] = [];
  const visit = (node: ResourceNode): void => {
    for (const method of node.methods.values()) {
      routes.push({
        method: method.httpMethod,
        path: node.path,
        integration: method.integration.Type,
        apiKeyRequired: method.apiKeyRequired,
        authorizer: method.authorizer?.name,
      });
    }
    for (const child of [...node.children].sort((a, b) => a.pathPart.localeCompare(b.pathPart))) visit(child);
  };
  visit(root);
  return routes;
}
