import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InvokeOutcome } from '../lambda/function-runtime.ts';
import type { StreamReply } from '../lambda/protocol.ts';
import type { ApiGatewayModel, ApiMethod, RestApiModel, RouteMatch, Throttle } from './model.ts';
import { invokedFunction, literal, lowerCaseLookup, matchRoute } from './model.ts';
import { LambdaAuthorizers } from './authorizers.ts';
import type { ServiceAnswer, ServiceRequest } from './aws-services.ts';
import { runNonProxyIntegration } from './non-proxy.ts';

/** API Gateway's own answers (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html). */
const GATEWAY_RESPONSES = {
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: 'Missing Authentication Token', errorType: 'MissingAuthenticationTokenException' },
  INVALID_API_KEY: { status: 403, message: 'Forbidden', errorType: 'ForbiddenException' },
  UNAUTHORIZED: { status: 401, message: 'Unauthorized', errorType: 'UnauthorizedException' },
  ACCESS_DENIED: { status: 403, message: 'User is not authorized to access this resource', errorType: 'AccessDeniedException' },
  /** An authorizer that fails (throws, answers no policy, may not be invoked): AWS's body is `{"message":null}`. */
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, message: null, errorType: 'AuthorizerConfigurationException' },
  /** Not a gateway response of the API's: what an execute-api URL of a stage that does not exist answers. */
  UNKNOWN_STAGE: { status: 403, message: 'Forbidden', errorType: 'ForbiddenException' },
  THROTTLED: { status: 429, message: 'Too Many Requests', errorType: 'TooManyRequestsException' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Too Long', errorType: 'RequestTooLongException' },
  BAD_REQUEST_PARAMETERS: { status: 400, message: 'Invalid request path', errorType: 'BadRequestException' },
  INTEGRATION_TIMEOUT: { status: 504, message: 'Endpoint request timed out', errorType: 'InternalServerErrorException' },
  INTEGRATION_FAILURE: { status: 502, message: 'Internal server error', errorType: 'InternalServerErrorException' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported Media Type', errorType: 'UnsupportedMediaTypeException' },
  /** A non-proxy integration's answer that no integration response maps. */
  API_CONFIGURATION_ERROR: { status: 500, message: 'Internal server error', errorType: 'InternalServerErrorException' },
} as const;
type GatewayResponseType = keyof typeof GATEWAY_RESPONSES;

/** The stage of the API a request names (undefined for one the API does not have). */
const stageOf = (api: RestApiModel, stage: string) => api.stages.find((s) => s.name === stage);

function isDecodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** REST API payload limit (10 MB) and Lambda's synchronous payload limit (6 MB). */
const API_PAYLOAD_LIMIT = 10 * 1024 * 1024;
const LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024;
/** REST API default integration timeout. */
const DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000;

export interface GatewayDependencies {
  readonly model: ApiGatewayModel;
  readonly region: string;
  readonly accountId: string;
  /** Invokes the function a Lambda integration URI names. */
  readonly invokeFunction: (functionArn: string, event: unknown, onStream?: (reply: StreamReply) => void) => Promise<InvokeOutcome>;
  /** The API served on bare paths (others under `/restapis/{id}/{stage}/_user_request_/`). */
  readonly defaultApiId?: string;
  /**
   * Whether API Gateway may invoke the function for the method or authorizer (`arn:aws:execute-api:…/{stage}/{METHOD}{path}`,
   * `…/authorizers/{id}`): the function's resource policy decides, or with `credentials` that role's policies. @default always
   */
  readonly mayInvoke?: (functionArn: string, sourceArn: string, credentials?: string) => boolean;
  /** Calls an AWS service for an `AWS` integration (SQS, SNS, DynamoDB). */
  readonly callAwsService?: (request: ServiceRequest) => Promise<ServiceAnswer>;
  /** What API Gateway would write to its execution log. */
  readonly log: (line: string) => void;
  /** Each request a method answered, for the per-method metrics API Gateway's detailed metrics record. */
  readonly onMethodServed?: (served: {
    apiName: string;
    stage: string;
    method: string;
    resource: string;
    status: number;
    latencyMs: number;
  }) => void;
}

interface TokenBucket {
  tokens: number;
  updatedMs: number;
}

interface ApiRequest {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
  readonly body: Buffer;
  readonly sourceIp: string;
}

/** A request a method is to answer, once its key and authorizer have let it through. */
interface MethodCall {
  readonly api: RestApiModel;
  readonly stage: string;
  readonly apiMethod: ApiMethod;
  readonly match: RouteMatch;
  readonly request: ApiRequest;
  readonly apiKey: { id: string; value: string } | undefined;
  readonly authorizer: Record<string, unknown> | null;
}

/** Plays API Gateway (REST, v1) for the APIs of the template. */
export class LocalApiGateway {
  /** Requests per API, by the status they answered; for the report and benches. */
  readonly counts = new Map<number, number>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly authorizers: LambdaAuthorizers;

  private readonly deps: GatewayDependencies;
  private model: ApiGatewayModel;
  private defaultApiId: string | undefined;

  constructor(deps: GatewayDependencies) {
    this.deps = deps;
    this.authorizers = new LambdaAuthorizers({
      invoke: (functionArn, event) => deps.invokeFunction(functionArn, event),
      // Its permission names the authorizer, not a method: `…:{apiId}/authorizers/{authorizerId}`.
      mayInvoke: (authorizer) =>
        this.mayInvoke(
          authorizer.functionArn,
          this.executeApiArn(authorizer.restApiId, `authorizers/${authorizer.id}`),
          authorizer.credentials,
        ),
    });
    this.model = deps.model;
    this.defaultApiId = deps.defaultApiId;
  }

  /** Serves a new model (after a reload); requests in flight finish on the old one. */
  setModel(model: ApiGatewayModel, defaultApiId?: string): void {
    this.model = model;
    this.defaultApiId = defaultApiId;
    this.authorizers.clear();
  }

  /** The Node.js `request` listener. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch((error: unknown) => {
      this.deps.log(String((error as Error)?.stack ?? error));
      if (!res.headersSent) this.sendGatewayResponse(res, undefined, 'INTEGRATION_FAILURE', randomUUID());
      else res.destroy();
    });
  };

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://localhost');
    let api = this.model.apis.find((a) => a.id === this.defaultApiId) ?? this.model.apis[0];
    let stage = api?.stages[0]?.name ?? 'local';
    let path = url.pathname;
    const explicit = /^\/restapis\/([^/]+)\/([^/]+)\/_user_request_(\/.*)?$/.exec(path);
    if (explicit) {
      api = this.model.apis.find((a) => a.id === explicit[1]);
      stage = explicit[2]!;
      path = explicit[3] ?? '/';
    }
    const body = await readBody(req, API_PAYLOAD_LIMIT);
    if (!api) return this.sendGatewayResponse(res, undefined, 'MISSING_AUTHENTICATION_TOKEN', requestId);
    if (!api.stages.some((s) => s.name === stage)) return this.sendGatewayResponse(res, undefined, 'UNKNOWN_STAGE', requestId);
    if (body === 'too-large') return this.sendGatewayResponse(res, api, 'REQUEST_TOO_LARGE', requestId);
    const method = (req.method ?? 'GET').toUpperCase();
    // A path that is not valid percent-encoding ("/customers/%") names no resource: refused, never routed.
    if (!isDecodable(path)) return this.sendGatewayResponse(res, api, 'BAD_REQUEST_PARAMETERS', requestId);
    const match = matchRoute(api.root, path);
    const apiMethod = match?.node.methods.get(method) ?? match?.node.methods.get('ANY');
    if (!match || !apiMethod) return this.sendGatewayResponse(res, api, 'MISSING_AUTHENTICATION_TOKEN', requestId);

    const stageThrottle = stageOf(api, stage)?.throttle;
    if (stageThrottle && !this.take(`stage/${api.id}/${stage}`, stageThrottle))
      return this.sendGatewayResponse(res, api, 'THROTTLED', requestId);
    const { headers, multiValueHeaders } = collectHeaders(req.rawHeaders);
    const request: ApiRequest = {
      requestId,
      method,
      path,
      query: url.searchParams,
      headers,
      multiValueHeaders,
      body,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    };
    let apiKey: { id: string; value: string } | undefined;
    if (apiMethod.apiKeyRequired) {
      const presented = lowerCaseLookup(headers, 'x-api-key');
      const key = this.model.keys.find((k) => k.enabled && sameSecret(k.value, presented));
      const plans = this.model.plans.filter(
        (p) => key?.usagePlanIds.includes(p.id) && p.apiStages.some((s) => s.apiId === api.id && s.stage === stage),
      );
      if (!key || plans.length === 0) return this.sendGatewayResponse(res, api, 'INVALID_API_KEY', requestId);
      for (const plan of plans) {
        if (plan.throttle && !this.take(`${plan.id}/${key.id}`, plan.throttle))
          return this.sendGatewayResponse(res, api, 'THROTTLED', requestId);
      }
      apiKey = key;
    }
    let authorizer: Record<string, unknown> | null = null;
    if (apiMethod.authorizer) {
      const methodArn = this.executeApiArn(api.id, `${stage}/${method}${path}`);
      const verdict = await this.authorizers.authorize(apiMethod.authorizer, methodArn, {
        headers,
        query: url.searchParams,
        requestEvent: {
          resource: match.node.path,
          path,
          httpMethod: method,
          headers,
          queryStringParameters: url.searchParams.size ? Object.fromEntries(url.searchParams) : null,
          pathParameters: match.pathParameters,
          stageVariables: stageOf(api, stage)?.variables ?? null,
          requestContext: {
            accountId: this.deps.accountId,
            apiId: api.id,
            stage,
            requestId,
            httpMethod: method,
            resourcePath: match.node.path,
          },
        },
      });
      if (verdict.kind === 'unauthorized') return this.sendGatewayResponse(res, api, 'UNAUTHORIZED', requestId);
      if (verdict.kind === 'denied') return this.sendGatewayResponse(res, api, 'ACCESS_DENIED', requestId);
      if (verdict.kind === 'failed') {
        this.deps.log(`Authorizer ${apiMethod.authorizer.name} failed: ${verdict.reason}`);
        return this.sendGatewayResponse(res, api, 'AUTHORIZER_CONFIGURATION_ERROR', requestId);
      }
      authorizer = { principalId: verdict.principalId, ...verdict.context };
    }
    const started = performance.now();
    switch (apiMethod.integration.Type) {
      case 'AWS_PROXY':
        await this.lambdaProxy(res, { api, stage, apiMethod, match, request, apiKey, authorizer });
        break;
      case 'HTTP_PROXY':
        await this.httpProxy(res, api, apiMethod, match, request);
        break;
      case 'MOCK':
        await this.mock(res, apiMethod, requestId);
        break;
      case 'AWS':
      case 'HTTP':
        await this.nonProxy(res, { api, stage, apiMethod, match, request, apiKey, authorizer });
        break;
      default:
        throw new Error(`Unsupported integration ${apiMethod.integration.Type}`);
    }
    this.deps.onMethodServed?.({
      apiName: api.name,
      stage,
      method: apiMethod.httpMethod,
      resource: match.node.path,
      status: res.statusCode,
      latencyMs: performance.now() - started,
    });
  }

  private take(bucketKey: string, throttle: Throttle): boolean {
    const rate = throttle.rateLimit ?? Infinity;
    const burst = throttle.burstLimit ?? Math.max(1, Math.ceil(rate));
    const now = Date.now();
    const bucket = this.buckets.get(bucketKey) ?? { tokens: burst, updatedMs: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedMs) / 1000) * rate);
    bucket.updatedMs = now;
    this.buckets.set(bucketKey, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private async lambdaProxy(res: ServerResponse, call: MethodCall): Promise<void> {
    const { api, stage, apiMethod, match, request } = call;
    const functionArn = invokedFunction(apiMethod.integration.Uri);
    const streaming = /response-streaming-invocations$/.test(apiMethod.integration.Uri ?? '');
    if (!functionArn) throw new Error(`Lambda integration URI not understood: ${apiMethod.integration.Uri}`);
    if (!this.permitted(call, functionArn)) return this.sendGatewayResponse(res, api, 'API_CONFIGURATION_ERROR', request.requestId);
    const binary = isBinary(api.binaryMediaTypes, lowerCaseLookup(request.headers, 'content-type'));
    const now = new Date();
    const event = {
      resource: match.node.path,
      path: request.path,
      httpMethod: request.method,
      headers: Object.keys(request.headers).length ? request.headers : null,
      multiValueHeaders: Object.keys(request.multiValueHeaders).length ? request.multiValueHeaders : null,
      queryStringParameters: request.query.size ? Object.fromEntries(request.query) : null,
      multiValueQueryStringParameters: request.query.size ? groupQuery(request.query) : null,
      pathParameters: match.pathParameters,
      stageVariables: stageOf(api, stage)?.variables ?? null,
      requestContext: this.requestContext(call, now),
      body: request.body.length === 0 ? null : binary ? request.body.toString('base64') : request.body.toString('utf8'),
      isBase64Encoded: binary && request.body.length > 0,
    };
    if (Buffer.byteLength(JSON.stringify(event)) > LAMBDA_PAYLOAD_LIMIT)
      return this.sendGatewayResponse(res, api, 'REQUEST_TOO_LARGE', request.requestId);
    const timeoutMs = apiMethod.integration.TimeoutInMillis ?? DEFAULT_INTEGRATION_TIMEOUT_MS;
    if (streaming) return this.lambdaStream(res, api, functionArn, event, timeoutMs, request.requestId);
    const outcome = await withTimeout(this.deps.invokeFunction(functionArn, event), timeoutMs);
    if (outcome === 'timeout') return this.sendGatewayResponse(res, api, 'INTEGRATION_TIMEOUT', request.requestId);
    if (!outcome.ok) return this.sendGatewayResponse(res, api, 'INTEGRATION_FAILURE', request.requestId);
    const response = parseProxyResponse(outcome.payload);
    if (!response) {
      this.deps.log(`Malformed Lambda proxy response from ${functionArn}`);
      return this.sendGatewayResponse(res, api, 'INTEGRATION_FAILURE', request.requestId);
    }
    this.count(response.statusCode);
    res.statusCode = response.statusCode;
    for (const [name, values] of Object.entries(response.headers)) res.setHeader(name, values.length === 1 ? values[0]! : values);
    res.setHeader('x-amzn-RequestId', request.requestId);
    res.end(response.body);
  }

  /**
   * A response-streaming Lambda integration (`responseTransferMode: STREAM`): the head and the chunks go to
   * the client as the function writes them, and the response ends when the function ends its stream, even
   * if the invocation runs on.
   */
  private async lambdaStream(
    res: ServerResponse,
    api: RestApiModel,
    functionArn: string,
    event: unknown,
    timeoutMs: number,
    requestId: string,
  ): Promise<void> {
    let streamEnded!: () => void;
    const ended = new Promise<'ended'>((resolve) => (streamEnded = () => resolve('ended')));
    const onStream = (reply: StreamReply): void => {
      if (reply.type === 'stream-head') {
        res.statusCode = reply.metadata.statusCode ?? 200;
        for (const [name, value] of Object.entries(reply.metadata.headers ?? {})) res.setHeader(name, value);
        res.setHeader('x-amzn-RequestId', requestId);
      } else if (reply.type === 'stream-chunk') {
        res.write(reply.data);
      } else {
        this.count(res.statusCode);
        res.end();
        streamEnded();
      }
    };
    const invocation = this.deps.invokeFunction(functionArn, event, onStream);
    const first = await withTimeout(Promise.race([ended, invocation]), timeoutMs);
    if (first === 'ended') return;
    if (res.headersSent) return void res.end();
    if (first === 'timeout') return this.sendGatewayResponse(res, api, 'INTEGRATION_TIMEOUT', requestId);
    this.sendGatewayResponse(res, api, 'INTEGRATION_FAILURE', requestId);
  }

  /**
   * Whether API Gateway may invoke the function for this method: by the function's resource policy, or as
   * the integration's own role (`Credentials`). A refusal is API Gateway's 500.
   */
  private permitted({ api, stage, request, apiMethod, match }: MethodCall, functionArn: string): boolean {
    // The method's resource with the request's values in it (`/orders/o-1` for `/orders/{orderId}`): a trailing slash is not part of it.
    const path = match.node.path.replace(/\{([^}+]+)\+?\}/g, (_, name: string) => match.pathParameters?.[name] ?? '');
    const sourceArn = this.executeApiArn(api.id, `${stage}/${request.method}${path}`);
    return this.mayInvoke(functionArn, sourceArn, apiMethod.integration.Credentials);
  }

  /** An API's `execute-api` ARN for what follows its id: `{stage}/{METHOD}{path}` (a method), `authorizers/{id}`. */
  private executeApiArn(apiId: string, resource: string): string {
    return `arn:aws:execute-api:${this.deps.region}:${this.deps.accountId}:${apiId}/${resource}`;
  }

  private mayInvoke(functionArn: string, sourceArn: string, credentials: string | undefined): boolean {
    if (!this.deps.mayInvoke || this.deps.mayInvoke(functionArn, sourceArn, credentials)) return true;
    this.deps.log(`Execution failed due to configuration error: Invalid permissions on Lambda function ${functionArn}`);
    return false;
  }

  /** The request's context, as a proxy event's `requestContext` and a mapping template's `$context` carry it. */
  private requestContext({ api, stage, match, request, apiKey, authorizer }: MethodCall, now = new Date()) {
    return {
      accountId: this.deps.accountId,
      apiId: api.id,
      resourceId: match.node.id,
      resourcePath: match.node.path,
      httpMethod: request.method,
      extendedRequestId: randomBytes(8).toString('base64url'),
      requestTime: formatRequestTime(now),
      requestTimeEpoch: now.getTime(),
      path: `/${stage}${request.path}`,
      protocol: 'HTTP/1.1',
      stage,
      domainPrefix: 'localhost',
      domainName: lowerCaseLookup(request.headers, 'host') ?? 'localhost',
      requestId: request.requestId,
      identity: {
        sourceIp: request.sourceIp,
        userAgent: lowerCaseLookup(request.headers, 'user-agent') ?? null,
        apiKey: apiKey?.value ?? null,
        apiKeyId: apiKey?.id ?? null,
        accessKey: null,
        accountId: null,
        caller: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
      authorizer,
    };
  }

  private async nonProxy(res: ServerResponse, call: MethodCall): Promise<void> {
    const { api, stage, apiMethod, match, request } = call;
    const callAwsService = this.deps.callAwsService ?? (() => Promise.reject(new Error('no AWS services to call')));
    const functionArn = invokedFunction(apiMethod.integration.Uri);
    if (functionArn && !this.permitted(call, functionArn)) {
      return this.sendGatewayResponse(res, api, 'API_CONFIGURATION_ERROR', request.requestId);
    }
    const outcome = await withTimeout(
      runNonProxyIntegration(
        apiMethod.integration,
        {
          body: request.body.toString('utf8'),
          contentType: lowerCaseLookup(request.headers, 'content-type'),
          params: { path: match.pathParameters ?? {}, querystring: Object.fromEntries(request.query), header: request.headers },
          context: this.requestContext(call),
          stageVariables: stageOf(api, stage)?.variables ?? {},
        },
        { invokeFunction: (functionArn, event) => this.deps.invokeFunction(functionArn, event), callAwsService },
      ),
      apiMethod.integration.TimeoutInMillis ?? DEFAULT_INTEGRATION_TIMEOUT_MS,
    );
    if (outcome === 'timeout') return this.sendGatewayResponse(res, api, 'INTEGRATION_TIMEOUT', request.requestId);
    switch (outcome.kind) {
      case 'unsupported-media-type':
        return this.sendGatewayResponse(res, api, 'UNSUPPORTED_MEDIA_TYPE', request.requestId);
      case 'no-mapping':
        this.deps.log(`${request.method} ${match.node.path}: no integration response matches the answer, and none is the default`);
        return this.sendGatewayResponse(res, api, 'API_CONFIGURATION_ERROR', request.requestId);
      case 'failed':
        this.deps.log(`${apiMethod.integration.Type} integration ${apiMethod.integration.Uri} failed: ${outcome.reason}`);
        return this.sendGatewayResponse(res, api, 'INTEGRATION_FAILURE', request.requestId);
    }
    res.statusCode = outcome.status;
    for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
    res.setHeader('x-amzn-RequestId', request.requestId);
    this.count(outcome.status);
    res.end(outcome.body);
  }

  private async httpProxy(
    res: ServerResponse,
    api: RestApiModel,
    apiMethod: ApiMethod,
    match: RouteMatch,
    request: ApiRequest,
  ): Promise<void> {
    const integration = apiMethod.integration;
    let target = integration.Uri ?? '';
    for (const [to, from] of Object.entries(integration.RequestParameters ?? {})) {
      const placeholder = /^integration\.request\.path\.(.+)$/.exec(to)?.[1];
      const source = /^method\.request\.path\.(.+)$/.exec(from)?.[1];
      if (placeholder && source) {
        const value = match.pathParameters?.[source] ?? '';
        target = target.replace(`{${placeholder}}`, value.split('/').map(encodeURIComponent).join('/'));
      }
    }
    const url = new URL(target);
    for (const [key, value] of request.query) url.searchParams.append(key, value);
    const forwarded = new Headers();
    for (const [name, values] of Object.entries(request.multiValueHeaders)) {
      if (HOP_BY_HOP.has(name.toLowerCase())) continue;
      for (const value of values) forwarded.append(name, value);
    }
    forwarded.set('x-forwarded-for', request.sourceIp);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), integration.TimeoutInMillis ?? DEFAULT_INTEGRATION_TIMEOUT_MS);
    let upstream: Response;
    try {
      upstream = await fetch(url, {
        method:
          integration.IntegrationHttpMethod === 'ANY' || !integration.IntegrationHttpMethod
            ? request.method
            : integration.IntegrationHttpMethod,
        headers: forwarded,
        body: request.body.length && request.method !== 'GET' && request.method !== 'HEAD' ? request.body : undefined,
        signal: controller.signal,
        redirect: 'manual',
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      this.count(upstream.status);
      res.statusCode = upstream.status;
      upstream.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name) && name !== 'content-encoding' && name !== 'content-length') res.setHeader(name, value);
      });
      res.setHeader('x-amzn-RequestId', request.requestId);
      res.end(body);
    } catch (error) {
      const timedOut = controller.signal.aborted;
      if (!timedOut) this.deps.log(`HTTP integration ${url.origin} failed: ${String((error as Error).cause ?? error)}`);
      return this.sendGatewayResponse(res, api, timedOut ? 'INTEGRATION_TIMEOUT' : 'INTEGRATION_FAILURE', request.requestId);
    } finally {
      clearTimeout(timer);
    }
  }

  private mock(res: ServerResponse, apiMethod: ApiMethod, requestId: string): void {
    const response = apiMethod.integration.IntegrationResponses?.find((r) => !r.SelectionPattern) ?? { StatusCode: '200' };
    res.statusCode = Number(response.StatusCode);
    for (const [key, value] of Object.entries(response.ResponseParameters ?? {})) {
      const header = /^method\.response\.header\.(.+)$/.exec(key)?.[1];
      const text = literal(value);
      if (header && text !== undefined) res.setHeader(header, text);
    }
    res.setHeader('x-amzn-RequestId', requestId);
    this.count(res.statusCode);
    res.end(response.ResponseTemplates?.['application/json'] ?? '');
  }

  private sendGatewayResponse(res: ServerResponse, api: RestApiModel | undefined, type: GatewayResponseType, requestId: string): void {
    const builtIn = GATEWAY_RESPONSES[type];
    const family = builtIn.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
    const override = api?.gatewayResponses.get(type) ?? api?.gatewayResponses.get(family);
    const status = override?.statusCode ?? builtIn.status;
    const template = override?.templates['application/json'];
    const body = template
      ? template
          .replaceAll('$context.error.messageString', JSON.stringify(builtIn.message))
          .replaceAll('$context.error.message', builtIn.message ?? '')
          .replaceAll('$context.error.responseType', type)
      : JSON.stringify({ message: builtIn.message });
    this.count(status);
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('x-amzn-RequestId', requestId);
    res.setHeader('x-amzn-ErrorType', builtIn.errorType);
    for (const [name, value] of Object.entries(override?.headers ?? {})) res.setHeader(name, value);
    res.end(body);
  }

  private count(status: number): void {
    this.counts.set(status, (this.counts.get(status) ?? 0) + 1);
  }
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'proxy-connection', 'te', 'trailer']);

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Headers as API Gateway passes them: the client's spelling, last value in `headers`, all in `multiValueHeaders`. */
function collectHeaders(raw: string[]): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return { headers, multiValueHeaders };
}

