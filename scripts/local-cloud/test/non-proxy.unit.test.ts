import { describe, expect, it } from 'vitest';
import { renderMappingTemplate, type TemplateInput } from '../api-gateway/mapping-templates.ts';
import type { Integration } from '../api-gateway/model.ts';
import { runNonProxyIntegration, type NonProxyBackends, type NonProxyRequest } from '../api-gateway/non-proxy.ts';
import type { ServiceRequest } from '../api-gateway/aws-services.ts';

const input = (body: string): TemplateInput => ({
  body,
  params: { path: { id: 'o-1' }, querystring: { verbose: 'yes' }, header: { 'X-Trace': 't-1' } },
  context: { requestId: 'r-1', stage: 'prod', identity: { sourceIp: '127.0.0.1' } },
  stageVariables: { table: 'Orders' },
});

describe('mapping templates (Velocity)', () => {
  it('give $input (body, json, path, params), $util, $context and $stageVariables as API Gateway does', () => {
    const { output } = renderMappingTemplate(
      `#set($order = $input.path('$'))
{"id": "$input.params('id')", "verbose": "$input.params('verbose')", "trace": "$input.params('x-trace')",
 "items": [#foreach($item in $order.items)"$util.escapeJavaScript($item.name)"#if($foreach.hasNext),#end#end],
 "first": $input.json('$.items[0]'), "request": "$context.requestId", "ip": "$context.identity.sourceIp",
 "table": "$stageVariables.table", "encoded": "$util.urlEncode($input.body)"}`,
      input('{"items":[{"name":"a \\"quoted\\" one"},{"name":"b"}]}'),
    );
    expect(JSON.parse(output)).toEqual({
      id: 'o-1',
      verbose: 'yes',
      trace: 't-1',
      items: ['a "quoted" one', 'b'],
      first: { name: 'a "quoted" one' },
      request: 'r-1',
      ip: '127.0.0.1',
      table: 'Orders',
      encoded: encodeURIComponent('{"items":[{"name":"a \\"quoted\\" one"},{"name":"b"}]}'),
    });
  });

  it('lets a response template override the status and headers', () => {
    const { output, override } = renderMappingTemplate(
      `#if($input.path('$.Item') == "")#set($context.responseOverride.status = 404)#set($context.responseOverride.header.Reason = "missing"){"message": "no such order"}#else$input.json('$.Item')#end`,
      input('{}'),
    );
    expect([output, override]).toEqual(['{"message": "no such order"}', { status: 404, header: { Reason: 'missing' } }]);
  });
});

const request = (body: string, contentType = 'application/json'): NonProxyRequest => ({ ...input(body), contentType });

function backends(answer: { status: number; body: string } | Error = { status: 200, body: '{}' }) {
  const calls: ServiceRequest[] = [];
  const invoked: unknown[] = [];
  const value: NonProxyBackends = {
    invokeFunction: async (_arn, event) => {
      invoked.push(event);
      const e = event as { fail?: string };
      return e.fail
        ? { ok: false, kind: 'Unhandled', error: { errorType: 'Error', errorMessage: e.fail, trace: [] }, durationMs: 1, coldStart: false }
        : { ok: true, payload: { sum: 3 }, durationMs: 1, coldStart: false };
    },
    callAwsService: async (call) => {
      calls.push(call);
      if (answer instanceof Error) throw answer;
      return { ...answer, headers: { 'content-type': 'text/xml', 'x-upstream': 'sqs' } };
    },
  };
  return { value, calls, invoked };
}

const toQueue: Integration = {
  Type: 'AWS',
  Uri: 'arn:aws:apigateway:us-east-1:sqs:path/000000000000/orders',
  IntegrationHttpMethod: 'POST',
  RequestParameters: { 'integration.request.header.Content-Type': "'application/x-www-form-urlencoded'" },
  RequestTemplates: { 'application/json': 'Action=SendMessage&MessageBody=$util.urlEncode($input.body)' },
  IntegrationResponses: [
    { StatusCode: '200', ResponseTemplates: { 'application/json': '{"queued": true}' } },
    {
      StatusCode: '400',
      SelectionPattern: '4\\d{2}',
      ResponseParameters: { 'method.response.header.X-Upstream': 'integration.response.header.x-upstream' },
    },
  ],
};

