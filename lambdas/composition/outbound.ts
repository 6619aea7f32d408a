import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Ambassador, PolicySource } from '../patterns/ambassador/index.ts';
import { DistributedCircuitBreaker } from '../patterns/circuit-breaker/index.ts';
import { BREAKER_SETTINGS, breakerStore } from './breakers.ts';
import * as z from 'zod';
import { json, text, type SettingsOf } from './settings.ts';
import { nodeHttpTransport } from '../platform/http-transport.ts';
import { logger } from '../platform/logger.ts';
import { BREAKER_TRANSITIONS_METRIC, BREAKERS_SERVICE, METRICS_NAMESPACE } from '../platform/metric-names.ts';
import { traced } from '../platform/observability.ts';
import { ENV } from '../platform/environment.ts';

const sns = traced(new SNSClient({}));
const metrics = new Metrics({ namespace: METRICS_NAMESPACE });
// One service for every breaker transition, whichever function made it: one alarm per breaker sees them all.
const breakerMetrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: BREAKERS_SERVICE });

export const OUTBOUND_SETTINGS = {
  ...BREAKER_SETTINGS,
  policyParameter: [ENV.ambassador.policyParameter, text],
  /** Target → the host its secret may go to (the construct's props, at deploy time). */
  pinnedHosts: [ENV.ambassador.pinnedHosts, json(z.record(z.string(), z.string())).default({})],
  breakerTransitionsTopic: [ENV.breakers.transitionsTopic, text],
} as const;

/**
 * The ambassadors of a function: one per outbound target it calls, each with its breaker (shared through
 * the breakers table, announcing each transition in a log line, a metric and a message to operators), its
 * secret and its log line and metrics per attempt. The policy parameter is cached 30 s by Powertools
 * Parameters: a change reaches every instance within that.
 */
export function outbound(settings: SettingsOf<typeof OUTBOUND_SETTINGS>) {
  const store = breakerStore(settings);
  const policies = new PolicySource({
    load: () => getParameter(settings.policyParameter, { maxAge: 30 }),
    onStale: (error, ageMs) => logger.warn('outbound policy unavailable; using the last one that loaded', { error: error as Error, ageMs }),
  });
  const breakerFor = (name: string) =>
    new DistributedCircuitBreaker({
      name,
      store,
      onStateChange: (change) => {
        logger.warn('circuit breaker transition', { ...change });
        const metric = breakerMetrics.singleMetric();
        metric.addDimensions({ breaker: change.name, to: change.to });
        metric.addMetric(BREAKER_TRANSITIONS_METRIC, MetricUnit.Count, 1);
        void sns
          .send(
            new PublishCommand({
              TopicArn: settings.breakerTransitionsTopic,
              Subject: `Breaker ${change.name}: ${change.from} → ${change.to}`,
              Message: JSON.stringify(change),
            }),
          )
          .catch((error: unknown) => logger.error('could not announce a breaker transition', { error: error as Error }));
      },
      onStoreError: (error) => logger.error('breaker table unreachable; this instance is on its own copy', { error: error as Error }),
    });
  return {
    /** The ambassador of one outbound target. */
    ambassadorFor: (target: string): Ambassador =>
      new Ambassador({
        target,
        policies,
        breaker: breakerFor(target),
        readSecret: async (name) => (await getSecret(name, { maxAge: 300 })) as string,
        pinnedHost: settings.pinnedHosts[target],
        fetch: nodeHttpTransport,
        onAttempt: (attempt) => {
          // The attempt's own request id, not the sandbox's latest: a batch's calls may run side by side.
          const line = { ...attempt, ...(attempt.correlationId ? { correlation_id: attempt.correlationId } : {}) };
          if (attempt.outcome === 'success') logger.info('outbound call', line);
          else logger.warn('outbound call', line);
          // One EMF line per attempt, dimensioned by target and outcome.
          const metric = metrics.singleMetric();
          metric.addDimensions({ target, outcome: attempt.outcome });
          metric.addMetric('OutboundCalls', MetricUnit.Count, 1);
          metric.addMetric('OutboundLatency', MetricUnit.Milliseconds, attempt.durationMs);
        },
      }),
  };
}
