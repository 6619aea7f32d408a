import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { cancelUnpaidOrders } from '../jobs/payment-timeouts.ts';
import { coordinatorTurn, isStaleFencingTokenError, LeaseClient } from '../patterns/leader-election/index.ts';
import { documentClient, requireEnv } from '../shared/clients.ts';
import { orderEventStore } from '../shared/event-store.ts';
import { logger } from '../shared/logger.ts';
import { unpaidOrdersPlacedBefore } from '../shared/orders-view.ts';

const leasesTable = requireEnv('LEASES_TABLE');
const viewTable = requireEnv('ORDERS_VIEW_TABLE');
const leaseName = requireEnv('LEASE_NAME');
const leaseMs = Number(requireEnv('LEASE_MS'));
const clockSkewMarginMs = Number(requireEnv('CLOCK_SKEW_MARGIN_MS'));
const timeoutMs = Number(requireEnv('PAYMENT_TIMEOUT_MS'));

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
    if (outcome.role === 'leader') logger.info('led a turn', { fencingToken: outcome.lease!.fencingToken, ...outcome.result });
    return { role: outcome.role, fencingToken: outcome.lease?.fencingToken };
  } catch (error) {
    // A newer leader wrote while this one was paused: the fence refused the write, which is the point.
    if (!isStaleFencingTokenError(error)) throw error;
    logger.warn('stale leader refused at the resource', { resource: error.resource, fencingToken: error.fencingToken });
    return { role: 'deposed' as const, fencingToken: error.fencingToken };
  }
}

export const handler = middy(turn).use(injectLambdaContext(logger, { resetKeys: true }));