function groupQuery(query: URLSearchParams): Record<string, string[]> {
  const grouped: Record<string, string[]> = {};
  for (const [key, value] of query) (grouped[key] ??= []).push(value);
  return grouped;
}

function isBinary(binaryMediaTypes: string[], contentType: string | undefined): boolean {
  if (!contentType || binaryMediaTypes.length === 0) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return binaryMediaTypes.some((pattern) => {
    const p = pattern.toLowerCase().replace('~1', '/');
    return p === '*/*' || p === type || (p.endsWith('/*') && type.startsWith(p.slice(0, -1)));
  });
}

function formatRequestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

/** Validates a Lambda proxy response as API Gateway does; undefined means "Malformed Lambda proxy response". */
export function parseProxyResponse(payload: unknown): { statusCode: number; headers: Record<string, string[]>; body: Buffer } | undefined {
  if (payload === null || typeof payload !== 'object') return undefined;
  const p = payload as Record<string, unknown>;
  const statusCode = Number(p.statusCode ?? 200);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return undefined;
  if (p.body !== undefined && p.body !== null && typeof p.body !== 'string') return undefined;
  const headers: Record<string, string[]> = {};
  if (p.headers !== undefined && p.headers !== null) {
    if (typeof p.headers !== 'object') return undefined;
    for (const [name, value] of Object.entries(p.headers)) headers[name] = [String(value)];
  }
  if (p.multiValueHeaders !== undefined && p.multiValueHeaders !== null) {
    if (typeof p.multiValueHeaders !== 'object') return undefined;
    for (const [name, values] of Object.entries(p.multiValueHeaders)) {
      if (!Array.isArray(values)) return undefined;
      headers[name] = [...(headers[name] ?? []), ...values.map(String)];
    }
  }
  const text = (p.body as string | undefined) ?? '';
  const body = p.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { statusCode, headers, body };
}

/** Compares a presented key with a stored one in constant time (hashing first makes the lengths equal). */
function sameSecret(stored: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(stored), digest(presented));
}
