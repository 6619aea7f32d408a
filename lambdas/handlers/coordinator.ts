import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { cancelUnpaidOrders } from '../use-cases/payment-timeouts.ts';
import {
  coordinatorTurn,
  fencedAppend,
  isStaleFencingTokenError,
  LeaseClient,
  type Leadership,
} from '../patterns/leader-election/index.ts';
import { documentClient } from '../platform/clients.ts';
import { logger } from '../platform/logger.ts';
import {
  COORDINATOR_SERVICE,
  LEADER_TURNS_METRIC,
  LEASES_LOST_METRIC,
  METRICS_NAMESPACE,
  PAYMENT_STEPS_FAILED_METRIC,
} from '../platform/metric-names.ts';
import { ordersWithPaymentsOpenSince } from '../composition/orders-view.ts';
import { observed } from '../platform/observability.ts';
import { reconcilePayments } from '../use-cases/payments.ts';
import { job, paymentProvider, settings, store } from '../composition/coordinator.ts';

const { leasesTable, leaseName, viewTable, reconcileAfterMs } = settings;

const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: COORDINATOR_SERVICE });

/** One EMF line: the alarms on a leaderless lease, a lost one and stuck payment steps read these. */
function count(metricName: string, value = 1): void {
  const metric = metrics.singleMetric();
  metric.addDimension('lease', leaseName);
  metric.addMetric(metricName, MetricUnit.Count, value);
}

/** Each schedule target names its contender; a contender is whichever invocation carries that name. */
const turnSchema = z.object({ contender: z.string().min(1).max(64) });

/**
 * The leader's singleton work, in order: conclude the payments in flight and the refunds owed past the
 * reconciler's bound (asking the provider), then cancel the orders left unpaid past the timeout (an order
 * with a payment in flight is never among them). Every append is fenced by the lease's token.
 */
async function singletonWork(leadership: Leadership) {
  const { lease, stillLeading } = leadership;
  const now = job.now();
  const guard = fencedAppend({ tableName: leasesTable, resource: `orders@${lease.name}`, fencingToken: lease.fencingToken });
  const openBefore = new Date(now.getTime() - reconcileAfterMs).toISOString();
  const payments = await reconcilePayments(
    { store, provider: paymentProvider, now: job.now, guard },
    {
      openOrders: ordersWithPaymentsOpenSince(documentClient, viewTable, openBefore),
      openBefore,
      stillLeading,
      metadata: { correlationId: `payment-reconciler-${now.toISOString()}`, actor: `system:coordinator:${lease.holder}` },
    },
  );
  if (payments.failed.length > 0) {
    logger.warn('payment steps still open after this turn', { failed: payments.failed });
    count(PAYMENT_STEPS_FAILED_METRIC, payments.failed.length);
  }
  const timeouts = payments.interrupted ? { cancelled: [], skipped: [], interrupted: true } : await cancelUnpaidOrders(job, leadership);
  return { payments, timeouts };
}

/**
 * Leader Election: one turn of one contender, fired by the schedule. The holder renews and does the
 * singleton work; followers only try to take the lease.
 */
async function turn(event: unknown) {
  const { contender } = turnSchema.parse(event);
  logger.appendKeys({ contender });
  const { leaseMs, clockSkewMarginMs } = settings;
  const leases = new LeaseClient({ client: documentClient, tableName: leasesTable, holder: contender, leaseMs, clockSkewMarginMs });
  try {
    const outcome = await coordinatorTurn(leases, leaseName, singletonWork);
    if (outcome.lease?.takenOverFrom) {
      logger.warn('took over a lease its holder let expire', {
        from: outcome.lease.takenOverFrom,
        fencingToken: outcome.lease.fencingToken,
      });
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
    logger.warn('stale leader refused at the resource', error.context);
    count(LEASES_LOST_METRIC);
    return { role: 'deposed' as const, fencingToken: error.context.fencingToken };
  }
}

export const handler = observed(turn);
