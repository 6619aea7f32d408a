import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { ComparisonOperator, Metric, TreatMissingData, type Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EightfoldFunction } from './eightfold-function.ts';
import { alarmAtOrAbove } from './monitoring.ts';
import { acknowledge } from '../compliance.ts';
import { COORDINATOR_SERVICE, LEADER_TURNS_METRIC, LEASES_LOST_METRIC, METRICS_NAMESPACE } from '../../lambdas/platform/metric-names.ts';
import { ENV } from '../../lambdas/platform/environment.ts';

export interface LeaderElectionProps {
  /** The coordinator's handler file under `lambdas/handlers/`: one turn of one contender. */
  readonly handler: string;
  /** The lease the contenders compete for. */
  readonly leaseName: string;
  /** The function's Powertools service name (its log lines'); its metrics keep the coordinators' service and this lease. @default coordinator */
  readonly serviceName?: string;
  /** How often each contender takes a turn; EventBridge's finest rate is a minute. @default 1 minute */
  readonly every?: Duration;
  /** @default 3 × `every`: the holder's turn renews it, so it may miss two turns and still lead */
  readonly lease?: Duration;
  /** The most two contenders' clocks may disagree. @default 5 seconds */
  readonly clockSkewMargin?: Duration;
  /** Contenders, each a target of the schedule with its own name (EventBridge allows 5 per rule). @default 3 */
  readonly contenders?: number;
  /**
   * How much faster than real time the local cloud runs schedules (`--time-scale`): the lease, margin and
   * the work's own durations shrink by it, so a minute's rate and a three-minute lease stay in proportion.
   * @default 1
   */
  readonly timeScale?: number;
  /** The leader keeps a checkpoint item beside its lease (`entry` = checkpoint) and reads it back. @default false */
  readonly checkpoint?: boolean;
  readonly environment?: Record<string, string>;
}

/**
 * Leader Election: a LeasesTable (one item per lease, its leadership changes beside it for a week, and the
 * fences of the resources its leaders write to) and a coordinator Lambda that a schedule invokes once per
 * contender per turn. Only the lease holder does the singleton work.
 */
export class LeaderElection extends Construct {
  readonly table: Table;
  readonly coordinator: EightfoldFunction;
  readonly schedule: Rule;
  readonly leaseLostAlarm: Alarm;
  readonly leaderlessAlarm: Alarm;
  readonly leaseName: string;
  /** In the Lambda's (real) time. */
  readonly leaseMs: number;
  /** How often each contender takes a turn. */
  readonly every: Duration;
  private readonly coordinatorMetric: (metricName: string, period: Duration) => Metric;

