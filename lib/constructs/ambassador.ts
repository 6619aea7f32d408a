import { Stack } from 'aws-cdk-lib';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { CircuitBreakers } from './circuit-breaker.ts';
import type { EightfoldFunction } from './eightfold-function.ts';
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
  private readonly secrets: ISecret[];
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
    this.secrets = Object.values(props.targets).flatMap((t) => (t.authSecret ? [t.authSecret] : []));
    this.policy = new StringParameter(this, 'OutboundPolicy', {
      description: 'Eightfold ambassador: timeouts, retries, retry budgets and auth of every outbound target',
      // toJsonString keeps the tokens inside (the provider's URL, the secret's ARN) resolvable.
      stringValue: Stack.of(this).toJsonString(document),
    });
  }

  /** A function that calls out through the ambassador: reads the policy and the targets' secrets, and trips their breakers. */
  useFrom(fn: EightfoldFunction): void {
    this.breakers.useFrom(fn);
    this.policy.grantRead(fn);
    for (const secret of this.secrets) secret.grantRead(fn);
    fn.addEnvironment(ENV.ambassador.policyParameter, this.policy.parameterName);
  }
}
