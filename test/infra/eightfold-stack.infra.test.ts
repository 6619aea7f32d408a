import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EightfoldStack } from '../../lib/eightfold-stack.ts';
import { LegacyStack } from '../../lib/legacy-stack.ts';
import { PaymentProviderStack } from '../../lib/payment-provider-stack.ts';
import { RESOURCE_TYPES } from '../../scripts/local-cloud/resources/catalog.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
/** The routing table as cdk.json has it: the one place routes move. */
const ROUTES = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, Record<string, { mode: string }>>;
  }
).context['eightfold:routes']!;

const LEGACY_URL = 'https://legacy.example.com/shop/';
let stack: EightfoldStack;
let template: Template;

/** The Eightfold stack of a fresh app, with cdk.json's relevant flags and `context`. */
function synthesizeStack(context: Record<string, unknown> = {}, stage = 'test'): EightfoldStack {
  const app = new App({
    context: {
      '@aws-cdk/aws-apigateway:disableCloudWatchRole': true,
      '@aws-cdk/core:defaultCrossStackReferences': 'strong',
      'eightfold:routes': ROUTES,
      ...context,
    },
  });
  const paymentProvider = new PaymentProviderStack(app, `EightfoldPaymentProvider-${stage}`, {});
  const faults = { table: paymentProvider.faults, targets: ['payment-provider', 'legacy'] as const };
  return new EightfoldStack(app, `Eightfold-${stage}`, { stage, version, paymentProvider, faults, legacy: { url: LEGACY_URL } });
}
const synthesize = (context: Record<string, unknown> = {}, stage = 'test') => Template.fromStack(synthesizeStack(context, stage));

beforeAll(() => {
  stack = synthesizeStack();
  template = Template.fromStack(stack);
});

describe('EightfoldStack', () => {
  it('serves a REST API (API Gateway v1, which LocalStack’s free plan supports), not an HTTP API', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    expect(Object.keys(template.findResources('AWS::ApiGatewayV2::Api'))).toEqual([]);
  });

  it('routes GET /health to the health function through a Lambda proxy integration without an API key', () => {
    const healthFunction = stack.resolve((stack.node.findChild('HealthFunction') as unknown as { functionArn: string }).functionArn);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'health' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      ApiKeyRequired: Match.absent(),
      Integration: {
        Type: 'AWS_PROXY',
        Uri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([healthFunction])] }),
      },
    });
  });

  it.each(['DEFAULT_4XX', 'DEFAULT_5XX'])('gives API Gateway’s own %s answers the contract’s error body and X-Served-By', (type) => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: type,
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.X-Served-By': "'eightfold'" }),
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"error":\\{"code":"\\$context.error.responseType"') },
    });
  });

  it('runs the health function on Node 22, arm64, with its version and service name in the environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'health/index.handler',
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      Environment: {
        Variables: Match.objectLike({
          EIGHTFOLD_VERSION: version,
          POWERTOOLS_SERVICE_NAME: 'health',
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
  });

  it('gives every function a log group it owns, with a retention (no LogRetention custom resource)', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    expect(Object.keys(template.findResources('Custom::LogRetention'))).toEqual([]);
  });

  it('uses only resource types the local cloud knows, so `npm start` runs exactly this template', () => {
    const types = new Set(Object.values(template.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type));
    expect([...types].filter((type) => !(type in RESOURCE_TYPES))).toEqual([]);
  });

  it('synthesizes without warnings or errors', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
  });
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
    expect(eventActions).toEqual(new Set(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem']));
  });
});

type Statement = { Action: string | string[]; Resource: unknown };
/** Every action each function's role may take on resources whose logical id contains `tableId`. */
function actionsOn(functionId: string, tableId: string): Set<string> {
  const role = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith(functionId));
  expect(role, `role of ${functionId}`).toBeDefined();
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(role!))
    .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
  return new Set(statements.filter((s) => JSON.stringify(s.Resource).includes(tableId)).flatMap((s) => [s.Action].flat()));
}
const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem'];

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
    ['Notifications', { eventType: ['OrderPlaced', 'OrderPaid', 'OrderCancelled', 'OrderShipped', 'PaymentRefunded'] }],
    ['Audit', undefined],
    ['Sales', { eventType: ['OrderPlaced', 'OrderCancelled'] }],
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

