import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Ambassador, PolicySource } from '../patterns/ambassador/index.ts';
import { DistributedCircuitBreaker } from '../patterns/circuit-breaker/index.ts';
import { breakerStore } from './breakers.ts';
import { requireEnv } from '../platform/clients.ts';
import { logger } from '../platform/logger.ts';
import { BREAKER_TRANSITIONS_METRIC, BREAKERS_SERVICE, METRICS_NAMESPACE } from '../platform/metric-names.ts';
import { traced } from '../platform/observability.ts';
import { ENV } from '../platform/environment.ts';

const sns = traced(new SNSClient({}));
const metrics = new Metrics({ namespace: METRICS_NAMESPACE });
// One service for every breaker transition, whichever function made it: one alarm per breaker sees them all.
const breakerMetrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: BREAKERS_SERVICE });

/** The outbound policy parameter, cached 30 s by Powertools Parameters: a change reaches every instance within that. */
const policies = new PolicySource({
  load: () => getParameter(requireEnv(ENV.ambassador.policyParameter), { maxAge: 30 }),
  onStale: (error, ageMs) => logger.warn('outbound policy unavailable; using the last one that loaded', { error: error as Error, ageMs }),
});

/** A breaker for a target, announcing each transition it makes: log line, and a message to operators. */
function breakerFor(name: string): DistributedCircuitBreaker {
  return new DistributedCircuitBreaker({
    name,
    store: breakerStore,
    onStateChange: (change) => {
      logger.warn('circuit breaker transition', { ...change });
      const metric = breakerMetrics.singleMetric();
      metric.addDimensions({ breaker: change.name, to: change.to });
      metric.addMetric(BREAKER_TRANSITIONS_METRIC, MetricUnit.Count, 1);
      void sns
        .send(
          new PublishCommand({
            TopicArn: requireEnv(ENV.breakers.transitionsTopic),
            Subject: `Breaker ${change.name}: ${change.from} → ${change.to}`,
            Message: JSON.stringify(change),
          }),
        )
        .catch((error: unknown) => logger.error('could not announce a breaker transition', { error: error as Error }));
    },
    onStoreError: (error) => logger.error('breaker table unreachable; this instance is on its own copy', { error: error as Error }),
  });
}

/** The ambassador of one outbound target, with its breaker, its secret and its log line per attempt. */
export function ambassadorFor(target: string): Ambassador {
  return new Ambassador({
    target,
    policies,
    breaker: breakerFor(target),
    readSecret: async (name) => (await getSecret(name, { maxAge: 300 })) as string,
    onAttempt: (attempt) => {
      if (attempt.outcome === 'success') logger.info('outbound call', { ...attempt });
      else logger.warn('outbound call', { ...attempt });
      // One EMF line per attempt, dimensioned by target and outcome.
      const metric = metrics.singleMetric();
      metric.addDimensions({ target, outcome: attempt.outcome });
      metric.addMetric('OutboundCalls', MetricUnit.Count, 1);
      metric.addMetric('OutboundLatency', MetricUnit.Milliseconds, attempt.durationMs);
    },
  });
}
