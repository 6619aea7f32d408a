/**
 * One turn of a contender for a lease, as a scheduled Lambda takes it: shared by every leader of the
 * stack (the coordinator, legacy's change capture), each with its own lease and its own singleton work.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { coordinatorTurn, isStaleFencingTokenError, LeaseClient, type Leadership } from '../patterns/leader-election/index.ts';
import { documentClient } from '../platform/clients.ts';
import { ENV } from '../platform/environment.ts';
import { logger } from '../platform/logger.ts';
import { COORDINATOR_SERVICE, LEADER_TURNS_METRIC, LEASES_LOST_METRIC, METRICS_NAMESPACE } from '../platform/metric-names.ts';
import { text, whole, type SettingsOf } from './settings.ts';

/** What every leader's function reads (the LeaderElection construct sets them). */
export const LEASE_SETTINGS = {
  leasesTable: [ENV.leaderElection.table, text],
  leaseName: [ENV.leaderElection.lease, text],
  leaseMs: [ENV.leaderElection.leaseMs, whole],
  clockSkewMarginMs: [ENV.leaderElection.clockSkewMarginMs, whole],
} as const;

const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: COORDINATOR_SERVICE });

/** Counts one EMF metric under this lease's dimensions: the construct's alarms read them. */
export function countForLease(leaseName: string, metricName: string, value = 1): void {
  const metric = metrics.singleMetric();
  metric.addDimension('lease', leaseName);
  metric.addMetric(metricName, MetricUnit.Count, value);
}

/** Each schedule target names its contender; a contender is whichever invocation carries that name. */
const turnSchema = z.object({ contender: z.string().min(1).max(64) });

/**
 * Leader Election: the handler of one contender's turn, fired by the schedule. The holder renews and does
 * the singleton `work`; followers only try to take the lease. A takeover and a write refused by the fence
 * are counted as leases lost; every turn led is counted, so a leaderless lease is an alarm.
 */
export function leaderTurn<T>(settings: SettingsOf<typeof LEASE_SETTINGS>, work: (leadership: Leadership) => Promise<T>) {
  const { leasesTable, leaseName, leaseMs, clockSkewMarginMs } = settings;
  return async (event: unknown) => {
    const { contender } = turnSchema.parse(event);
    logger.appendKeys({ contender });
    const leases = new LeaseClient({ client: documentClient, tableName: leasesTable, holder: contender, leaseMs, clockSkewMarginMs });
    try {
      const outcome = await coordinatorTurn(leases, leaseName, work);
      if (outcome.lease?.takenOverFrom) {
        logger.warn('took over a lease its holder let expire', {
          from: outcome.lease.takenOverFrom,
          fencingToken: outcome.lease.fencingToken,
        });
        countForLease(leaseName, LEASES_LOST_METRIC);
      }
      if (outcome.role === 'leader') {
        logger.info('led a turn', { fencingToken: outcome.lease!.fencingToken, ...outcome.result });
        countForLease(leaseName, LEADER_TURNS_METRIC);
      }
      return { role: outcome.role, fencingToken: outcome.lease?.fencingToken };
    } catch (error) {
      // A newer leader wrote while this one was paused: the fence refused the write, which is the point.
      if (!isStaleFencingTokenError(error)) throw error;
      logger.warn('stale leader refused at the resource', error.context);
      countForLease(leaseName, LEASES_LOST_METRIC);
      return { role: 'deposed' as const, fencingToken: error.context.fencingToken };
    }
  };
}