describe('EightfoldStack: Ambassador + Circuit Breaker', () => {
  it('routes /ops/* to the ops function, every method behind the API key and a throttled usage plan', () => {
    const opsMethods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((m) =>
      JSON.stringify(m).includes('OpsFunction'),
    );
    // GET breakers, shards, leader, routes, queues, events; POST step-down; PUT a breaker, faults.
    expect(opsMethods.map((m) => (m as { Properties: { HttpMethod: string } }).Properties.HttpMethod).sort()).toEqual([
      'GET',
      'GET',
      'GET',
      'GET',
      'GET',
      'GET',
      'POST',
      'PUT',
      'PUT',
    ]);
    for (const method of opsMethods) expect((method as { Properties: { ApiKeyRequired?: boolean } }).Properties.ApiKeyRequired).toBe(true);
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', { Throttle: { RateLimit: 10, BurstLimit: 20 } });
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
  });

  it('serves the ops console without a key (the page holds no data) and lets the ops function only read queue depths and query the recent-events index', () => {
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

  it('has no fault injection and no step-down in production', () => {
    const prod = synthesize({}, 'prod');
    const paths = Object.values(prod.findResources('AWS::ApiGateway::Resource')).map(
      (r) => (r as { Properties: { PathPart: string } }).Properties.PathPart,
    );
    expect(paths).toEqual(expect.arrayContaining(['breakers', 'leader']));
    expect(paths).not.toContain('faults');
    expect(paths).not.toContain('step-down');
  });
});

describe('EightfoldStack: Sharding', () => {
  it('keeps write-sharded counters with expiring applied-markers and a by-shard index carrying key and increments', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAtEpochSeconds', Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byShard',
          KeySchema: [
            { AttributeName: 'shard', KeyType: 'HASH' },
            { AttributeName: 'updatedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['key', 'writeShard', 'increments'] },
        },
      ],
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'name', KeyType: 'HASH' }],
      TableName: Match.absent(),
    });
  });

  it('stamps each OrdersView row with its customer’s shard: a by-shard index for shard-by-shard scans, the projector reading the map', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: 'byShard',
          KeySchema: [
            { AttributeName: 'shard', KeyType: 'HASH' },
            { AttributeName: 'customerOrderKey', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['customerId'] },
        },
      ]),
    });
    expect(actionsOn('ReadModelProjector', 'ShardingShardMaps')).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:PutItem']));
  });

  it('gives each function only what its part needs: the subscriber counts, queries batch-read, operators query the index', () => {
    expect(actionsOn('PubSubSalesConsumer', 'ShardingSalesCounters')).toEqual(new Set(['dynamodb:UpdateItem', 'dynamodb:PutItem']));
    expect(actionsOn('PubSubSalesConsumer', 'ShardingShardMaps')).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:PutItem']));
    expect(actionsOn('PubSubSalesConsumer', 'EventStoreEvents')).toEqual(new Set(['dynamodb:Query', 'dynamodb:GetItem']));
    // Its effects commute and carry their own markers: it has no checkpoint partition at all.
    expect(actionsOn('PubSubSalesConsumer', 'PubSubSubscriberCheckpoints')).toEqual(new Set());
    expect(actionsOn('QueriesFunction', 'ShardingSalesCounters')).toEqual(new Set(['dynamodb:BatchGetItem']));
    expect(actionsOn('OpsFunction', 'ShardingSalesCounters')).toEqual(new Set(['dynamodb:Query']));
  });

  it('routes GET /products/{sku}/sales to the queries function and GET /ops/shards to ops, behind the key', () => {
    const paths = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
      (r) => (r as { Properties: { PathPart: string } }).Properties.PathPart,
    );
    expect(paths).toEqual(expect.arrayContaining(['products', '{sku}', 'sales', 'shards']));
  });

  it('takes N = 16 shards, S = 8 write shards and a 10 s map cache by default, any from context, and refuses S over 50 (a resharding read gathers 2 × S items in one transaction)', () => {
    const environment = (t: Template, service: string) =>
      (
        Object.values(t.findResources('AWS::Lambda::Function')).find((f) =>
          JSON.stringify(f).includes(`"POWERTOOLS_SERVICE_NAME":"${service}"`),
        ) as { Properties: { Environment: { Variables: Record<string, unknown> } } }
      ).Properties.Environment.Variables;
    for (const service of ['queries', 'ops', 'sales-subscriber'])
      expect(environment(template, service)).toMatchObject({
        DEFAULT_SHARDS: '16',
        DEFAULT_WRITE_SHARDS: '8',
        SHARD_MAP_CACHE_MS: '10000',
      });
    expect(environment(synthesize({ 'eightfold:sharding': '{"shards":32}' }), 'queries')).toMatchObject({
      DEFAULT_SHARDS: '32',
      DEFAULT_WRITE_SHARDS: '8',
    });
    expect(environment(synthesize({ 'eightfold:sharding': { mapCacheSeconds: 2 } }), 'projector')).toMatchObject({
      DEFAULT_SHARDS: '16',
      SHARD_MAP_CACHE_MS: '2000',
    });
    // No longer than the reshard's default settle time allows for.
    expect(() => synthesize({ 'eightfold:sharding': { mapCacheSeconds: 11 } })).toThrow(/mapCacheSeconds must be from 0 to 10/);
    expect(() => synthesize({ 'eightfold:sharding': { writeShards: 51 } })).toThrow(/writeShards must be a whole number from 1 to 50/);
  });
});

