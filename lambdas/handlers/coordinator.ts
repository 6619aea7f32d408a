import { cancelUnpaidOrders } from '../use-cases/payment-timeouts.ts';
import { fencedAppend, type Leadership } from '../patterns/leader-election/index.ts';
import { documentClient } from '../platform/clients.ts';
import { logger } from '../platform/logger.ts';
import { PAYMENT_STEPS_FAILED_METRIC } from '../platform/metric-names.ts';
import { ordersWithPaymentsOpenSince } from '../composition/orders-view.ts';
import { countForLease, leaderTurn } from '../composition/leader-turn.ts';
import { observed } from '../platform/observability.ts';
import { reconcilePayments } from '../use-cases/payments.ts';
import { job, paymentProvider, settings, store } from '../composition/coordinator.ts';

const { leasesTable, leaseName, viewTable, reconcileAfterMs } = settings;

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
    countForLease(leaseName, PAYMENT_STEPS_FAILED_METRIC, payments.failed.length);
  }
  const timeouts = payments.interrupted ? { cancelled: [], skipped: [], interrupted: true } : await cancelUnpaidOrders(job, leadership);
  return { payments, timeouts };
}

/** Leader Election: one turn of one contender, fired by the schedule; the holder does the work above. */
export const handler = observed(leaderTurn(settings, singletonWork));
