import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalService, NOT_JSON, readJsonInput, replyJson } from './local-endpoint.ts';

/** One data point of a metric: a time and a value. */
interface DataPoint {
  readonly atMs: number;
  readonly value: number;
}

type Dimension = { Name: string; Value: string };
/** A metric is its namespace, its name and its exact set of dimensions (sorted `name=value` pairs). */
const metricKey = (namespace: string, name: string, dimensions: readonly Dimension[] = []) =>
  `${namespace}|${name}|${dimensions
    .map((d) => `${d.Name}=${d.Value}`)
    .sort()
    .join(',')}`;

/** Points older than CloudWatch would serve at one-minute resolution are dropped. */
const RETENTION_MS = 15 * 24 * 3600_000;

/**
 * CloudWatch metrics, as far as reading the local cloud's own figures needs them: the data points API
 * Gateway records per method (`AWS/ApiGateway` `Count`, with detailed metrics' dimensions), the ones functions
 * write as embedded metric format log lines (Powertools Metrics), and `PutMetricData`; read back with
 * `GetMetricData` (`Sum`, `SampleCount`, `Average`, `Minimum`, `Maximum` per period) and listed with `ListMetrics`. AWS's JSON 1.0
 * protocol, in memory.
 */
export class LocalMetrics extends LocalService {
  /** Each metric's data points, in the order they were recorded. */
  private readonly series = new Map<string, DataPoint[]>();
  /** Each metric's identity, for ListMetrics. */
  private readonly identities = new Map<string, { Namespace: string; MetricName: string; Dimensions: Dimension[] }>();

  record(namespace: string, name: string, dimensions: readonly Dimension[], value: number, atMs = Date.now()): void {
    const key = metricKey(namespace, name, dimensions);
    let points = this.series.get(key);
    if (!points) {
      this.series.set(key, (points = []));
      this.identities.set(key, {
        Namespace: namespace,
        MetricName: name,
        Dimensions: dimensions.map(({ Name, Value }) => ({ Name, Value })),
      });
    }
    points.push({ atMs, value });
    if (points.length % 10_000 === 0) {
      const oldest = Date.now() - RETENTION_MS;
      this.series.set(
        key,
        points.filter((p) => p.atMs >= oldest),
      );
    }
  }

  /** Reads an embedded-metric-format log line (a JSON object with `_aws.CloudWatchMetrics`); ignores any other. */
  recordLogLine(line: string): void {
    const start = line.indexOf('{"');
    if (start < 0 || !line.includes('"CloudWatchMetrics"')) return;
    let document: Record<string, any>;
    try {
      document = JSON.parse(line.slice(start)) as Record<string, any>;
    } catch {
      return;
    }
    const aws = document._aws as
      { Timestamp?: number; CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      for (const dimensionSet of directive.Dimensions ?? [[]]) {
        const dimensions = dimensionSet.map((name) => ({ Name: name, Value: String(document[name]) }));
        for (const metric of directive.Metrics ?? []) {
          for (const value of [document[metric.Name]].flat()) {
            if (typeof value === 'number') this.record(directive.Namespace, metric.Name, dimensions, value, aws?.Timestamp ?? Date.now());
          }
        }
      }
    }
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const action = String(req.headers['x-amz-target'] ?? '').split('.')[1];
    const input = await readJsonInput(req);
    if (!input) return reply(res, 400, NOT_JSON);
    // CloudWatch's metric actions take no resource; PutMetricData's namespace is a condition key.
    const denial = this.denied(req, () => {
      const context: Record<string, string> = action === 'PutMetricData' ? { 'cloudwatch:namespace': String(input.Namespace ?? '') } : {};
      return [{ action: `cloudwatch:${action}`, resource: '*', context }];
    });
    if (denial) return reply(res, 400, { __type: 'AccessDeniedException', message: denial.message });
    if (action === 'GetMetricData') return reply(res, 200, this.getMetricData(input));
    if (action === 'ListMetrics') return reply(res, 200, this.listMetrics(input));
    if (action === 'PutMetricData') {
      for (const datum of (input.MetricData ?? []) as Record<string, any>[]) {
        const atMs = datum.Timestamp ? Number(datum.Timestamp) * 1000 : Date.now();
        for (const value of datum.Values ?? [datum.Value])
          this.record(String(input.Namespace), String(datum.MetricName), datum.Dimensions ?? [], Number(value), atMs);
      }
      return reply(res, 200, {});
    }
    reply(res, 400, { __type: 'InvalidAction', message: `${req.headers['x-amz-target']} is not emulated locally` });
  }

