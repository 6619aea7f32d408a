import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { vi } from 'vitest';

/**
 * An API Gateway (REST, proxy) event as a method of `resource` receives it: the parts a test names, the rest
 * empty, and the caller the authorizer passed on (customer `c-1` unless `caller` says otherwise; `null`: none).
 */
export function apiEvent(
  method: string,
  resource: string,
  parts: {
    path?: string;
    pathParameters?: Record<string, string>;
    query?: Record<string, string>;
    headers?: Record<string, string>;
    body?: unknown;
    caller?: { principal: string; role: 'customer' | 'operator' } | null;
  } = {},
): APIGatewayProxyEvent {
  const body = parts.body === undefined ? null : typeof parts.body === 'string' ? parts.body : JSON.stringify(parts.body);
  return {
    httpMethod: method,
    resource,
    path: parts.path ?? resource,
    pathParameters: parts.pathParameters ?? null,
    queryStringParameters: parts.query ?? null,
    multiValueQueryStringParameters: null,
    headers: { ...(body !== null ? { 'Content-Type': 'application/json' } : {}), ...parts.headers },
    multiValueHeaders: {},
    body,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      requestId: 'request-1',
      authorizer: parts.caller === null ? null : { principalId: 'c-1', principal: 'c-1', role: 'customer', ...parts.caller },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

/** A Lambda context for a handler called in-process. */
export const lambdaContext = {
  functionName: 'unit',
  awsRequestId: 'aws-request-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:unit',
  getRemainingTimeInMillis: () => 3_000,
} as unknown as Context;

/**
 * A handler's environment for a call in-process: its own variables, and AWS unreachable (a region and
 * credentials, every service's endpoint refusing connections), so nothing is ever read or written.
 */
export function stubHandlerEnvironment(variables: Record<string, string>): void {
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'unit');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'unit');
  vi.stubEnv('AWS_ENDPOINT_URL', 'http://127.0.0.1:9');
}
