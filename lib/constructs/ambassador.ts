import { Fn, Stack } from 'aws-cdk-lib';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { CircuitBreakers } from './circuit-breaker.ts';
import type { EightfoldFunction } from './eightfold-function.ts';
import { grantParameterValue, grantSecretValue } from './grants.ts';
import { ENV } from '../../lambdas/platform/environment.ts';

/** One outbound target's policy, as the ambassador reads it (see lambdas/patterns/ambassador/policy.ts). */
export interface TargetPolicyProps {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly retryBudgetRatio: number;
  readonly minRetriesPerSecond: number;
  /** The secret sent as a bearer token. @default none */
  readonly authSecret?: ISecret;
}

export interface AmbassadorProps {
  /** Every outbound target, by name. */
  readonly targets: Readonly<Record<string, TargetPolicyProps>>;
  /** The breakers guarding the targets: one per target, each alarmed when it opens. */
  readonly breakers: CircuitBreakers;
}

/**
 * The outbound policy of every target, declared once and stored in one SSM parameter that the ambassador
 * reads with a short cache: changing a timeout or a retry count is a parameter update (or a redeploy with
 * new CDK context), never a code change.
 */
export class Ambassador extends Construct {
  readonly policy: StringParameter;
  private readonly targets: Readonly<Record<string, TargetPolicyProps>>;
  private readonly breakers: CircuitBreakers;

  constructor(scope: Construct, id: string, props: AmbassadorProps) {
    super(scope, id);
    this.breakers = props.breakers;
    for (const target of Object.keys(props.targets)) props.breakers.alarmWhenOpen(target);
    const document = Object.fromEntries(
      Object.entries(props.targets).map(([name, { authSecret, ...policy }]) => [
        name,
        { ...policy, ...(authSecret ? { authSecret: authSecret.secretArn } : {}) },
      ]),
    );
    this.targets = props.targets;
    this.policy = new StringParameter(this, 'OutboundPolicy', {
      description: 'Eightfold ambassador: timeouts, retries, retry budgets and auth of every outbound target',
      // toJsonString keeps the tokens inside (the provider's URL, the secret's ARN) resolvable.
      stringValue: Stack.of(this).toJsonString(document),
    });
  }

  /**
   * A function that calls `targets` through the ambassador: reads the policy, trips the breakers, and reads
   * the secrets of these targets only, each pinned to the host of the target's URL as deployed (a later
   * change of the URL in the parameter cannot send the secret elsewhere).
   */
  useFrom(fn: EightfoldFunction, ...targets: string[]): void {
    this.breakers.useFrom(fn);
    grantParameterValue(fn, this.policy);
    fn.addEnvironment(ENV.ambassador.policyParameter, this.policy.parameterName);
    const pinned: Record<string, string> = {};
    for (const name of targets) {
      const target = this.targets[name];
      if (!target) throw new Error(`The ambassador has no target ${name} (it has ${Object.keys(this.targets).join(', ')})`);
      if (!target.authSecret) continue;
      grantSecretValue(fn, target.authSecret);
      // scheme://host[:port]/…: the third part of the URL split at its slashes, resolved at deploy time.
      pinned[name] = Fn.select(2, Fn.split('/', target.baseUrl));
    }
    if (Object.keys(pinned).length > 0) fn.addEnvironment(ENV.ambassador.pinnedHosts, Stack.of(this).toJsonString(pinned));
  }
}