/** A function's properties, by its Powertools service name. */
const functionProperties = (t: Template, serviceName: string) =>
  (
    Object.values(t.findResources('AWS::Lambda::Function')).find((f) =>
      JSON.stringify(f).includes(`"POWERTOOLS_SERVICE_NAME":"${serviceName}"`),
    ) as { Properties: { Environment: { Variables: Record<string, unknown> }; Timeout: number } }
  ).Properties;

/** A keys-only index of the view whose partition key only some rows carry, sorted oldest first. */
function expectSparseIndex(indexName: string, partitionKey: string, sortKey: string): void {
  template.hasResourceProperties('AWS::DynamoDB::Table', {
    GlobalSecondaryIndexes: Match.arrayWith([
      {
        IndexName: indexName,
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]),
  });
}

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
    expect(actionsOn('LeaderElectionCoordinator', 'EventStoreEvents')).toEqual(
      new Set(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem']),
    );
    expect(actionsOn('LeaderElectionCoordinator', 'ReadModelOrdersView')).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:Query']));
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

describe('EightfoldStack: the payment saga', () => {
  it('indexes the orders with a payment step open, oldest first, keys only: the reconciler’s worklist', () =>
    expectSparseIndex('openPayments', 'paymentOpen', 'paymentOpenSince'));

  it('lets the refunds subscriber append to the event store and call the provider through the ambassador and its breaker, and nothing else', () => {
    expect(actionsOn('PubSubRefundsConsumer', 'EventStoreEvents')).toEqual(
      new Set(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem']),
    );
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

describe('EightfoldStack: Strangler Fig façade', () => {
  type Method = {
    Properties: {
      HttpMethod: string;
      ResourceId: unknown;
      ApiKeyRequired?: boolean;
      Integration: {
        Type: string;
        Uri?: unknown;
        TimeoutInMillis?: number;
        IntegrationHttpMethod?: string;
        RequestParameters?: Record<string, string>;
      };
    };
  };
  const legacyMethods = () =>
    (Object.values(template.findResources('AWS::ApiGateway::Method')) as Method[]).filter(
      (m) => m.Properties.Integration.Type === 'HTTP_PROXY',
    );
  const resources = () =>
    template.findResources('AWS::ApiGateway::Resource') as Record<string, { Properties: { PathPart: string; ParentId: unknown } }>;

  it('sends any path Eightfold does not serve to legacy: a {proxy+} catch-all, HTTP_PROXY with a 3 s timeout', () => {
    const [proxyId] = Object.entries(resources()).find(
      ([, r]) => r.Properties.PathPart === '{proxy+}' && JSON.stringify(r.Properties.ParentId).includes('RootResourceId'),
    )!;
    const catchAll = legacyMethods().find((m) => JSON.stringify(m.Properties.ResourceId).includes(proxyId))!;
    expect(catchAll.Properties).toMatchObject({
      HttpMethod: 'ANY',
      Integration: {
        Type: 'HTTP_PROXY',
        IntegrationHttpMethod: 'ANY',
        Uri: `${LEGACY_URL}{proxy}`,
        TimeoutInMillis: 3000,
        RequestParameters: { 'integration.request.path.proxy': 'method.request.path.proxy' },
      },
    });
    expect(catchAll.Properties.ApiKeyRequired).toBeUndefined();
  });

  it('sends the methods Eightfold does not serve on its own paths to the same path on legacy, path parameters carried over', () => {
    const uris = legacyMethods().map((m) => m.Properties.Integration.Uri);
    for (const path of [
      '',
      'health',
      'orders',
      'orders/{orderId}',
      'orders/{orderId}/cancel',
      'customers/{customerId}',
      'products/{sku}/sales',
    ])
      expect(uris).toContain(`${LEGACY_URL}${path}`);
    const cancel = legacyMethods().find((m) => m.Properties.Integration.Uri === `${LEGACY_URL}orders/{orderId}/cancel`)!;
    expect(cancel.Properties.Integration.RequestParameters).toEqual({ 'integration.request.path.orderId': 'method.request.path.orderId' });
  });

  it('keeps /ops Eightfold’s alone: no operator path falls through to legacy', () => {
    expect(legacyMethods().map((m) => String(m.Properties.Integration.Uri))).not.toEqual(
      expect.arrayContaining([expect.stringContaining(`${LEGACY_URL}ops`)]),
    );
  });

  it('feeds every order event to legacy: an unfiltered FIFO subscriber that backs off and waits ~2 h before its DLQ', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    const [queueId, queue] = Object.entries(queues).find(([id]) => id.startsWith('PubSubLegacySyncQueue'))!;
    // 6 × the 15 s function timeout; 30 receives backing off 1 s, 2 s, … 5 min.
    expect(queue.Properties).toMatchObject({ FifoQueue: true, VisibilityTimeout: 90, RedrivePolicy: { maxReceiveCount: 30 } });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
      Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FilterPolicy: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'legacy-sync-subscriber/index.handler',
      Timeout: 15,
      Environment: {
        Variables: Match.objectLike({
          SUBSCRIBER_QUEUE_URL: { Ref: queueId },
          SUBSCRIBER_RETRY_BACKOFF_SECONDS: '1:300',
          AMBASSADOR_POLICY_PARAMETER: Match.anyValue(),
          BREAKERS_TABLE: Match.anyValue(),
        }),
      },
    });
    expect(actionsOn('PubSubLegacySyncConsumer', 'PubSubSubscriberCheckpoints')).toEqual(new Set());
    expect([...actionsOn('PubSubLegacySyncConsumer', 'PubSubLegacySyncQueue')]).toEqual(
      expect.arrayContaining(['sqs:ChangeMessageVisibility']),
    );
    // Legacy is an outbound target like the payment provider: its own policy, its own breaker.
    const [parameter] = Object.values(template.findResources('AWS::SSM::Parameter')) as { Properties: { Value: unknown } }[];
    expect(JSON.stringify(parameter!.Properties.Value)).toContain(`\\"legacy\\":{\\"baseUrl\\":\\"${LEGACY_URL}`);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ KNOWN_BREAKERS: 'payment-provider,legacy' }) },
    });
  });
});