  /** The metrics recorded, filtered by namespace, name and dimensions (a dimension without a value: any value), 500 a page. */
  private listMetrics(input: Record<string, any>) {
    const wanted = (input.Dimensions ?? []) as { Name: string; Value?: string }[];
    const recentMs = input.RecentlyActive === 'PT3H' ? Date.now() - 3 * 3600_000 : -Infinity;
    const metrics = [...this.identities.entries()]
      .filter(
        ([key, m]) =>
          (!input.Namespace || m.Namespace === input.Namespace) &&
          (!input.MetricName || m.MetricName === input.MetricName) &&
          wanted.every((w) => m.Dimensions.some((d) => d.Name === w.Name && (w.Value === undefined || d.Value === w.Value))) &&
          (this.series.get(key)!.at(-1)?.atMs ?? 0) >= recentMs,
      )
      .map(([, m]) => m);
    const start = /^\d+$/.test(String(input.NextToken ?? '')) ? Number(input.NextToken) : 0;
    const end = start + 500;
    return { Metrics: metrics.slice(start, end), ...(end < metrics.length ? { NextToken: String(end) } : {}) };
  }

  private getMetricData(input: Record<string, any>) {
    const startMs = Number(input.StartTime) * 1000;
    const endMs = Number(input.EndTime) * 1000;
    const results = ((input.MetricDataQueries ?? []) as Record<string, any>[]).map((query) => {
      const stat = query.MetricStat as
        { Metric: { Namespace: string; MetricName: string; Dimensions?: Dimension[] }; Period: number; Stat: string } | undefined;
      if (!stat)
        return {
          Id: query.Id,
          Label: query.Label ?? query.Id,
          Timestamps: [],
          Values: [],
          StatusCode: 'Complete',
          Messages: [{ Code: 'Unsupported', Value: 'Only MetricStat queries are emulated' }],
        };
      const periodMs = stat.Period * 1000;
      const buckets = new Map<number, number[]>();
      for (const point of this.series.get(metricKey(stat.Metric.Namespace, stat.Metric.MetricName, stat.Metric.Dimensions)) ?? []) {
        if (point.atMs < startMs || point.atMs >= endMs) continue;
        const bucket = startMs + Math.floor((point.atMs - startMs) / periodMs) * periodMs;
        const values = buckets.get(bucket);
        if (values) values.push(point.value);
        else buckets.set(bucket, [point.value]);
      }
      // Newest first, as GetMetricData answers by default (ScanBy TimestampDescending).
      const ordered = [...buckets.entries()].sort(([a], [b]) => (input.ScanBy === 'TimestampAscending' ? a - b : b - a));
      return {
        Id: query.Id,
        Label: query.Label ?? stat.Metric.MetricName,
        Timestamps: ordered.map(([at]) => at / 1000),
        Values: ordered.map(([, values]) => statistic(stat.Stat, values)),
        StatusCode: 'Complete',
      };
    });
    return { MetricDataResults: results, Messages: [] };
  }
}

function statistic(stat: string, values: number[]): number {
  switch (stat) {
    case 'SampleCount':
      return values.length;
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return values.reduce((a, b) => Math.min(a, b));
    case 'Maximum':
      return values.reduce((a, b) => Math.max(a, b));
    default:
      return values.reduce((a, b) => a + b, 0);
  }
}

/** CloudWatch speaks AWS's JSON 1.0 protocol. */
const reply = (res: ServerResponse, status: number, body: unknown) => replyJson(res, status, body, 'application/x-amz-json-1.0');
