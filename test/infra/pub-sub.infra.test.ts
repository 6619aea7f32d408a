/** Pub/Sub: the publisher, the FIFO topic, and each subscriber with its queue, DLQ, alarm and grants. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsOn, eightfoldStack } from '../helpers/stack.ts';

let template: Template;
beforeAll(() => {
  ({ template } = eightfoldStack());
});

describe('EightfoldStack: Pub/Sub', () => {
  const esmOf = (functionId: string) =>
    Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).find((m) => JSON.stringify(m).includes(functionId)) as {
      Properties: Record<string, unknown>;
    };

  it('publishes to a FIFO topic that deduplicates by explicit id, not by content', () => {
    expect(Object.keys(template.findResources('AWS::SNS::Topic', { Properties: { FifoTopic: true } }))).toHaveLength(1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      FifoTopic: true,
      ContentBasedDeduplication: false,
      FifoThroughputScope: 'MessageGroup',
    });
  });

  it('feeds the publisher from the event stream, events only, retried until published, never bisected', () => {
    expect(esmOf('PubSubPublisher').Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: false,
      MaximumRetryAttempts: -1,
      ParallelizationFactor: 1,
      DestinationConfig: { OnFailure: { Destination: expect.anything() } },
      FilterCriteria: { Filters: [{ Pattern: expect.stringMatching(/"eventId":\{"S":\[\{"exists":true\}\]\}/) }] },
    });
  });

  it('lets the publisher read its stream and publish to the topic, and touch no table item', () => {
    const topicStatements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (
        p as { Properties: { Roles: unknown; PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }
      ).Properties.PolicyDocument.Statement.filter((s) => JSON.stringify(s.Resource).includes('PubSubOrderEvents')),
    );
    expect(topicStatements.map((s) => s.Action)).toEqual(['sns:Publish']);
    expect(actionsOn('PubSubPublisher', 'EventStoreEvents')).toEqual(
      new Set(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']),
    );
    for (const table of ['ReadModelOrdersView', '"Notifications', '"AuditLog', 'PubSubSubscriberCheckpoints']) {
      expect(actionsOn('PubSubPublisher', table), table).toEqual(new Set());
    }
  });

  it.each([
    ['Notifications', { eventType: ['OrderPlaced', 'OrderPaid', 'OrderCancelled', 'OrderShipped', 'PaymentRefunded', 'OrderImported'] }],
    ['Audit', undefined],
    ['Sales', { eventType: ['OrderPlaced', 'OrderImported', 'OrderCancelled'] }],
    ['Refunds', { eventType: ['RefundRequested'] }],
  ])('subscribes the %s FIFO queue with raw delivery and its filter policy', (name, filterPolicy) => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
      Endpoint: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^PubSub${name}Queue`), 'Arn'] },
      FilterPolicy: filterPolicy ?? Match.absent(),
    });
  });

  it.each(['Notifications', 'Audit', 'Sales'])(
    'gives the %s queue a FIFO DLQ after 3 receives, an alarm on its depth, and a partial-batch consumer',
    (name) => {
      const queues = template.findResources('AWS::SQS::Queue');
      const [queueId, queue] = Object.entries(queues).find(([id]) => id.startsWith(`PubSub${name}Queue`))!;
      const dlqId = Object.keys(queues).find((id) => id.startsWith(`PubSub${name}Dlq`))!;
      expect(queue.Properties).toMatchObject({
        FifoQueue: true,
        FifoThroughputLimit: 'perMessageGroupId',
        DeduplicationScope: 'messageGroup',
        VisibilityTimeout: 60,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 3 },
      });
      expect(queues[dlqId]!.Properties).toMatchObject({ FifoQueue: true, MessageRetentionPeriod: 1209600 });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      });
      expect(esmOf(`PubSub${name}Consumer`).Properties).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    },
  );

  it('keeps the audit log append-only and each subscriber in its own checkpoint partition', () => {
    // A leading quote: the tables' own logical ids, not the queues and functions named after them.
    expect(actionsOn('PubSubAuditConsumer', '"AuditLog')).toEqual(new Set(['dynamodb:PutItem']));
    expect(actionsOn('PubSubNotificationsConsumer', '"Notifications')).toEqual(new Set(['dynamodb:PutItem']));
    for (const [consumer, subscriber] of [
      ['PubSubAuditConsumer', 'audit'],
      ['PubSubNotificationsConsumer', 'notifications'],
    ] as const) {
      const role = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith(consumer))!;
      const checkpointStatements = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(role))
        .flatMap(
          (p) =>
            (p as { Properties: { PolicyDocument: { Statement: { Resource: unknown; Condition?: unknown }[] } } }).Properties.PolicyDocument
              .Statement,
        )
        .filter((s) => JSON.stringify(s.Resource).includes('PubSubSubscriberCheckpoints'));
      expect(checkpointStatements).toEqual([
        expect.objectContaining({ Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [subscriber] } } }),
      ]);
    }
  });

  it('routes GET /customers/{customerId}/notifications to the queries function, which may only query the notifications', () => {
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'notifications' });
    expect(actionsOn('QueriesFunction', '"Notifications')).toEqual(new Set(['dynamodb:Query']));
  });
});