type ApiMethod = {
  Properties: {
    HttpMethod: string;
    ResourceId: { Ref: string } | { 'Fn::GetAtt': string[] };
    Integration: { Type: string; Uri?: unknown; IntegrationHttpMethod?: string };
  };
};

/** The method a route key names (`GET /orders/{orderId}`), found by walking the API's resources. */
function methodAt(of: Template, route: string): ApiMethod {
  const [httpMethod, path] = route.split(' ') as [string, string];
  const resources = of.findResources('AWS::ApiGateway::Resource') as Record<
    string,
    { Properties: { PathPart: string; ParentId: { Ref?: string } } }
  >;
  const pathOf = (id: string): string => {
    const resource = resources[id]!;
    const parent = resource.Properties.ParentId.Ref;
    return `${parent && resources[parent] ? pathOf(parent) : ''}/${resource.Properties.PathPart}`;
  };
  const resourceId = Object.keys(resources).find((id) => pathOf(id) === path);
  expect(resourceId, `resource ${path}`).toBeDefined();
  const method = (Object.values(of.findResources('AWS::ApiGateway::Method')) as ApiMethod[]).find(
    (m) => m.Properties.HttpMethod === httpMethod && JSON.stringify(m.Properties.ResourceId) === JSON.stringify({ Ref: resourceId }),
  );
  expect(method, route).toBeDefined();
  return method!;
}
const lambdaTarget = (method: ApiMethod) =>
  JSON.stringify(method.Properties.Integration.Uri).match(/"(\w+Function\w*|StranglerRouter\w*)","Arn"/)?.[1];
