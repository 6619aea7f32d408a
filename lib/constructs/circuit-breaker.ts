import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Grant } from 'aws-cdk-lib/aws-iam';
import { Metric, type Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { acknowledge } from '../compliance.ts';
import { awsManagedSnsKey, grantPublishTo } from './grants.ts';
import { alarmAtOrAbove } from './monitoring.ts';
import { BREAKER_TRANSITIONS_METRIC, BREAKERS_SERVICE, METRICS_NAMESPACE } from '../../lambdas/platform/metric-names.ts';
import { Construct } from 'constructs';
import type { EightfoldFunction } from './eightfold-function.ts';
import { ENV } from '../../lambdas/platform/environment.ts';

/**
 * Circuit breakers whose state every Lambda instance shares: one item per breaker in the Breakers table
 * (state, version, window buckets, probe counters), and a topic that hears of every transition.
 */
export class CircuitBreakers extends Construct {
  readonly table: Table;
  /** Every state change, for operators (subscribe an email, a chat hook…). */
  readonly transitions: Topic;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'name', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(this.table, {
      'AwsSolutions-DDB3':
        'Breaker state is rebuilt by the next calls within one window; restoring an old state would be wrong, not safer.',
    });
    this.transitions = new Topic(this, 'Transitions', { enforceSSL: true, masterKey: awsManagedSnsKey(this) });
  }

  /** A function that calls through breakers: reads and updates their items, announces transitions. */
  useFrom(fn: EightfoldFunction): void {
    this.table.grant(fn, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    grantPublishTo(fn, this.transitions);
    fn.addEnvironment(ENV.breakers.table, this.table.tableName);
    fn.addEnvironment(ENV.breakers.transitionsTopic, this.transitions.topicArn);
  }

  /** Operators list breakers (`known`: the ones to list before their first call) and override their state. */
  grantOperate(fn: EightfoldFunction, known: readonly string[]): Grant {
    fn.addEnvironment(ENV.breakers.table, this.table.tableName);
    fn.addEnvironment(ENV.breakers.known, known.join(','));
    return this.table.grant(fn, 'dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:UpdateItem');
  }

  /** An alarm when the breaker of `name` opens, in whichever function (the transition's metric carries one service for all). */
  alarmWhenOpen(name: string): Alarm {
    const opened = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: BREAKER_TRANSITIONS_METRIC,
      dimensionsMap: { service: BREAKERS_SERVICE, breaker: name, to: 'OPEN' },
      statistic: 'Sum',
      period: Duration.minutes(1),
    });
    return alarmAtOrAbove(
      this,
      `${name}OpenAlarm`,
      opened,
      1,
      `The ${name} breaker opened: calls to ${name} fail fast until a probe succeeds (GET /ops/breakers)`,
    );
  }
}
