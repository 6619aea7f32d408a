/** Ambassador + Circuit Breaker: the outbound policy, the breakers table and their grants. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LEGACY_TIMEOUT_MS } from '../../lambdas/composition/strangler.ts';
import { actionsOn, eightfoldStack, functionProperties, grantedStatements, LEGACY_SECRET_ARN, synthesize } from '../helpers/stack.ts';

let template: Template;
beforeAll(() => {
  ({ template } = eightfoldStack());
});

describe('EightfoldStack: Ambassador + Circuit Breaker', () => {
  it('grants each target’s secret only to the functions that call that target, each pinned to the host of its URL as deployed', () => {
    const readers = grantedStatements(template)
      .filter((s) => s.actions.includes('secretsmanager:GetSecretValue'))
      .map((s) => `${s.fn} ${s.resource}`);
    const providerToken = (role: string) => expect.stringMatching(new RegExp(`^${role} .*ApiToken`));
    // The test stack strangles a real legacy system: its token is the secret it was given by ARN.
    const legacyToken = (role: string) => expect.stringMatching(new RegExp(`^${role} "${LEGACY_SECRET_ARN}"`));
    expect(readers.sort()).toEqual([
      providerToken('CommandsFunction'),
      providerToken('LeaderElectionCoordinator'),
      legacyToken('LegacyCaptureCoordinator'),
      legacyToken('PubSubLegacySyncConsumer'),
      providerToken('PubSubRefundsConsumer'),
      expect.stringMatching(/^QueriesFunction .*CursorKeySecret/),
    ]);
    const pinnedHosts = (service: string) =>
      JSON.stringify(functionProperties(template, service).Environment.Variables.AMBASSADOR_PINNED_HOSTS);
    for (const service of ['commands', 'coordinator', 'refunds-subscriber']) {
      expect(pinnedHosts(service), service).toContain('payment-provider');
      expect(pinnedHosts(service), service).not.toContain('legacy');
      expect(pinnedHosts(service), service).toMatch(/"Fn::Select":\[2,\{"Fn::Split":\["\/",.*execute-api/);
    }
    // Legacy's token is pinned to legacy's host (the test stack's real legacy URL) for the functions that call legacy.
    for (const service of ['legacysync-subscriber', 'legacy-capture']) {
      expect(pinnedHosts(service), service).toContain('legacy.example.com');
      expect(pinnedHosts(service), service).not.toContain('payment-provider');
    }
  });

  it('routes /ops/* to the ops function, every method behind the authorizer, with no API key left', () => {
    const opsMethods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((m) =>
      JSON.stringify(m).includes('OpsFunction'),
    );
    // GET breakers, shards, leader, routes, queues, events; POST resign, step-down; PUT a breaker, faults.
    expect(opsMethods.map((m) => (m as { Properties: { HttpMethod: string } }).Properties.HttpMethod).sort()).toEqual([
      'GET',
      'GET',
      'GET',
      'GET',
      'GET',
      'GET',
      'POST',
      'POST',
      'PUT',
      'PUT',
    ]);
    for (const method of opsMethods) {
      expect((method as { Properties: Record<string, unknown> }).Properties).toMatchObject({
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: expect.stringMatching(/^IdentityTokenAuthorizer/) },
      });
    }
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
  });

  it('serves the ops console without sign-in (the page holds no data) and lets the ops function only read queue depths and query the recent-events index', () => {
    const consoleMethods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((m) =>
      JSON.stringify(m).includes('ConsoleFunction'),
    );
    expect(consoleMethods).toHaveLength(1);
    const { HttpMethod, ApiKeyRequired } = (consoleMethods[0] as { Properties: { HttpMethod: string; ApiKeyRequired?: boolean } })
      .Properties;
    expect({ HttpMethod, ApiKeyRequired: ApiKeyRequired ?? false }).toEqual({ HttpMethod: 'GET', ApiKeyRequired: false });
    expect(actionsOn('OpsFunction', '"AuditLog')).toEqual(new Set(['dynamodb:Query']));
    for (const queue of ['PubSubAuditQueue', 'PubSubAuditDlq', 'ReadModelProjectorDlq', 'PubSubPublisherDlq'])
      expect(actionsOn('OpsFunction', queue)).toEqual(new Set(['sqs:GetQueueAttributes']));
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'RecentEvents',
          KeySchema: [
            { AttributeName: 'tailBucket', KeyType: 'HASH' },
            { AttributeName: 'recordedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['type', 'eventId'] },
        },
      ],
    });
  });

  it('keeps the breakers in a table the commands function reads and updates, and announces transitions on a topic', () => {
    expect(actionsOn('CommandsFunction', 'CircuitBreakersTable')).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    expect(actionsOn('CommandsFunction', 'CircuitBreakersTransitions')).toEqual(new Set(['sns:Publish']));
    expect(actionsOn('OpsFunction', 'CircuitBreakersTable')).toEqual(new Set(['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:UpdateItem']));
  });

  it('declares the outbound policy once, in an SSM parameter the commands function may read, with the provider’s token secret', () => {
    const [parameter] = Object.values(template.findResources('AWS::SSM::Parameter')) as { Properties: { Value: unknown } }[];
    expect(JSON.stringify(parameter!.Properties.Value)).toMatch(/payment-provider.*timeoutMs.*maxAttempts.*retryBudgetRatio.*authSecret/);
    expect([...actionsOn('CommandsFunction', 'AmbassadorOutboundPolicy')]).toEqual(expect.arrayContaining(['ssm:GetParameter']));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'commands',
          AMBASSADOR_POLICY_PARAMETER: Match.anyValue(),
          BREAKERS_TABLE: Match.anyValue(),
        }),
      },
    });
  });

  it('waits for legacy’s feed as long as the façade waits for legacy, so a burst that scales legacy up is no outage to its breaker', () => {
    const [parameter] = Object.values(template.findResources('AWS::SSM::Parameter')) as { Properties: { Value: unknown } }[];
    // The policy is JSON joined around the secrets' ARNs: its legacy target is the text after "legacy":{.
    const policy = JSON.stringify(parameter!.Properties.Value).replaceAll('\\"', '"');
    expect(/"legacy":\{[^}]*"timeoutMs":(\d+)/.exec(policy)?.[1]).toBe(String(LEGACY_TIMEOUT_MS));
    expect(LEGACY_TIMEOUT_MS).toBeGreaterThanOrEqual(3_000);
  });

  it('has no fault injection and no step-down in production, but lets operators hand leadership over', () => {
    const prod = synthesize({}, 'prod');
    const paths = Object.values(prod.findResources('AWS::ApiGateway::Resource')).map(
      (r) => (r as { Properties: { PathPart: string } }).Properties.PathPart,
    );
    expect(paths).toEqual(expect.arrayContaining(['breakers', 'leader', 'resign']));
    expect(paths).not.toContain('faults');
    expect(paths).not.toContain('step-down');
  });
});
