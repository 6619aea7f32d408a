/**
 * The local cloud's own emulations of CloudWatch metrics and logs and Lambda's API, spoken to by the real
 * AWS SDK clients (their protocols, not our idea of them).
 */
import {
  CloudWatchClient,
  GetMetricDataCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
  type ListMetricsCommandInput,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  paginateListFunctions,
} from '@aws-sdk/client-lambda';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../environment.ts';
import { accessKeyIdOf, IamAuthorizer } from '../iam/authorizer.ts';
import { callersOf, rolesOf } from '../iam/roles.ts';
import type { FunctionDefinition, InvokeOutcome } from '../lambda/function-runtime.ts';
import { LocalLambdaApi } from '../services/lambda-api.ts';
import { LocalLogs } from '../services/logs.ts';
import { LocalMetrics } from '../services/metrics.ts';
import { eventually } from '../eventually.ts';

const config = { region: 'us-east-1', credentials: LOCAL_CREDENTIALS };

describe('local CloudWatch metrics', () => {
  const metrics = new LocalMetrics();
  let cloudwatch: CloudWatchClient;
  beforeAll(async () => {
    cloudwatch = new CloudWatchClient({ ...config, endpoint: await metrics.start() });
  });
  afterAll(() => metrics.stop());

  const sum = async (namespace: string, name: string, dimensions: { Name: string; Value: string }[], stat = 'Sum') => {
    const { MetricDataResults = [] } = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(Date.now() - 3600_000),
        EndTime: new Date(Date.now() + 60_000),
        MetricDataQueries: [
          { Id: 'm', MetricStat: { Metric: { Namespace: namespace, MetricName: name, Dimensions: dimensions }, Period: 3600, Stat: stat } },
        ],
      }),
    );
    return (MetricDataResults[0]?.Values ?? []).reduce((a, b) => a + b, 0);
  };

  it('reads the embedded metric format Powertools writes, per exact set of dimensions', async () => {
    // Powertools prints its EMF lines on stdout, as a Lambda function's logs carry them.
    const lines: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => (lines.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      const writer = new Metrics({ namespace: 'Test', serviceName: 'svc' });
      for (const side of ['legacy', 'eightfold', 'eightfold']) {
        const metric = writer.singleMetric();
        metric.addDimensions({ route: 'GET /x', servedBy: side });
        metric.addMetric('Routed', MetricUnit.Count, 1);
      }
    } finally {
      process.stdout.write = write;
    }
    expect(lines.filter((line) => line.includes('"Routed"'))).toHaveLength(3);
    for (const line of lines) metrics.recordLogLine(`2026-11-26T00:00:00Z\tINFO\t${line}`);
    metrics.recordLogLine('not a metric {"level":"INFO"}');
    const dims = (side: string) => [
      { Name: 'service', Value: 'svc' },
      { Name: 'route', Value: 'GET /x' },
      { Name: 'servedBy', Value: side },
    ];
    expect(await sum('Test', 'Routed', dims('eightfold'))).toBe(2);
    expect(await sum('Test', 'Routed', dims('legacy'))).toBe(1);
    // Another set of dimensions is another metric.
    expect(await sum('Test', 'Routed', dims('legacy').slice(1))).toBe(0);
  });

  it('takes PutMetricData and answers statistics per period', async () => {
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'Test',
        MetricData: [{ MetricName: 'Latency', Values: [10, 30], Dimensions: [{ Name: 'api', Value: 'a' }] }],
      }),
    );
    expect(await sum('Test', 'Latency', [{ Name: 'api', Value: 'a' }])).toBe(40);
    expect(await sum('Test', 'Latency', [{ Name: 'api', Value: 'a' }], 'Average')).toBe(20);
    expect(await sum('Test', 'Latency', [{ Name: 'api', Value: 'a' }], 'Maximum')).toBe(30);
  });

  it('lists the metrics recorded, by namespace, name and dimension (with or without its value)', async () => {
    metrics.record('Listed', 'Hits', [{ Name: 'route', Value: 'GET /a' }], 1);
    metrics.record('Listed', 'Hits', [{ Name: 'route', Value: 'GET /b' }], 1);
    metrics.record('Listed', 'Misses', [], 1);
    const list = async (input: ListMetricsCommandInput) =>
      ((await cloudwatch.send(new ListMetricsCommand(input))).Metrics ?? [])
        .map((m) => `${m.MetricName} ${JSON.stringify(m.Dimensions)}`)
        .sort();
    expect(await list({ Namespace: 'Listed' })).toEqual([
      'Hits [{"Name":"route","Value":"GET /a"}]',
      'Hits [{"Name":"route","Value":"GET /b"}]',
      'Misses []',
    ]);
    expect(await list({ Namespace: 'Listed', Dimensions: [{ Name: 'route', Value: 'GET /b' }] })).toEqual([
      'Hits [{"Name":"route","Value":"GET /b"}]',
    ]);
    expect(await list({ Namespace: 'Listed', MetricName: 'Hits', Dimensions: [{ Name: 'route' }] })).toHaveLength(2);
    expect(await list({ Namespace: 'Nothing' })).toEqual([]);
  });
});

