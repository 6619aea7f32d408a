/** Leader Election: the leases table, the coordinator, its schedule and its alarms. */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsOn, eightfoldStack, expectSparseIndex, functionProperties, synthesize } from '../helpers/stack.ts';

let template: Template;
beforeAll(() => {
  ({ template } = eightfoldStack());
});

describe('EightfoldStack: Leader Election', () => {
  const coordinatorEnvironment = (t: Template) => functionProperties(t, 'coordinator');

  it('keeps leases, a week of leadership changes (TTL) and fences in one table', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'name', KeyType: 'HASH' },
        { AttributeName: 'entry', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAtEpochSeconds', Enabled: true },
    });
  });

  it('fires three named contenders every minute, with no retries of a late turn', () => {
    const [rule] = Object.values(template.findResources('AWS::Events::Rule')) as {
      Properties: { ScheduleExpression: string; Targets: { Input: string; RetryPolicy: unknown }[] };
    }[];
    expect(rule!.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule!.Properties.Targets.map((t) => JSON.parse(t.Input))).toEqual([
      { contender: 'coordinator-1' },
      { contender: 'coordinator-2' },
      { contender: 'coordinator-3' },
    ]);
    for (const target of rule!.Properties.Targets)
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
  });

  it('gives the coordinator a three-minute lease, a 5 s skew margin, a 30 minute payment timeout, and a turn shorter than the rate', () => {
    const coordinator = coordinatorEnvironment(template);
    expect(coordinator.Environment.Variables).toMatchObject({
      LEASE_NAME: 'coordinator',
      LEASE_MS: '180000',
      CLOCK_SKEW_MARGIN_MS: '5000',
      PAYMENT_TIMEOUT_MS: '1800000',
    });
    expect(coordinator.Timeout).toBe(60);
  });

  it('shrinks the lease, margin and payment timeout by the local cloud’s time scale, keeping the rate a valid EventBridge one', () => {
    const fast = synthesize({ 'local-cloud:time-scale': 60 });
    expect(coordinatorEnvironment(fast).Environment.Variables).toMatchObject({
      LEASE_MS: '3000',
      CLOCK_SKEW_MARGIN_MS: '83',
      PAYMENT_TIMEOUT_MS: '30000',
      PAYMENT_RECONCILE_AFTER_MS: '5000',
    });
    fast.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
  });

  it('refuses a lease shorter than three turns (the holder renews once a turn)', () => {
    expect(() => synthesize({ 'eightfold:coordinator': '{"leaseSeconds":120}' })).toThrow(/at least three turns/);
  });

  it('lets the coordinator write leases and fences, append events and only read the view; operators reach the lease partition only', () => {
    expect(actionsOn('LeaderElectionCoordinator', 'LeaderElectionLeasesTable')).toEqual(
      new Set(['dynamodb:UpdateItem', 'dynamodb:PutItem']),
    );
    expect(actionsOn('LeaderElectionCoordinator', 'EventStoreEvents')).toEqual(new Set(['dynamodb:Query', 'dynamodb:PutItem']));
    // Scan on its two sparse indexes only (a small worklist is read whole): table-grants.infra holds the resources.
    expect(actionsOn('LeaderElectionCoordinator', 'ReadModelOrdersView')).toEqual(
      new Set(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan']),
    );
    expect(actionsOn('OpsFunction', 'LeaderElectionLeasesTable')).toEqual(new Set(['dynamodb:Query', 'dynamodb:UpdateItem']));
    const role = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith('OpsFunction'))!;
    const leaseStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(role))
      .flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: { Resource: unknown; Condition?: unknown }[] } } }).Properties.PolicyDocument
            .Statement,
      )
      .filter((s) => JSON.stringify(s.Resource).includes('LeaderElectionLeasesTable'));
    for (const statement of leaseStatements)
      expect(statement.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['coordinator'] } });
  });

  it('indexes only the orders awaiting payment, oldest first, keys only', () =>
    expectSparseIndex('awaitingPayment', 'awaitingPayment', 'customerOrderKey'));
});
