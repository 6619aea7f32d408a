import { GetMetricDataCommand, type CloudWatchClient, type Metric } from '@aws-sdk/client-cloudwatch';
import { parseRouteKey, type RoutingTable } from '../patterns/strangler/index.ts';
import { METRICS_NAMESPACE, ROUTED_REQUESTS_METRIC } from '../platform/metric-names.ts';
import type { ServedCounts } from '../use-cases/operations/routes.ts';

export interface RouteMetricsOptions {
  readonly cloudwatch: CloudWatchClient;
  readonly routingTable: RoutingTable;
  /** The API whose per-method metrics count a plain route. */
  readonly api: { readonly name: string; readonly stage: string };
  /** The router's service name: its own count per side for a shadow or weighted route. */
  readonly routerServiceName: string;
}

type Side = 'legacy' | 'eightfold';

/**
 * Requests each route served in the last `hours`, per side, from CloudWatch: API Gateway's per-method
 * `Count` for a plain route (all of it on the side its mode names), the router's own count per side for a
 * shadow or weighted one. Nothing is written on a request's path to count it.
 */
export function routeMetrics(options: RouteMetricsOptions): (hours: number) => Promise<ServedCounts> {
  const { routingTable, api, routerServiceName } = options;
  /** A plain route is all on one side (API Gateway's count); a shadow or weighted one is counted by the router per side. */
  const metricOf = (key: string, side: Side, plain: boolean): Metric => {
    const { method, path } = parseRouteKey(key);
    const dimensions = plain
      ? { ApiName: api.name, Method: method, Resource: path, Stage: api.stage }
      : { service: routerServiceName, route: key, servedBy: side };
    return {
      Namespace: plain ? 'AWS/ApiGateway' : METRICS_NAMESPACE,
      MetricName: plain ? 'Count' : ROUTED_REQUESTS_METRIC,
      Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
    };
  };
  const queries = Object.entries(routingTable).flatMap(([key, route], i) => {
    const sides: Side[] = route.mode === 'legacy' || route.mode === 'eightfold' ? [route.mode] : ['legacy', 'eightfold'];
    return sides.map((side) => ({ id: `r${i}${side}`, route: key, side, metric: metricOf(key, side, sides.length === 1) }));
  });
  return async (hours) => {
    const period = hours * 3600;
    const now = Date.now();
    // The window ends a minute ahead: a point stamped by a producer whose clock runs a little ahead still counts.
    const { MetricDataResults = [] } = await options.cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - period * 1000),
        EndTime: new Date(now + 60_000),
        MetricDataQueries: queries.map(({ id, metric }) => ({ Id: id, MetricStat: { Metric: metric, Period: period, Stat: 'Sum' } })),
      }),
    );
    const counts: ServedCounts = new Map(Object.keys(routingTable).map((key) => [key, { legacy: 0, eightfold: 0 }]));
    for (const result of MetricDataResults) {
      const query = queries.find((q) => q.id === result.Id)!;
      counts.get(query.route)![query.side] += (result.Values ?? []).reduce((sum, value) => sum + value, 0);
    }
    return counts;
  };
}
