/**
 * Non-proxy integrations (`AWS` and `HTTP`): the method request becomes the integration request through the
 * request template (by content type, with the passthrough behaviour) and the request parameters; the
 * integration's answer picks an integration response by its selection pattern (the status code of an HTTP or
 * AWS service answer, the error message of a Lambda function's error), whose parameters and template make
 * the method response (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-data-transformations.html).
 */
import type { InvokeOutcome } from '../lambda/function-runtime.ts';
import type { ServiceAnswer, ServiceRequest } from './aws-services.ts';
import { renderMappingTemplate, type MethodRequestParams, type TemplateInput } from './mapping-templates.ts';
import { awsIntegrationTarget, invokedFunction, literal, lowerCaseLookup, type Integration } from './model.ts';
import { atJsonPath } from '../json-path.ts';

/** A method request, as its templates read it, with the content type that picks its request template. */
export interface NonProxyRequest extends TemplateInput {
  readonly contentType?: string;
}

export interface NonProxyBackends {
  readonly invokeFunction: (functionArn: string, event: unknown) => Promise<InvokeOutcome>;
  readonly callAwsService: (request: ServiceRequest) => Promise<ServiceAnswer>;
}

export type NonProxyOutcome =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: string }
  /** No request template for the content type, and the passthrough behaviour refuses it (415). */
  | { kind: 'unsupported-media-type' }
  /** No integration response matched, and there is no default one (500). */
  | { kind: 'no-mapping' }
  | { kind: 'failed'; reason: string };

/** The integration's answer, before the integration response maps it. */
interface Answer extends ServiceAnswer {
  /** A Lambda function's error message: what selection patterns are matched against. */
  readonly errorMessage?: string;
}

const DEFAULT_CONTENT_TYPE = 'application/json';

/** The value a request parameter's source names: `'literal'`, `method.request.…`, `context.…`, `stageVariables.…`. */
function parameterValue(source: string, request: NonProxyRequest): string | undefined {
  const constant = literal(source);
  if (constant !== undefined) return constant;
  if (source === 'method.request.body') return request.body;
  const bodyPath = /^method\.request\.body\.(.+)$/.exec(source)?.[1];
  if (bodyPath) return stringOf(atJsonPath(parseOrUndefined(request.body), `$.${bodyPath}`));
  const [, where, name] = /^method\.request\.(path|querystring|header)\.(.+)$/.exec(source) ?? [];
  if (where === 'header') return lowerCaseLookup(request.params.header, name!);
  if (where) return request.params[where as 'path' | 'querystring'][name!];
  const contextPath = /^context\.(.+)$/.exec(source)?.[1];
  if (contextPath) return stringOf(atJsonPath(request.context, `$.${contextPath}`));
  const stageVariable = /^stageVariables\.(.+)$/.exec(source)?.[1];
  return stageVariable ? request.stageVariables[stageVariable] : undefined;
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const stringOf = (value: unknown) => (value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value));

/** The integration request's headers, query string and path parameters, from `RequestParameters`. */
function integrationParameters(integration: Integration, request: NonProxyRequest): MethodRequestParams {
  const out: MethodRequestParams = { path: {}, querystring: {}, header: {} };
  for (const [to, from] of Object.entries(integration.RequestParameters ?? {})) {
    const [, where, name] = /^integration\.request\.(path|querystring|header)\.(.+)$/.exec(to) ?? [];
    const value = parameterValue(from, request);
    if (where && value !== undefined) out[where as keyof MethodRequestParams][name!] = value;
  }
  return out;
}

