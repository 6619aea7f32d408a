/**
 * The shared (DynamoDB) circuit breaker against opossum, the per-instance in-memory breaker, side by side:
 * M simulated instances call a dependency that dies mid-run and comes back.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import CircuitBreaker from 'opossum';
import {
  DistributedCircuitBreaker,
  DynamoDbBreakerStore,
  isBrokenCircuitError,
  type BreakerPolicy,
} from '../lambdas/patterns/circuit-breaker/index.ts';
import { LOCAL_CREDENTIALS, startDynamoDbLocal } from '@eightfold/local-cloud';
import { createTable } from '../test/helpers/tables.ts';
import { countRequests, log, ms, percentile, ratio, sleep, type Row } from './common.ts';

/**
 * The bench's policy, beside opossum's below: the same window, threshold and probe schedule (a probe period
 * of opossum's reset timeout, not doubled), so the recovery figure measures what sharing the state costs, not
 * a different schedule: with doubling, a probe failing just before the dependency returns reopens the breaker
 * for twice as long, and the fleet's recovery is that period (seen: 1.1 s in 4 trials of 5).
 */
const POLICY: Partial<BreakerPolicy> = {
  minimumCalls: 10,
  failureRateThreshold: 0.5,
  windowMs: 2_000,
  bucketMs: 200,
  openMs: 500,
  maxOpenMs: 500,
  halfOpenProbes: 3,
  stateCacheMs: 200,
};
/** Trials of the recovery time, each side: one hangs on where the revival falls in the breaker's cycle. */
const RECOVERY_TRIALS = 5;

const OPOSSUM = {
  errorThresholdPercentage: 50,
  volumeThreshold: 10,
  rollingCountTimeout: 2_000,
  rollingCountBuckets: 10,
  resetTimeout: 500,
  timeout: false as const,
};

interface Dependency {
  alive: boolean;
  callsWhileDead: number;
  call(): Promise<string>;
}

function dependency(): Dependency {
  const dep: Dependency = {
    alive: true,
    callsWhileDead: 0,
    async call() {
      await sleep(2);
      if (dep.alive) return 'ok';
      dep.callsWhileDead++;
      throw new Error('connection refused');
    },
  };
  return dep;
}

/** One side's run: healthy, dead for 2 s, then back until every instance gets a call through. */
async function scenario(instances: number, makeCaller: (dep: Dependency) => () => Promise<unknown>) {
  const dep = dependency();
  const callers = Array.from({ length: instances }, () => makeCaller(dep));
  const failFast: number[] = [];
  let stop = false;
  const recoveredAt: (number | undefined)[] = callers.map(() => undefined);
  let revivedAt = 0;
  const loops = callers.map(async (call, i) => {
    while (!stop) {
      const started = performance.now();
      try {
        await call();
        if (revivedAt && recoveredAt[i] === undefined) recoveredAt[i] = performance.now();
      } catch (error) {
        if (
          (error as { isBrokenCircuitError?: boolean; code?: string }).isBrokenCircuitError ||
          (error as { code?: string }).code === 'EOPENBREAKER'
        ) {
          failFast.push(performance.now() - started);
        }
      }
      await sleep(5);
    }
  });
  await sleep(1_000);
  dep.alive = false;
  await sleep(2_000);
  dep.alive = true;
  revivedAt = performance.now();
  const deadline = revivedAt + 10_000;
  while (recoveredAt.some((t) => t === undefined) && performance.now() < deadline) await sleep(20);
  stop = true;
  await Promise.all(loops);
  const recovery = Math.max(...recoveredAt.map((t) => (t ?? deadline) - revivedAt));
  return { callsWhileDead: dep.callsWhileDead, failFast, recovery };
}

