/**
 * The local cloud's own emulations of CloudWatch metrics and Lambda's Invoke API, spoken to by the real
 * AWS SDK clients (their protocols, not our idea of them).
 */
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../environment.ts';
import type { InvokeOutcome } from '../lambda/function-runtime.ts';
import { LocalLambdaApi } from '../services/lambda-api.ts';
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
});

describe('local Lambda Invoke API', () => {
  const invoked: unknown[] = [];
  const api = new LocalLambdaApi({
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

  it('queues an Event invocation and answers 202 before the function has run', async () => {
    const before = invoked.length;
    const started = performance.now();
    const queued = await lambda.send(new InvokeCommand({ FunctionName: 'slow', InvocationType: 'Event', Payload: payload({ b: 2 }) }));
    expect(queued.StatusCode).toBe(202);
    expect(performance.now() - started).toBeLessThan(250);
    await eventually(() => expect(invoked.slice(before)).toEqual([{ b: 2 }]));
  });
});
