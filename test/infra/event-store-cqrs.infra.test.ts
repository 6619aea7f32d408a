/** Event Sourcing and CQRS: the event store and the command side, and the query side kept read-only by IAM. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EightfoldStack } from '../../lib/eightfold-stack.ts';
import { actionsOn, eightfoldStack, WRITES } from '../helpers/stack.ts';

let stack: EightfoldStack;
let template: Template;
beforeAll(() => {
  ({ stack, template } = eightfoldStack());
});

describe('EightfoldStack: event store and command side', () => {
  it('keys the events table by stream and position, streams new images, and keeps point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'streamId', KeyType: 'HASH' },
        { AttributeName: 'position', KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('routes POST /orders, /orders/{orderId}/cancel, /ship and /payment to the commands function', () => {
    const commands = stack.resolve((stack.node.findChild('CommandsFunction') as unknown as { functionArn: string }).functionArn);
    const paths = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
      (r) => (r as { Properties: { PathPart: string } }).Properties.PathPart,
    );
    expect(paths).toEqual(expect.arrayContaining(['orders', '{orderId}', 'cancel', 'ship', 'payment']));
    const postMethods = Object.values(template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'POST' } })).filter(
      (m) => !JSON.stringify(m).includes('OpsFunction'),
    );
    expect(postMethods).toHaveLength(4);
    for (const method of postMethods) {
      expect(JSON.stringify((method as { Properties: { Integration: unknown } }).Properties.Integration)).toContain(
        JSON.stringify(commands).slice(1, -1),
      );
    }
  });

  it('lets the commands function append to the event store but not update, delete or scan it', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes('CommandsFunction'),
    );
    const eventStatements = policies.flatMap((p) =>
      (
        p as { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } }
      ).Properties.PolicyDocument.Statement.filter((s) => JSON.stringify(s.Resource).includes('EventStoreEvents')),
    );
    const eventActions = new Set(eventStatements.flatMap((s) => [s.Action].flat()));
    expect(eventActions).toEqual(new Set(['dynamodb:Query', 'dynamodb:PutItem']));
  });
});

describe('EightfoldStack: CQRS separation, enforced by IAM', () => {
  it('gives the queries function no write action on any table', () => {
    for (const table of ['EventStoreEvents', 'ReadModelOrdersView', '"Notifications', '"AuditLog']) {
      const actions = actionsOn('QueriesFunction', table);
      for (const write of WRITES) expect(actions.has(write), `${write} on ${table}`).toBe(false);
    }
    expect(actionsOn('QueriesFunction', 'ReadModelOrdersView')).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:Query']));
  });

  it('gives the commands function no access to the read model', () => {
    expect(actionsOn('CommandsFunction', 'ReadModelOrdersView')).toEqual(new Set());
  });

  it('lets the projector write the view and only read the event store', () => {
    expect(actionsOn('ReadModelProjector', 'ReadModelOrdersView')).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:PutItem']));
    const onEvents = actionsOn('ReadModelProjector', 'EventStoreEvents');
    for (const write of WRITES) expect(onEvents.has(write)).toBe(false);
  });

  it('feeds the projector from the event stream: events only, partial batch failures, bisect, bounded retries, a DLQ', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      FilterCriteria: { Filters: [{ Pattern: Match.stringLikeRegexp('"eventId":\\{"S":\\[\\{"exists":true\\}\\]\\}') }] },
    });
  });
});