describe('local CloudWatch Logs', () => {
  const logs = new LocalLogs('us-east-1', '000000000000');
  let client: CloudWatchLogsClient;
  const at = Date.now() - 10_000;
  beforeAll(async () => {
    client = new CloudWatchLogsClient({ ...config, endpoint: await logs.start() });
    logs.put('/aws/lambda/orders', 's1', 'START order placed', at);
    logs.put('/aws/lambda/orders', 's1', '{"level":"ERROR","message":"payment declined","durationMs":140}', at + 1);
    logs.put('/aws/lambda/orders', 's2', '{"level":"INFO","message":"order placed","durationMs":20}', at + 2);
    logs.put('/aws/lambda/orders', 's2', 'REPORT RequestId: r2 Duration: 20.00 ms', at + 3);
    logs.put('/aws/lambda/notifier', 's3', 'sent', at + 4);
  });
  afterAll(() => logs.stop());

  const filter = async (filterPattern?: string, extra: Partial<ConstructorParameters<typeof FilterLogEventsCommand>[0]> = {}) =>
    ((await client.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/orders', filterPattern, ...extra }))).events ?? []).map(
      (e) => e.message,
    );

  it("filters a group's events by terms, phrases, alternatives, exclusions and a JSON field, as filter-log-events does", async () => {
    expect(await filter()).toHaveLength(4);
    expect(await filter('"order placed"')).toEqual(['START order placed', '{"level":"INFO","message":"order placed","durationMs":20}']);
    expect(await filter('order placed -START')).toEqual(['{"level":"INFO","message":"order placed","durationMs":20}']);
    expect(await filter('?REPORT ?declined')).toHaveLength(2);
    expect(await filter('{ $.level = "ERROR" }')).toEqual(['{"level":"ERROR","message":"payment declined","durationMs":140}']);
    expect(await filter('{ $.durationMs > 100 }')).toHaveLength(1);
    expect(await filter('{ $.message = "order*" }')).toHaveLength(1);
    expect(await filter(undefined, { logStreamNames: ['s2'] })).toHaveLength(2);
    expect(await filter(undefined, { startTime: at + 2 })).toHaveLength(2);
  });

  it('pages, lists groups and streams, reads one stream, and answers ResourceNotFoundException', async () => {
    const first = await client.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/orders', limit: 3 }));
    expect(first.events).toHaveLength(3);
    const rest = await client.send(
      new FilterLogEventsCommand({ logGroupName: '/aws/lambda/orders', limit: 3, nextToken: first.nextToken }),
    );
    expect(rest.events?.map((e) => e.message)).toEqual(['REPORT RequestId: r2 Duration: 20.00 ms']);
    expect(rest.nextToken).toBeUndefined();
    const groups = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/' }));
    expect(groups.logGroups?.map((g) => g.logGroupName)).toEqual(['/aws/lambda/notifier', '/aws/lambda/orders']);
    const streams = await client.send(
      new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/orders', orderBy: 'LastEventTime', descending: true }),
    );
    expect(streams.logStreams?.map((s) => s.logStreamName)).toEqual(['s2', 's1']);
    const events = await client.send(
      new GetLogEventsCommand({ logGroupName: '/aws/lambda/orders', logStreamName: 's1', startFromHead: true }),
    );
    expect(events.events?.map((e) => e.message)).toEqual([
      'START order placed',
      '{"level":"ERROR","message":"payment declined","durationMs":140}',
    ]);
    await expect(client.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/none' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('local Lambda API', () => {
  const invoked: unknown[] = [];
  const definition = (name: string): FunctionDefinition => ({
    logicalId: name,
    functionName: name,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    codeDir: `/tmp/assets/${name}`,
    handler: 'index.handler',
    runtime: 'nodejs22.x',
    timeoutSeconds: 10,
    memorySize: 256,
    environment: { AWS_REGION: 'us-east-1', TABLE: name },
    variables: { TABLE: name },
    architectures: ['arm64'],
    logFormat: 'JSON',
  });
  const deployed = Array.from({ length: 60 }, (_, i) => definition(`fn-${String(i).padStart(2, '0')}`));
  const api = new LocalLambdaApi({
    functions: () => deployed,
    invoke: async (name, event): Promise<InvokeOutcome> => {
      if (name === 'missing') throw new Error('Function not found: missing');
      invoked.push(event);
      if (name === 'failing')
        return {
          ok: false,
          error: { errorType: 'Error', errorMessage: 'boom', trace: [] },
          kind: 'Unhandled',
          durationMs: 1,
          coldStart: false,
        };
      await new Promise((resolve) => setTimeout(resolve, name === 'slow' ? 300 : 0));
      return { ok: true, payload: { echoed: event }, durationMs: 1, coldStart: false };
    },
    log: () => undefined,
  });
  let lambda: LambdaClient;
  beforeAll(async () => {
    lambda = new LambdaClient({ ...config, endpoint: await api.start() });
  });
  afterAll(() => api.stop());
  const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  it('answers a RequestResponse invocation with the function’s result, and flags its error', async () => {
    const ok = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: payload({ a: 1 }) }));
    expect(ok.StatusCode).toBe(200);
    expect(JSON.parse(new TextDecoder().decode(ok.Payload))).toEqual({ echoed: { a: 1 } });
    const failed = await lambda.send(new InvokeCommand({ FunctionName: 'failing', Payload: payload({}) }));
    expect(failed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(new TextDecoder().decode(failed.Payload))).toMatchObject({ errorMessage: 'boom' });
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'missing', Payload: payload({}) }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('lists the functions deployed, fifty a page, and tells one by name or ARN as GetFunction does', async () => {
    const names: string[] = [];
    for await (const page of paginateListFunctions({ client: lambda }, {})) names.push(...page.Functions!.map((f) => f.FunctionName!));
    expect(names).toEqual(deployed.map((d) => d.functionName));
    const { Configuration, Code } = await lambda.send(new GetFunctionCommand({ FunctionName: deployed[7]!.arn }));
    expect(Configuration).toMatchObject({
      FunctionName: 'fn-07',
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 10,
      Architectures: ['arm64'],
      State: 'Active',
      // The function's own variables, not those Lambda sets.
      Environment: { Variables: { TABLE: 'fn-07' } },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: '/aws/lambda/fn-07' },
    });
    expect(Code?.Location).toBe('file:///tmp/assets/fn-07');
    expect(await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'fn-08' }))).toMatchObject({ FunctionName: 'fn-08' });
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('queues an Event invocation and answers 202 before the function has run', async () => {
    const before = invoked.length;
    const started = performance.now();
    const queued = await lambda.send(new InvokeCommand({ FunctionName: 'slow', InvocationType: 'Event', Payload: payload({ b: 2 }) }));
    expect(queued.StatusCode).toBe(202);
    expect(performance.now() - started).toBeLessThan(250);
    await eventually(() => expect(invoked.slice(before)).toEqual([{ b: 2 }]));
  });
});