  constructor(scope: Construct, id: string, props: LeaderElectionProps) {
    super(scope, id);
    const timeScale = props.timeScale ?? 1;
    const every = props.every ?? Duration.minutes(1);
    const contenders = props.contenders ?? 3;
    const lease = props.lease ?? Duration.minutes(every.toMinutes() * 3);
    const leaseMs = lease.toMilliseconds() / timeScale;
    const marginMs = (props.clockSkewMargin ?? Duration.seconds(5)).toMilliseconds() / timeScale;
    const everyMs = every.toMilliseconds() / timeScale;
    if (everyMs * 3 > leaseMs) throw new Error(`${id}: the lease must last at least three turns (heartbeat ≤ lease / 3)`);
    if (marginMs * 2 >= leaseMs) throw new Error(`${id}: the clock-skew margin must be under half the lease`);
    if (!Number.isInteger(contenders) || contenders < 1 || contenders > 5)
      throw new Error(`${id}: 1 to 5 contenders (targets of one rule)`);
    this.leaseName = props.leaseName;
    this.leaseMs = leaseMs;

    this.table = new Table(this, 'LeasesTable', {
      partitionKey: { name: 'name', type: AttributeType.STRING },
      sortKey: { name: 'entry', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      // Leadership changes expire after a week; leases and fences carry no TTL and stay.
      timeToLiveAttribute: 'expiresAtEpochSeconds',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(this.table, {
      'AwsSolutions-DDB3':
        'A lease lives minutes, and restoring fences to an earlier time would reissue fencing tokens already used: never restore this table.',
    });
    this.coordinator = new EightfoldFunction(this, 'Coordinator', {
      handler: props.handler,
      serviceName: props.serviceName ?? COORDINATOR_SERVICE,
      // A turn ends before the next one starts, so one contender never runs twice at once.
      timeout: Duration.seconds(Math.max(3, Math.min(Math.floor(everyMs / 1000), Math.floor((leaseMs - marginMs) / 1000)))),
      environment: {
        ...props.environment,
        [ENV.leaderElection.table]: this.table.tableName,
        [ENV.leaderElection.lease]: props.leaseName,
        [ENV.leaderElection.leaseMs]: String(Math.round(leaseMs)),
        [ENV.leaderElection.clockSkewMarginMs]: String(Math.round(marginMs)),
      },
    });
    // Lease items (renew, acquire, history) and fences (updated inside the fenced transactions).
    this.table.grant(this.coordinator, 'dynamodb:UpdateItem', 'dynamodb:PutItem', ...(props.checkpoint ? ['dynamodb:GetItem'] : []));
    this.schedule = new Rule(this, 'Turns', {
      description: `Every contender for the ${props.leaseName} lease takes a turn`,
      schedule: Schedule.rate(every),
      targets: Array.from(
        { length: contenders },
        (_, i) =>
          // A late turn is worthless once the next one is due: no retries, no stale deliveries.
          new LambdaFunction(this.coordinator, {
            event: RuleTargetInput.fromObject({ contender: `${props.leaseName}-${i + 1}` }),
            retryAttempts: 0,
            maxEventAge: Duration.minutes(1),
          }),
      ),
    });
    // On AWS (time scale 1): a lease lost (taken over after it expired, or a fenced write refused), and
    // a whole lease's time without a turn led, which means no contender could take it.
    const coordinatorMetric = (this.coordinatorMetric = (metricName: string, period: Duration) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: COORDINATOR_SERVICE, lease: props.leaseName },
        statistic: 'Sum',
        period,
      }));
    this.every = every;
    this.leaseLostAlarm = alarmAtOrAbove(
      this,
      'LeaseLostAlarm',
      coordinatorMetric(LEASES_LOST_METRIC, Duration.minutes(5)),
      1,
      `A ${props.leaseName} leader lost its lease (crashed, paused or cut off past it): see GET /ops/leader`,
    );
    const leaseMinutes = Math.max(1, Math.ceil(lease.toSeconds() / 60));
    this.leaderlessAlarm = coordinatorMetric(LEADER_TURNS_METRIC, Duration.minutes(leaseMinutes)).createAlarm(this, 'LeaderlessAlarm', {
      alarmDescription: `No ${props.leaseName} leader led a turn for a whole lease: the singleton work is not running`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.BREACHING,
    });
  }

  /**
   * An alarm when the leader's work counts `metricName` (a metric the coordinator emits per turn, with this
   * lease's dimensions) on `turns` turns in a row: work it could not finish, not a one-off.
   */
  alarmWhenWorkStuck(id: string, metricName: string, description: string, turns = 3): Alarm {
    return alarmAtOrAbove(this, id, this.coordinatorMetric(metricName, this.every), 1, description, turns);
  }

  /** Read the lease and its recent changes (`GET /ops/leader`). */
  grantObserve(fn: EightfoldFunction): void {
    this.grantOnLeaseItems(fn, 'dynamodb:Query');
    fn.addEnvironment(ENV.leaderElection.table, this.table.tableName);
    fn.addEnvironment(ENV.leaderElection.lease, this.leaseName);
  }

  /** Make the holder let the lease go: `POST /ops/leader/resign`, and `step-down` (the crash's simulation). */
  grantHandOver(grantee: IGrantable): void {
    this.grantOnLeaseItems(grantee, 'dynamodb:UpdateItem');
  }

  /** Operators reach this lease's partition only, never a fence: a fence only ever moves forward. */
  private grantOnLeaseItems(grantee: IGrantable, ...actions: string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions,
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [this.leaseName] } },
      }),
    );
  }
}
