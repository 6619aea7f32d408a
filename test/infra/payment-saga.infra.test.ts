/** The payment saga: its refunds subscriber, its reconciler and its alarm. */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsOn, eightfoldStack, expectSparseIndex, functionProperties } from '../helpers/stack.ts';

let template: Template;
beforeAll(() => {
  ({ template } = eightfoldStack());
});

describe('EightfoldStack: the payment saga', () => {
  it('indexes the orders with a payment step open, oldest first, keys only: the reconciler’s worklist', () =>
    expectSparseIndex('openPayments', 'paymentOpen', 'paymentOpenSince'));

  it('lets the refunds subscriber append to the event store and call the provider through the ambassador and its breaker, and nothing else', () => {
    expect(actionsOn('PubSubRefundsConsumer', 'EventStoreEvents')).toEqual(new Set(['dynamodb:Query', 'dynamodb:PutItem']));
    expect(actionsOn('PubSubRefundsConsumer', 'CircuitBreakersTable')).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    for (const table of ['ReadModelOrdersView', '"Notifications', '"AuditLog', 'LeaderElectionLeasesTable'])
      expect(actionsOn('PubSubRefundsConsumer', table), table).toEqual(new Set());
    expect(Object.keys(functionProperties(template, 'refunds-subscriber').Environment.Variables)).toEqual(
      expect.arrayContaining(['EVENTS_TABLE', 'AMBASSADOR_POLICY_PARAMETER', 'BREAKERS_TABLE', 'SUBSCRIBER_QUEUE_URL']),
    );
    expect(Object.keys(functionProperties(template, 'coordinator').Environment.Variables)).toEqual(
      expect.arrayContaining(['AMBASSADOR_POLICY_PARAMETER', 'BREAKERS_TABLE', 'PAYMENT_RECONCILE_AFTER_MS']),
    );
  });

  it('waits out a provider outage: refunds back off up to 5 minutes and reach the DLQ only after 30 receives', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    const [, queue] = Object.entries(queues).find(([id]) => id.startsWith('PubSubRefundsQueue'))!;
    expect((queue as { Properties: { RedrivePolicy: { maxReceiveCount: number } } }).Properties.RedrivePolicy.maxReceiveCount).toBe(30);
  });
});
