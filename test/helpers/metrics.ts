import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { LOCAL_CREDENTIALS, type LocalCloud } from '@eightfold/local-cloud';
import { METRICS_NAMESPACE } from '../../lambdas/platform/metric-names.ts';

/**
 * The sum of an Eightfold metric over the last hour, read back from the local CloudWatch exactly as an
 * alarm with these dimensions would read it: a metric emitted with any other dimensions sums to 0.
 */
export async function metricSum(cloud: LocalCloud, metricName: string, dimensions: Record<string, string>): Promise<number> {
  const client = new CloudWatchClient({ endpoint: cloud.endpoints.cloudwatch, region: cloud.region, credentials: LOCAL_CREDENTIALS });
  try {
    const { MetricDataResults = [] } = await client.send(
      new GetMetricDataCommand({
        StartTime: new Date(Date.now() - 3_600_000),
        EndTime: new Date(Date.now() + 60_000),
        MetricDataQueries: [
          {
            Id: 'm',
            MetricStat: {
              Metric: {
                Namespace: METRICS_NAMESPACE,
                MetricName: metricName,
                Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
              },
              Period: 60,
              Stat: 'Sum',
            },
          },
        ],
      }),
    );
    return (MetricDataResults[0]?.Values ?? []).reduce((sum, value) => sum + value, 0);
  } finally {
    client.destroy();
  }
}
