import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Provisioner } from './types.ts';
import { localId, physicalName } from './types.ts';

const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
] as const;

function attributeString(value: unknown): string {
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** `AWS::SQS::Queue`, FIFO and redrive (DLQ) included; the emulator moves messages to the DLQ. */
export const provisionQueue: Provisioner = async (resource, services) => {
  const p = resource.properties;
  const fifo = p.FifoQueue === true || p.FifoQueue === 'true';
  const queueName: string = p.QueueName ?? physicalName(resource, 80, fifo ? '.fifo' : '');
  const attributes: Record<string, string> = {};
  for (const key of QUEUE_ATTRIBUTES) if (p[key] !== undefined) attributes[key] = attributeString(p[key]);
  if (p.RedrivePolicy) attributes.RedrivePolicy = attributeString(p.RedrivePolicy);
  if (p.RedriveAllowPolicy) attributes.RedriveAllowPolicy = attributeString(p.RedriveAllowPolicy);
  const { QueueUrl } = await services.sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
  const { Attributes } = await services.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { ref: QueueUrl!, attributes: { Arn: Attributes!.QueueArn, QueueName: queueName, QueueUrl } };
};

/** `AWS::SNS::Topic`, FIFO included. */
export const provisionTopic: Provisioner = async (resource, services) => {
  const p = resource.properties;
  const fifo = p.FifoTopic === true || p.FifoTopic === 'true';
  const topicName: string = p.TopicName ?? physicalName(resource, 256, fifo ? '.fifo' : '');
  const attributes: Record<string, string> = {};
  if (fifo) attributes.FifoTopic = 'true';
  if (p.ContentBasedDeduplication !== undefined) attributes.ContentBasedDeduplication = String(p.ContentBasedDeduplication);
  const { TopicArn } = await services.sns.send(new CreateTopicCommand({ Name: topicName, Attributes: attributes }));
  return { ref: TopicArn!, attributes: { TopicArn, TopicName: topicName } };
};

/**
 * `AWS::SNS::Subscription` to SQS, with filter policies (on attributes or on the message body) and raw
 * delivery. Other protocols (email, SMS, HTTP, Lambda…) need a delivery path the emulator does not have: such
 * a subscription is made nowhere and marked as delivering nothing (never shown as confirmed).
 */
export const provisionSubscription: Provisioner = async (resource, services) => {
  const p = resource.properties;
  if (p.Protocol !== 'sqs') {
    return {
      ref: `${p.TopicArn}:not-emulated-${localId(resource)}`,
      attributes: {},
      notEmulated: `protocol "${p.Protocol}": nothing is delivered locally (only "sqs" is)`,
    };
  }
  const attributes: Record<string, string> = {};
  if (p.FilterPolicy) attributes.FilterPolicy = attributeString(p.FilterPolicy);
  if (p.FilterPolicyScope) attributes.FilterPolicyScope = String(p.FilterPolicyScope);
  if (p.RawMessageDelivery !== undefined) attributes.RawMessageDelivery = String(p.RawMessageDelivery);
  if (p.RedrivePolicy) attributes.RedrivePolicy = attributeString(p.RedrivePolicy);
  // A persisted or reloaded app finds its subscription already there: update it rather than add a twin.
  let nextToken: string | undefined;
  do {
    const page = await services.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: p.TopicArn, NextToken: nextToken }));
    const existing = page.Subscriptions?.find((sub) => sub.Protocol === 'sqs' && sub.Endpoint === p.Endpoint);
    if (existing?.SubscriptionArn) {
      for (const [AttributeName, AttributeValue] of Object.entries(attributes)) {
        await services.sns.send(
          new SetSubscriptionAttributesCommand({ SubscriptionArn: existing.SubscriptionArn, AttributeName, AttributeValue }),
        );
      }
      return { ref: existing.SubscriptionArn, attributes: {} };
    }
    nextToken = page.NextToken;
  } while (nextToken);
  const { SubscriptionArn } = await services.sns.send(
    new SubscribeCommand({
      TopicArn: p.TopicArn,
      Protocol: 'sqs',
      Endpoint: p.Endpoint,
      Attributes: attributes,
      ReturnSubscriptionArn: true,
    }),
  );
  return { ref: SubscriptionArn!, attributes: {} };
};