async function callIntegration(
  integration: Integration,
  body: string,
  params: MethodRequestParams,
  backends: NonProxyBackends,
): Promise<Answer> {
  if (integration.Type === 'HTTP') {
    let target = integration.Uri ?? '';
    for (const [name, value] of Object.entries(params.path)) target = target.replace(`{${name}}`, encodeURIComponent(value));
    const url = new URL(target);
    for (const [key, value] of Object.entries(params.querystring)) url.searchParams.set(key, value);
    const method = integration.IntegrationHttpMethod ?? 'GET';
    const response = await fetch(url, {
      method,
      headers: { 'content-type': DEFAULT_CONTENT_TYPE, ...params.header },
      body: method === 'GET' || method === 'HEAD' ? undefined : body,
      redirect: 'manual',
    });
    return { status: response.status, body: await response.text(), headers: Object.fromEntries(response.headers) };
  }
  const functionArn = invokedFunction(integration.Uri);
  if (functionArn) {
    // A Lambda function behind a non-proxy integration: its result is the answer; its error, for the patterns.
    const outcome = await backends.invokeFunction(functionArn, parseOrUndefined(body) ?? body);
    if (outcome.ok) return { status: 200, body: JSON.stringify(outcome.payload ?? null), headers: {} };
    const { errorMessage, errorType, trace } = outcome.error;
    return { status: 200, body: JSON.stringify({ errorMessage, errorType, stackTrace: trace }), headers: {}, errorMessage };
  }
  const target = awsIntegrationTarget(integration.Uri);
  if (!target) throw new Error(`AWS integration URI not understood: ${integration.Uri}`);
  return backends.callAwsService({
    ...target,
    body,
    query: params.querystring,
    headers: params.header,
    ...(integration.Credentials ? { credentials: integration.Credentials } : {}),
  });
}

/** Runs a non-proxy integration for a method request, and maps its answer to the method response. */
export async function runNonProxyIntegration(
  integration: Integration,
  request: NonProxyRequest,
  backends: NonProxyBackends,
): Promise<NonProxyOutcome> {
  const contentType = (request.contentType ?? DEFAULT_CONTENT_TYPE).split(';')[0]!.trim().toLowerCase();
  const templates = integration.RequestTemplates ?? {};
  const template = Object.entries(templates).find(([type]) => type.toLowerCase() === contentType)?.[1];
  const passthrough = integration.PassthroughBehavior ?? 'WHEN_NO_MATCH';
  if (template === undefined && (passthrough === 'NEVER' || (passthrough === 'WHEN_NO_TEMPLATES' && Object.keys(templates).length > 0))) {
    return { kind: 'unsupported-media-type' };
  }
  const input: TemplateInput = {
    body: request.body,
    params: request.params,
    context: request.context,
    stageVariables: request.stageVariables,
  };
  const body = template === undefined ? request.body : renderMappingTemplate(template, input).output;

  let answer: Answer;
  try {
    answer = await callIntegration(integration, body, integrationParameters(integration, request), backends);
  } catch (error) {
    return { kind: 'failed', reason: String((error as Error).cause ?? error) };
  }

  // Selection patterns match the whole of a Lambda error's message, else the answer's status code.
  const selector =
    answer.errorMessage ?? (integration.Type === 'HTTP' || !invokedFunction(integration.Uri) ? String(answer.status) : undefined);
  const responses = integration.IntegrationResponses ?? [];
  const response =
    (selector !== undefined
      ? responses.find((r) => r.SelectionPattern && new RegExp(`^(?:${r.SelectionPattern})$`, 's').test(selector))
      : undefined) ?? responses.find((r) => !r.SelectionPattern);
  if (!response) return { kind: 'no-mapping' };

  const headers: Record<string, string> = {};
  for (const [to, from] of Object.entries(response.ResponseParameters ?? {})) {
    const header = /^method\.response\.header\.(.+)$/.exec(to)?.[1];
    if (!header) continue;
    const source = /^integration\.response\.header\.(.+)$/.exec(from)?.[1];
    const bodyPath = /^integration\.response\.body(?:\.(.+))?$/.exec(from);
    const value = source
      ? lowerCaseLookup(answer.headers, source)
      : bodyPath
        ? bodyPath[1]
          ? stringOf(atJsonPath(parseOrUndefined(answer.body), `$.${bodyPath[1]}`))
          : answer.body
        : literal(from);
    if (value !== undefined) headers[header] = value;
  }
  const [responseType, responseTemplate] = Object.entries(response.ResponseTemplates ?? {})[0] ?? [DEFAULT_CONTENT_TYPE, undefined];
  let status = Number(response.StatusCode);
  let responseBody = answer.body;
  if (responseTemplate) {
    const rendered = renderMappingTemplate(responseTemplate, { ...input, body: answer.body });
    responseBody = rendered.output;
    if (rendered.override.status) status = Number(rendered.override.status);
    Object.assign(headers, rendered.override.header);
  }
  return { kind: 'response', status, headers: { 'content-type': responseType, ...headers }, body: responseBody };
}