const withRoutes = (changes: Record<string, unknown>) => ({ 'eightfold:routes': { ...ROUTES, ...changes } });

describe('EightfoldStack: Strangler Fig routing table', () => {
  it.each(Object.entries(ROUTES))('builds %s as its mode in cdk.json says (%o)', (route, { mode }) => {
    const method = methodAt(template, route);
    if (mode === 'legacy') {
      expect(method.Properties.Integration).toMatchObject({
        Type: 'HTTP_PROXY',
        IntegrationHttpMethod: route.split(' ')[0],
        Uri: `${LEGACY_URL}${route.split(' ')[1]!.slice(1)}`,
      });
    } else {
      expect(method.Properties.Integration.Type).toBe('AWS_PROXY');
      expect(lambdaTarget(method)).toMatch(route.startsWith('POST') ? /^CommandsFunction/ : /^QueriesFunction/);
    }
  });

  it('rolls a route back to legacy with a one-line change: the same method becomes a plain proxy to legacy', () => {
    const rolledBack = synthesize(withRoutes({ 'GET /orders/{orderId}/history': { mode: 'legacy', since: '2026-11-27' } }));
    expect(methodAt(rolledBack, 'GET /orders/{orderId}/history').Properties.Integration).toMatchObject({
      Type: 'HTTP_PROXY',
      Uri: `${LEGACY_URL}orders/{orderId}/history`,
    });
    expect(Object.keys(rolledBack.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith('Strangler'))).toEqual([]);
  });

  it('sends shadow and weighted routes through the router, which alone may hand a shadow run to the shadow function', () => {
    const moved = synthesize(
      withRoutes({
        'GET /orders/{orderId}': { mode: 'shadow', since: '2026-11-27', ignore: ['updatedAt'] },
        'POST /orders/{orderId}/cancel': { mode: 'shadow', since: '2026-11-27' },
        'GET /customers/{customerId}/orders': { mode: 'weighted', since: '2026-11-27', percent: 30 },
      }),
    );
    for (const route of ['GET /orders/{orderId}', 'POST /orders/{orderId}/cancel', 'GET /customers/{customerId}/orders']) {
      const method = methodAt(moved, route);
      expect(lambdaTarget(method), route).toMatch(/^StranglerRouter/);
      // Streamed: the client's answer is complete when the router ends its stream, before any hand-off.
      expect(method.Properties.Integration).toMatchObject({ ResponseTransferMode: 'STREAM' });
      expect(JSON.stringify(method.Properties.Integration.Uri)).toContain('/response-streaming-invocations');
    }
    expect(lambdaTarget(methodAt(moved, 'POST /orders'))).toMatch(/^CommandsFunction/);
    const functions = moved.findResources('AWS::Lambda::Function') as Record<
      string,
      { Properties: { Handler: string; Environment: { Variables: Record<string, unknown> } } }
    >;
    const [, router] = Object.entries(functions).find(([id]) => id.startsWith('StranglerRouter'))!;
    const routes = JSON.stringify(router.Properties.Environment.Variables.STRANGLER_ROUTES);
    expect(routes).toMatch(/GET \/orders\/\{orderId\}.*shadow.*updatedAt.*target.*QueriesFunction/);
    expect(routes).toMatch(/POST \/orders\/\{orderId\}\/cancel.*shadow.*target.*CommandsFunction/);
    expect(routes).toMatch(/weighted.*percent\\?":30.*target.*QueriesFunction/);
    expect(router.Properties.Environment.Variables).toMatchObject({
      LEGACY_URL,
      SHADOW_FUNCTION: { Ref: expect.stringMatching(/^StranglerShadow/) },
    });
    // The shadow function is no API integration: clients never reach it, and it never answers them.
    const shadowId = Object.keys(functions).find((id) => id.startsWith('StranglerShadow'))!;
    moved.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: shadowId },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 300,
    });
    for (const method of Object.values(moved.findResources('AWS::ApiGateway::Method')))
      expect(JSON.stringify(method)).not.toContain(shadowId);
    const invokers = (fn: string) =>
      Object.values(moved.findResources('AWS::IAM::Policy'))
        .filter(
          (p) =>
            JSON.stringify(p).includes('lambda:InvokeFunction') &&
            JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(fn),
        )
        .flatMap((p) =>
          (
            p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }
          ).Properties.PolicyDocument.Statement.filter((s) => JSON.stringify(s.Action).includes('lambda:InvokeFunction')),
        )
        .map((s) => JSON.stringify(s.Resource));
    const routerInvokes = invokers('StranglerRouter').join();
    for (const target of ['QueriesFunction', 'CommandsFunction', 'StranglerShadow']) expect(routerInvokes).toContain(target);
    const shadowInvokes = invokers('StranglerShadow').join();
    expect(shadowInvokes).toContain('QueriesFunction');
    expect(shadowInvokes).toContain('CommandsFunction');
    expect(shadowInvokes).not.toContain('StranglerRouter');
  });

  it.each([
    [
      'a payment shadowed (even its dry run would charge)',
      { 'POST /orders/{orderId}/payment': { mode: 'shadow', since: '2026-11-27' } },
      /cannot be shadowed/,
    ],
    [
      'a route Eightfold serves left out of the table',
      { 'GET /products/{sku}/sales': undefined },
      /has no mode for GET \/products\/\{sku\}\/sales/,
    ],
    [
      'a route sent to Eightfold that no function serves',
      { 'GET /catalog/products': { mode: 'eightfold', since: '2026-11-27' } },
      /no Eightfold function serves it/,
    ],
    ['a weighted route without its percent', { 'GET /orders/{orderId}': { mode: 'weighted', since: '2026-11-27' } }, /percent is required/],
    ['a mode that does not exist', { 'GET /orders/{orderId}': { mode: 'canary', since: '2026-11-27' } }, /mode/],
  ])('refuses to synthesize %s', (_, changes, message) => {
    const routes = Object.fromEntries(Object.entries({ ...ROUTES, ...changes }).filter(([, route]) => route !== undefined));
    expect(() => synthesizeStack({ 'eightfold:routes': routes })).toThrow(message);
  });

  it('lets the ops function read the routing table, query the shadow comparisons and read the served-by metrics', () => {
    expect(actionsOn('OpsFunction', 'StranglerShadowComparisons')).toEqual(new Set(['dynamodb:Query']));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ROUTING_TABLE: JSON.stringify(ROUTES),
          SHADOW_COMPARISONS_TABLE: Match.anyValue(),
          API_NAME: 'eightfold-test',
          API_STAGE: 'prod',
          ROUTER_SERVICE_NAME: 'strangler-router',
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'cloudwatch:GetMetricData', Resource: '*' })]) },
    });
    // Per-method request counts: the stage's detailed metrics.
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      MethodSettings: [Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', MetricsEnabled: true })],
    });
  });
});