export async function circuitBreakerFigures(rows: Row[]): Promise<void> {
  const dynamo = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const requests = countRequests(raw);
  const shared = new DynamoDbBreakerStore(DynamoDBDocumentClient.from(raw), 'breakers');
  // Probes admitted per HALF_OPEN period (a period is a breaker name and state version), fleet-wide.
  const probes = new Map<string, number>();
  const store = Object.assign(Object.create(shared) as DynamoDbBreakerStore, {
    claimProbe: async (name: string, version: number, limit: number) => {
      const claimed = await shared.claimProbe(name, version, limit);
      if (claimed) probes.set(`${name}@${version}`, (probes.get(`${name}@${version}`) ?? 0) + 1);
      return claimed;
    },
  });
  try {
    await createTable(raw, 'breakers', [{ name: 'name', type: 'S' }]);
    // Each instance with its own breaker object: ours share their state through the table, opossum's cannot.
    const ourBreakers = (name: string) => (dep: Dependency) => {
      const breaker = new DistributedCircuitBreaker({ name, store, policy: POLICY });
      return () => breaker.execute(() => dep.call());
    };
    const opossumBreakers = (dep: Dependency) => {
      const breaker = new CircuitBreaker(() => dep.call(), OPOSSUM);
      return () => breaker.fire();
    };
    let run = 0;
    for (const instances of [1, 4, 16]) {
      const name = `dependency-${instances}-${run++}`;
      const ours = await scenario(instances, ourBreakers(name));
      const peer = await scenario(instances, opossumBreakers);
      log(
        `M=${instances}: calls to the dead dependency ours ${ours.callsWhileDead}, opossum ${peer.callsWhileDead}; recovery ${ms(ours.recovery)} vs ${ms(peer.recovery)}`,
      );
      rows.push({
        figure: `calls reaching a dependency while it is dead for 2 s, ${instances} instance${instances > 1 ? 's' : ''}`,
        value: String(ours.callsWhileDead),
        baseline: `opossum (per instance): ${peer.callsWhileDead}`,
        ratio: ratio(ours.callsWhileDead, peer.callsWhileDead),
        goal: "below opossum's",
        met: ours.callsWhileDead < peer.callsWhileDead,
      });
      if (instances === 16) {
        // One trial's recovery hangs on where the revival falls in the breaker's cycle (a probe failing just
        // before it reopens the breaker for a whole cool-down): the median of five, each side.
        const recoveries = { ours: [ours.recovery], peer: [peer.recovery] };
        for (let trial = 0; trial < RECOVERY_TRIALS - 1; trial++) {
          recoveries.ours.push((await scenario(instances, ourBreakers(`${name}-recovery-${trial}`))).recovery);
          recoveries.peer.push((await scenario(instances, opossumBreakers)).recovery);
        }
        log(
          `M=16 recovery, ${RECOVERY_TRIALS} trials: ours ${recoveries.ours.map(ms).join(', ')}; opossum ${recoveries.peer.map(ms).join(', ')}`,
        );
        for (const p of [50, 99]) {
          const value = percentile(ours.failFast, p);
          const baseline = percentile(peer.failFast, p);
          rows.push({
            figure: `fail-fast latency p${p} while open, 16 instances`,
            value: ms(value),
            baseline: `opossum (in memory): ${ms(baseline)}`,
            ratio: ratio(value, baseline),
            ...(p === 99 ? { goal: '≤ 1 ms', met: value <= 1 } : {}),
          });
        }
        const [oursMedian, peerMedian] = [percentile(recoveries.ours, 50), percentile(recoveries.peer, 50)];
        rows.push({
          figure: `time until every one of 16 instances gets a call through after the dependency returns (median of ${RECOVERY_TRIALS}; trials ${recoveries.ours.map(ms).join(', ')})`,
          value: ms(oursMedian),
          baseline: `opossum: ${ms(peerMedian)} (trials ${recoveries.peer.map(ms).join(', ')})`,
          ratio: ratio(oursMedian, peerMedian),
          goal: "≤ opossum's + 1 s",
          met: oursMedian <= peerMedian + 1_000,
        });
      }
    }

    const mostProbes = Math.max(0, ...probes.values());
    log(`HALF_OPEN periods: ${probes.size}, most probes admitted in one: ${mostProbes}`);
    rows.push({
      figure: `most probes admitted in one HALF_OPEN period, all instances together (${probes.size} periods)`,
      value: String(mostProbes),
      baseline: `limit K = ${POLICY.halfOpenProbes}`,
      ratio: ratio(mostProbes, POLICY.halfOpenProbes!),
      goal: `≤ K = ${POLICY.halfOpenProbes}`,
      met: mostProbes <= POLICY.halfOpenProbes!,
    });

    // The hot path on a healthy dependency: DynamoDB requests per call, 4 instances for 3 s.
    const breakers = Array.from({ length: 4 }, () => new DistributedCircuitBreaker({ name: 'healthy', store, policy: POLICY }));
    const until = performance.now() + 3_000;
    let calls = 0;
    requests.count = 0;
    await Promise.all(
      breakers.map(async (breaker) => {
        while (performance.now() < until) {
          await breaker
            .execute(async () => 'ok')
            .catch((error: unknown) => {
              if (!isBrokenCircuitError(error)) throw error;
            });
          calls++;
          await sleep(1);
        }
      }),
    );
    const perCall = requests.count / calls;
    log(`healthy: ${requests.count} DynamoDB requests for ${calls} calls (${perCall.toFixed(3)} per call)`);
    rows.push({
      figure: 'DynamoDB requests per call on a healthy dependency (4 instances, ~1 call/ms each)',
      value: perCall.toFixed(3),
      baseline: 'the goal: 0.2',
      ratio: ratio(perCall, 0.2),
      goal: '< 0.2',
      met: perCall < 0.2,
    });
  } finally {
    raw.destroy();
    await dynamo.stop();
  }
}
