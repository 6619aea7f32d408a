import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EightfoldFunction } from './eightfold-function.ts';

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
    this.transitions = new Topic(this, 'Transitions', { enforceSSL: true });
  }

  /** A function that calls through breakers: reads and updates their items, announces transitions. */
  useFrom(fn: EightfoldFunction): void {
    this.table.grant(fn, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    this.transitions.grantPublish(fn);
    fn.addEnvironment('BREAKERS_TABLE', this.table.tableName);
    fn.addEnvironment('BREAKER_TRANSITIONS_TOPIC_ARN', this.transitions.topicArn);
  }

  /** Operators list breakers and override their state. */
  grantOperate(grantee: IGrantable): Grant {
    return this.table.grant(grantee, 'dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:UpdateItem');
  }
}
