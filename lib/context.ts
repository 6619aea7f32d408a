/**
 * What a deployment may tune from CDK context (`-c key=…` or cdk.json), each with its default: the
 * outbound policies, the coordinator, the API's throttle, the shard counts and the strangler's routes.
 */
import { Duration } from 'aws-cdk-lib';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { routingTableSchema, type RoutingTable } from '../lambdas/patterns/strangler/index.ts';
import { LEGACY_TIMEOUT_MS } from '../lambdas/composition/strangler.ts';
import { issuesText } from '../lambdas/platform/http.ts';
import type { LeaderElectionProps } from './constructs/leader-election.ts';
import { ENV } from '../lambdas/platform/environment.ts';

/** A context value holding an object: as given in cdk.json, or as JSON text from `-c key=…`. */
export function objectContext<T>(scope: Construct, key: string): Partial<T> {
  const value: unknown = scope.node.tryGetContext(key);
  return (typeof value === 'string' ? JSON.parse(value) : (value ?? {})) as Partial<T>;
}

/** A default object with the fields context `key` overrides. */
const tuned = <T extends object>(scope: Construct, key: string, defaults: T): T => ({ ...defaults, ...objectContext<T>(scope, key) });

/** Outbound policy of the payment provider; `-c eightfold:outbound='{"payment-provider":{"timeoutMs":500}}'` overrides any field. */
const PAYMENT_PROVIDER_POLICY = {
  timeoutMs: 2_000,
  maxAttempts: 3,
  baseDelayMs: 50,
  maxDelayMs: 1_000,
  retryBudgetRatio: 0.2,
  minRetriesPerSecond: 5,
};

/**
 * Outbound policy of legacy, called by the sync subscriber and the change capture. Its timeout is the one the
 * façade gives legacy (3 s): a legacy instance starting cold behind API Gateway answers within it, where 1 s let
 * a burst that scaled legacy up read as an outage and open the breaker (on the local cloud, a feed's first
 * calls to cold instances timed out in 5 of 6 loads of 300 orders at concurrency 16; at 3 s, in none of 3).
 */
const LEGACY_POLICY = {
  timeoutMs: LEGACY_TIMEOUT_MS,
  maxAttempts: 2,
  baseDelayMs: 50,
  maxDelayMs: 500,
  retryBudgetRatio: 0.2,
  minRetriesPerSecond: 5,
};

/** A bearer token's secret: a stand-in's own, or a real system's by its complete ARN. */
const secretOf = (scope: Construct, id: string, token: ISecret | string): ISecret =>
  typeof token === 'string' ? Secret.fromSecretCompleteArn(scope, id, token) : token;

/** The ambassador's targets, each with its bearer token's secret: the payment provider and legacy's integration API. */
export function outboundTargets(
  scope: Construct,
  paymentProvider: { readonly url: string; readonly apiToken: ISecret | string },
  legacy: { readonly url: string; readonly integrationToken: ISecret | string },
) {
  const overrides = objectContext<Record<string, Partial<typeof PAYMENT_PROVIDER_POLICY>>>(scope, 'eightfold:outbound');
  return {
    'payment-provider': {
      baseUrl: paymentProvider.url,
      ...PAYMENT_PROVIDER_POLICY,
      ...overrides['payment-provider'],
      authSecret: secretOf(scope, 'PaymentProviderToken', paymentProvider.apiToken),
    },
    legacy: {
      baseUrl: legacy.url,
      ...LEGACY_POLICY,
      ...overrides.legacy,
      authSecret: secretOf(scope, 'LegacyIntegrationToken', legacy.integrationToken),
    },
  };
}

/**
 * Who signs callers in: by default a Cognito user pool of the stack's own; `-c issuer=<OIDC issuer URL>`
 * (with `-c audience=<client id>`) trusts an identity provider the shop already has instead.
 */
export function identityContext(scope: Construct): { issuer?: string; audience?: string } {
  const text = (key: string) => {
    const value: unknown = scope.node.tryGetContext(key);
    return typeof value === 'string' && value ? value : undefined;
  };
  return { issuer: text('issuer'), audience: text('audience') };
}

/** How much faster than real time the local cloud runs (`--time-scale`): every duration shrinks by it. */
const timeScaleOf = (scope: Construct): number => Number(scope.node.tryGetContext('local-cloud:time-scale') ?? 1);

