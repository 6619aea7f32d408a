import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  AlarmWidget,
  ComparisonOperator,
  Dashboard,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';

/**
 * An alarm when `metric` reaches `threshold` for `evaluationPeriods` periods in a row. No data means
 * nothing happened (no calls, no messages), so it is never a breach.
 */
export function alarmAtOrAbove(
  scope: Construct,
  id: string,
  metric: IMetric,
  threshold: number,
  description: string,
  evaluationPeriods = 1,
): Alarm {
  return new Alarm(scope, id, {
    alarmDescription: description,
    metric,
    threshold,
    evaluationPeriods,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}

/** An alarm as soon as one message waits in a dead-letter queue; `remedy` says what to do about it. */
export function deadLetterAlarm(scope: Construct, queue: IQueue, remedy: string): Alarm {
  return alarmAtOrAbove(scope, 'DlqDepthAlarm', queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }), 1, remedy);
}

export interface MonitoringProps {
  readonly dashboardName: string;
}

/**
 * Operators' view of a stack. The pattern constructs make their own alarms (a DLQ's depth, a stream's
 * iterator age, a breaker opening, a lease lost, a function's errors and throttles, an API's 5xx);
 * `watch` sends every alarm under a scope to one topic and lays them out on one dashboard.
 */
export class Monitoring extends Construct {
  /** Every alarm's state changes: subscribe an email, a chat hook or a pager to it. */
  readonly alarmTopic: Topic;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    // Not encrypted at rest: CloudWatch cannot publish to a topic under the AWS managed SNS key, and a
    // customer key is a type LocalStack's free tier does not serve. Alarm messages carry no order data.
    this.alarmTopic = new Topic(this, 'Alarms', { enforceSSL: true });
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName, defaultInterval: Duration.hours(3) });
  }

  /** Every alarm under `scope` notifies the alarm topic and gets a graph (metric and threshold); call once everything is built. */
  watch(scope: IConstruct): Alarm[] {
    const alarms = scope.node.findAll().filter((c): c is Alarm => c instanceof Alarm);
    const action = new SnsAction(this.alarmTopic);
    for (const alarm of alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms, width: 24, height: Math.min(12, 2 + Math.ceil(alarms.length / 4)) }),
    );
    this.dashboard.addWidgets(
      ...alarms.map((alarm) => new AlarmWidget({ title: alarm.node.path.split('/').slice(1).join(' › '), alarm, width: 6, height: 5 })),
    );
    return alarms;
  }
}