describe('a non-proxy integration', () => {
  it('sends what the request template and parameters make of the request, and maps the answer by its template', async () => {
    const { value, calls } = backends();
    const outcome = await runNonProxyIntegration(toQueue, request('{"id":"o-1"}'), value);
    expect(calls).toEqual([
      {
        service: 'sqs',
        path: '000000000000/orders',
        body: `Action=SendMessage&MessageBody=${encodeURIComponent('{"id":"o-1"}')}`,
        query: {},
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      },
    ]);
    expect(outcome).toEqual({ kind: 'response', status: 200, headers: { 'content-type': 'application/json' }, body: '{"queued": true}' });
  });

  it('picks the integration response whose pattern matches the whole status code, else the default; none: no mapping', async () => {
    const refused = await runNonProxyIntegration(toQueue, request('{}'), backends({ status: 403, body: '<Error/>' }).value);
    expect(refused).toEqual({
      kind: 'response',
      status: 400,
      headers: { 'content-type': 'application/json', 'X-Upstream': 'sqs' },
      body: '<Error/>',
    });
    const failed = await runNonProxyIntegration(toQueue, request('{}'), backends({ status: 500, body: '' }).value);
    expect(failed).toMatchObject({ status: 200 }); // 500 is not 4\d{2}: the default response, as API Gateway does
    const strict = { ...toQueue, IntegrationResponses: toQueue.IntegrationResponses!.slice(1) };
    expect(await runNonProxyIntegration(strict, request('{}'), backends({ status: 200, body: '' }).value)).toEqual({ kind: 'no-mapping' });
  });

  it('passes a body whose content type has no template through, or refuses it with 415, as PassthroughBehavior says', async () => {
    const { value, calls } = backends();
    await runNonProxyIntegration(toQueue, request('plain', 'text/plain'), value);
    expect(calls[0]!.body).toBe('plain');
    for (const PassthroughBehavior of ['NEVER', 'WHEN_NO_TEMPLATES'] as const) {
      expect(await runNonProxyIntegration({ ...toQueue, PassthroughBehavior }, request('plain', 'text/plain'), value)).toEqual({
        kind: 'unsupported-media-type',
      });
    }
    // No templates at all: WHEN_NO_TEMPLATES passes through.
    const bare = { ...toQueue, RequestTemplates: undefined, PassthroughBehavior: 'WHEN_NO_TEMPLATES' as const };
    await runNonProxyIntegration(bare, request('raw'), value);
    expect(calls.at(-1)!.body).toBe('raw');
  });

  it('invokes a Lambda function with the template’s output; its error message selects the response', async () => {
    const toFunction: Integration = {
      Type: 'AWS',
      Uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:f/invocations',
      RequestTemplates: { 'application/json': '{"a": $input.json(\'$.a\'), "fail": $input.json(\'$.fail\')}' },
      IntegrationResponses: [
        { StatusCode: '200' },
        {
          StatusCode: '400',
          SelectionPattern: '.*Bad input.*',
          ResponseTemplates: { 'application/json': '{"error": "$input.path(\'$.errorMessage\')"}' },
        },
      ],
    };
    const { value, invoked } = backends();
    expect(await runNonProxyIntegration(toFunction, request('{"a":1}'), value)).toMatchObject({ status: 200, body: '{"sum":3}' });
    expect(invoked[0]).toEqual({ a: 1, fail: null });
    expect(await runNonProxyIntegration(toFunction, request('{"a":1,"fail":"Bad input: a"}'), value)).toMatchObject({
      status: 400,
      body: '{"error": "Bad input: a"}',
    });
    // An error no pattern matches takes the default response: status 200, the error in the body (API Gateway's well-known trap).
    expect(await runNonProxyIntegration(toFunction, request('{"fail":"boom"}'), value)).toMatchObject({
      status: 200,
      body: expect.stringContaining('"errorMessage":"boom"'),
    });
  });

  it('reports a backend that cannot be reached as a failure', async () => {
    expect(await runNonProxyIntegration(toQueue, request('{}'), backends(new Error('connection refused')).value)).toEqual({
      kind: 'failed',
      reason: 'Error: connection refused',
    });
  });
});
