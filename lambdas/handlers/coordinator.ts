import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { cancelUnpaidOrders } from '../jobs/payment-timeouts.ts';
import { coordinatorTurn, isStaleFencingTokenError, LeaseClient } from '../patterns/leader-election/index.ts';
import { documentClient, requireEnv } from '../shared/clients.ts';
import { orderEventStore } from '../shared/event-store.ts';
import { logger } from '../shared/logger.ts';
import { COORDINATOR_SERVICE, LEADER_TURNS_METRIC, LEASES_LOST_METRIC, METRICS_NAMESPACE } from '../shared/metric-names.ts';
import { unpaidOrdersPlacedBefore } from '../shared/orders-view.ts';
import { observed } from '../shared/observability.ts';

const leasesTable = requireEnv('LEASES_TABLE');
const viewTable = requireEnv('ORDERS_VIEW_TABLE');
const leaseName = requireEnv('LEASE_NAME');
const leaseMs = Number(requireEnv('LEASE_MS'));
const clockSkewMarginMs = Number(requireEnv('CLOCK_SKEW_MARGIN_MS'));
const timeoutMs = Number(requireEnv('PAYMENT_TIMEOUT_MS'));

const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: COORDINATOR_SERVICE });

/** One EMF line: the alarms on a leaderless lease and on a lost one read these. */
function count(metricName: string): void {
  const metric = metrics.singleMetric();
  metric.addDimension('lease', leaseName);
  metric.addMetric(metricName, MetricUnit.Count, 1);
}

/** Each schedule target names its contender; a contender is whichever invocation carries that name. */
const turnSchema = z.object({ contender: z.string().min(1).max(64) });

const job = {
  store: orderEventStore,
  findUnpaid: (placedBefore: string) => unpaidOrdersPlacedBefore(documentClient, viewTable, placedBefore),
  fenceTable: leasesTable,
  timeoutMs,
  now: () => new Date(),
};

/**
 * Leader Election: one turn of one contender, fired by the schedule. The holder renews and cancels the
 * orders left unpaid past the timeout; followers only try to take the lease.
 */
async function turn(event: unknown) {
  const { contender } = turnSchema.parse(event);
  logger.appendKeys({ contender });
  const leases = new LeaseClient({ client: documentClient, tableName: leasesTable, holder: contender, leaseMs, clockSkewMarginMs });
  try {
    const outcome = await coordinatorTurn(leases, leaseName, (leadership) => cancelUnpaidOrders(job, leadership));
    if (outcome.lease?.takenOverFrom) {
      logger.warn('took over a lease its holder let expire', { from: outcome.lease.takenOverFrom, fencingToken: outcome.lease.fencingToken });
      count(LEASES_LOST_METRIC);
    }
    if (outcome.role === 'leader') {
      logger.info('led a turn', { fencingToken: outcome.lease!.fencingToken, ...outcome.result });
      count(LEADER_TURNS_METRIC);
    }
    return { role: outcome.role, fencingToken: outcome.lease?.fencingToken };
  } catch (error) {
    // A newer leader wrote while this one was paused: the fence refused the write, which is the point.
    if (!isStaleFencingTokenError(error)) throw error;
    logger.warn('stale leader refused at the resource', { resource: error.resource, fencingToken: error.fencingToken });
    count(LEASES_LOST_METRIC);
    return { role: 'deposed' as const, fencingToken: error.fencingToken };
  }
}

export const handler = observed(turn);