describe('LegacyStack', () => {
  it('is its own API: one monolith Lambda behind {proxy+}, its customers and orders tables, reading the shared faults', () => {
    const app = new App({
      context: { '@aws-cdk/aws-apigateway:disableCloudWatchRole': true, '@aws-cdk/core:defaultCrossStackReferences': 'strong' },
    });
    const provider = new PaymentProviderStack(app, 'EightfoldPaymentProvider-test', {});
    const legacy = Template.fromStack(new LegacyStack(app, 'EightfoldLegacy-test', { faults: provider.faults }));
    legacy.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    legacy.resourceCountIs('AWS::Lambda::Function', 1);
    legacy.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
    legacy.hasResourceProperties('AWS::DynamoDB::Table', { KeySchema: [{ AttributeName: 'customerId', KeyType: 'HASH' }] });
    legacy.hasResourceProperties('AWS::DynamoDB::Table', { KeySchema: [{ AttributeName: 'order_no', KeyType: 'HASH' }] });
    legacy.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'legacy/index.handler',
      Environment: {
        Variables: Match.objectLike({
          FAULTS_TABLE: Match.anyValue(),
          LEGACY_CUSTOMERS_TABLE: Match.anyValue(),
          LEGACY_ORDERS_TABLE: Match.anyValue(),
        }),
      },
    });
  });
});

describe('PaymentProviderStack', () => {
  it('is its own API with its own charges table, a generated bearer token and the faults table', () => {
    const app = new App({ context: { '@aws-cdk/aws-apigateway:disableCloudWatchRole': true } });
    const provider = Template.fromStack(new PaymentProviderStack(app, 'EightfoldPaymentProvider-test', {}));
    provider.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    provider.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'NONE' });
    provider.resourceCountIs('AWS::DynamoDB::Table', 2);
    provider.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { ExcludePunctuation: true, PasswordLength: 40 },
    });
  });
});