describe('CloudWatch calls judged by the caller’s role (IAM on)', () => {
  const fnArn = 'arn:aws:lambda:us-east-1:000000000000:function:Shop-Reporter';
  const group = (name: string) => `arn:aws:logs:us-east-1:000000000000:log-group:${name}`;
  const resources = [
    {
      type: 'AWS::IAM::Role',
      logicalId: 'ReporterRole',
      physicalId: 'Shop-ReporterRole',
      attributes: { Arn: 'arn:aws:iam::000000000000:role/Shop-ReporterRole' },
      properties: {
        Policies: [
          {
            PolicyName: 'reporting',
            PolicyDocument: {
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'cloudwatch:PutMetricData',
                  Resource: '*',
                  Condition: { StringEquals: { 'cloudwatch:namespace': 'Shop' } },
                },
                // As CDK's logGroup.grantRead writes the group's ARN: with `:*`.
                { Effect: 'Allow', Action: ['logs:FilterLogEvents', 'logs:GetLogEvents'], Resource: `${group('/aws/lambda/orders')}:*` },
                { Effect: 'Allow', Action: 'logs:DescribeLogGroups', Resource: '*' },
              ],
            },
          },
        ],
      },
    },
    {
      type: 'AWS::Lambda::Function',
      logicalId: 'Reporter',
      physicalId: 'Shop-Reporter',
      attributes: { Arn: fnArn },
      properties: { Role: 'arn:aws:iam::000000000000:role/Shop-ReporterRole' },
    },
  ];
  const metrics = new LocalMetrics();
  const logs = new LocalLogs('us-east-1', '000000000000');
  const asReporter = { region: 'us-east-1', credentials: { ...LOCAL_CREDENTIALS, accessKeyId: accessKeyIdOf(fnArn) } };
  let cloudwatch: CloudWatchClient;
  let logsClient: CloudWatchLogsClient;
  beforeAll(async () => {
    const iam = await IamAuthorizer.create('on', '000000000000', () => undefined);
    iam.setCallers(callersOf(resources, rolesOf(resources), accessKeyIdOf));
    for (const service of [metrics, logs]) service.guardWith(iam);
    cloudwatch = new CloudWatchClient({ ...asReporter, endpoint: await metrics.start() });
    logsClient = new CloudWatchLogsClient({ ...asReporter, endpoint: await logs.start() });
    for (const name of ['/aws/lambda/orders', '/aws/lambda/payments']) logs.put(name, 's1', 'hello');
  });
  afterAll(async () => {
    cloudwatch?.destroy();
    logsClient?.destroy();
    await Promise.all([metrics.stop(), logs.stop()]);
  });
  const refusal = (call: Promise<unknown>) =>
    call.then(
      () => 'allowed',
      (error: Error) => `${error.name}: ${error.message}`,
    );
  const principal = 'User: arn:aws:sts::000000000000:assumed-role/Shop-ReporterRole/Shop-Reporter is not authorized to perform:';

  it('holds PutMetricData to the namespaces its cloudwatch:namespace condition names; other metric calls need their own grant', async () => {
    const put = (Namespace: string) =>
      cloudwatch.send(new PutMetricDataCommand({ Namespace, MetricData: [{ MetricName: 'Orders', Value: 1 }] }));
    expect(await refusal(put('Shop'))).toBe('allowed');
    expect(await refusal(put('Other'))).toBe(
      `AccessDeniedException: ${principal} cloudwatch:PutMetricData on resource: * because no identity-based policy allows the cloudwatch:PutMetricData action`,
    );
    expect(await refusal(cloudwatch.send(new ListMetricsCommand({})))).toMatch(
      /^AccessDeniedException: .* cloudwatch:ListMetrics on resource: \*/,
    );
  });

  it('reads only the log groups it was granted, by the ARN form CloudWatch Logs authorizes (`…:log-stream:…`)', async () => {
    const read = (logGroupName: string) => logsClient.send(new FilterLogEventsCommand({ logGroupName }));
    expect(await refusal(read('/aws/lambda/orders'))).toBe('allowed');
    expect(await refusal(logsClient.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/orders', logStreamName: 's1' })))).toBe(
      'allowed',
    );
    expect(await refusal(read('/aws/lambda/payments'))).toBe(
      `AccessDeniedException: ${principal} logs:FilterLogEvents on resource: ${group('/aws/lambda/payments')}:log-stream: because no identity-based policy allows the logs:FilterLogEvents action`,
    );
    expect(await refusal(logsClient.send(new DescribeLogGroupsCommand({})))).toBe('allowed');
    expect(await refusal(logsClient.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/orders' })))).toMatch(
      /^AccessDeniedException: .* logs:DescribeLogStreams on resource: .*log-group:\/aws\/lambda\/orders:log-stream: /,
    );
  });
});