/**
 * The coordinator (Leader Election) and its singleton work; `-c eightfold:coordinator='{"paymentTimeoutMinutes":5}'`
 * overrides any field. `paymentReconcileAfterSeconds`: how long a payment step may stay open before the
 * reconciler asks the provider; it must exceed the longest a charge request can take to reach the provider
 * (the ambassador's attempts and the provider's own timeout), so that "no charge under this key" is final.
 * The local cloud's `--time-scale` shrinks every duration alike.
 */
export function coordinatorProps(scope: Construct): LeaderElectionProps {
  const settings = tuned(scope, 'eightfold:coordinator', {
    everyMinutes: 1,
    leaseSeconds: 180,
    clockSkewMarginSeconds: 5,
    contenders: 3,
    paymentTimeoutMinutes: 30,
    paymentReconcileAfterSeconds: 300,
  });
  const timeScale = timeScaleOf(scope);
  return {
    handler: 'coordinator',
    leaseName: 'coordinator',
    every: Duration.minutes(settings.everyMinutes),
    lease: Duration.seconds(settings.leaseSeconds),
    clockSkewMargin: Duration.seconds(settings.clockSkewMarginSeconds),
    contenders: settings.contenders,
    timeScale,
    environment: {
      [ENV.payments.timeoutMs]: String(Math.round((settings.paymentTimeoutMinutes * 60_000) / timeScale)),
      [ENV.payments.reconcileAfterMs]: String(Math.round((settings.paymentReconcileAfterSeconds * 1000) / timeScale)),
    },
  };
}

/**
 * Legacy's change capture (Strangler Fig, the other way): a leader of its own that polls legacy's changes
 * endpoint every `pollMilliseconds` for the length of its turn; `-c eightfold:legacyCapture='{"pollMilliseconds":5000}'`
 * overrides any field. A turn ends a few seconds before the next one, so one leader polls at a time. Polling
 * and the re-read overlap are real time at any `--time-scale`: they bound the lag of a change, not a schedule.
 */
export function legacyCaptureProps(scope: Construct): LeaderElectionProps {
  const settings = tuned(scope, 'eightfold:legacyCapture', {
    everyMinutes: 1,
    leaseSeconds: 180,
    clockSkewMarginSeconds: 5,
    contenders: 2,
    pollMilliseconds: 1_000,
    overlapSeconds: 10,
  });
  const timeScale = timeScaleOf(scope);
  const everyMs = (settings.everyMinutes * 60_000) / timeScale;
  return {
    handler: 'legacy-capture',
    leaseName: 'legacy-capture',
    serviceName: 'legacy-capture',
    every: Duration.minutes(settings.everyMinutes),
    lease: Duration.seconds(settings.leaseSeconds),
    clockSkewMargin: Duration.seconds(settings.clockSkewMarginSeconds),
    contenders: settings.contenders,
    timeScale,
    checkpoint: true,
    environment: {
      [ENV.legacyCapture.turnMs]: String(Math.round(Math.max(everyMs * 0.5, everyMs - 5_000))),
      [ENV.legacyCapture.pollMs]: String(settings.pollMilliseconds),
      [ENV.legacyCapture.overlapMs]: String(settings.overlapSeconds * 1000),
    },
  };
}

/** Stage-wide throttle of the API, all callers together; `-c eightfold:throttle='{"rateLimit":200}'` overrides either. */
export const throttleSettings = (scope: Construct) => tuned(scope, 'eightfold:throttle', { rateLimit: 1_000, burstLimit: 2_000 });

/**
 * N shards, S write shards per counter, and how long a Lambda trusts the shard map it read;
 * `-c eightfold:sharding='{"shards":32}'` overrides any (a reshard moves a running system).
 */
export const shardingSettings = (scope: Construct) =>
  tuned(scope, 'eightfold:sharding', { shards: 16, writeShards: 8, mapCacheSeconds: 10 });

/**
 * Whether the façade stamps legacy's answers `X-Served-By: legacy` through a Lambda hop (the default), or
 * proxies legacy with plain HTTP integrations (`-c eightfold:stampLegacy=false`: no hop, legacy's own headers).
 */
export const stampLegacy = (scope: Construct): boolean => String(scope.node.tryGetContext('eightfold:stampLegacy') ?? true) !== 'false';

/** The strangler's routing table, from context `eightfold:routes` (cdk.json): the one place routes move. */
export function routingTable(scope: Construct): RoutingTable {
  const parsed = routingTableSchema.safeParse(objectContext<RoutingTable>(scope, 'eightfold:routes'));
  if (!parsed.success) throw new Error(`eightfold:routes: ${issuesText(parsed.error)}`);
  return parsed.data;
}
