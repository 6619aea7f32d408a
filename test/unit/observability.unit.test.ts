/**
 * Where the X-Ray tracer runs: in Lambda, which names its daemon in AWS_XRAY_DAEMON_ADDRESS, every handler
 * is a traced segment and every SDK client instrumented; where no daemon is (the local cloud), neither.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';

const context = {
  functionName: 'probe',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:probe',
  getRemainingTimeInMillis: () => 3_000,
} as unknown as Context;
const xrayMiddleware = (client: DynamoDBClient) =>
  client.middlewareStack.identify().filter((name) => name.startsWith('XRaySDKInstrumentation'));

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('the X-Ray tracer', () => {
  it('in Lambda, instruments SDK clients and sends each sampled invocation’s segment to the daemon Lambda names', async () => {
    const daemon = createSocket('udp4');
    const received: string[] = [];
    daemon.on('message', (message) => received.push(message.toString('utf8')));
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    try {
      vi.stubEnv('AWS_XRAY_DAEMON_ADDRESS', `127.0.0.1:${(daemon.address() as AddressInfo).port}`);
      vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs22.x');
      vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'probe');
      vi.stubEnv('LAMBDA_TASK_ROOT', '/var/task');
      vi.stubEnv('_HANDLER', 'index.handler');
      vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'probe-service');
      vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
      const { observed, traced } = await import('../../lambdas/platform/observability.ts');
      expect(xrayMiddleware(traced(new DynamoDBClient({ region: 'us-east-1' })))).toHaveLength(1);
      const handler = observed(async (event: { n: number }) => event.n + 1);
      expect(await handler({ n: 41 }, context)).toBe(42);
      await vi.waitFor(() => expect(received.join('\n')).toContain('"trace_id":"1-5759e988-bd862e3fe1be46a994272793"'), { timeout: 3_000 });
      expect(received.join('\n')).toMatch(/"name":"## index\.handler".*"Service":"probe-service"/);
    } finally {
      daemon.close();
    }
  });

  it('where no daemon is, leaves SDK clients bare and handlers unwrapped by it', async () => {
    vi.stubEnv('AWS_XRAY_DAEMON_ADDRESS', undefined);
    const { observed, traced } = await import('../../lambdas/platform/observability.ts');
    expect(xrayMiddleware(traced(new DynamoDBClient({ region: 'us-east-1' })))).toEqual([]);
    expect(await observed(async (event: { n: number }) => event.n + 1)({ n: 1 }, context)).toBe(2);
  });
});
