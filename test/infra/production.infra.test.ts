import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineEightfold, type EightfoldApp } from '../../lib/eightfold-app.ts';

/** cdk.json's context: the routing table and the feature flags `cdk synth` runs with. */
const CONTEXT = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> })
  .context;
const outDirs: string[] = [];
/** A real payment provider, as production is deployed: its URL and the complete ARN of its token's secret. */
const PROVIDER_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:provider-token-AbCdEf';
const REAL_PROVIDER = { paymentProviderUrl: 'https://pay.example.com/v1', paymentProviderSecretArn: PROVIDER_SECRET_ARN };
const PROD = { 'eightfold:stage': 'prod', ...REAL_PROVIDER };

/** The whole app of a stage, as `cdk synth` builds it, into a scratch cloud assembly. */
function defineApp(context: Record<string, unknown> = {}): { app: App; defined: EightfoldApp; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'eightfold-nag-'));
  outDirs.push(outdir);
  const app = new App({ outdir, context: { ...CONTEXT, ...context } });
  return { app, defined: defineEightfold(app), outdir };
}

afterAll(() => {
  for (const dir of outDirs) rmSync(dir, { recursive: true, force: true });
});

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

/** Every IAM statement of a template: inline role policies and managed-policy-less default policies alike. */
function statements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}

describe('cdk-nag (AWS Solutions pack)', () => {
  it.each([
    ['dev', {}, ['Eightfold-dev', 'EightfoldLegacy-dev', 'EightfoldPaymentProvider-dev']],
    ['prod with a real provider', PROD, ['Eightfold-prod', 'EightfoldLegacy-prod']],
    [
      'prod with the stand-in, asked for',
      { 'eightfold:stage': 'prod', paymentProviderStandIn: 'true' },
      ['Eightfold-prod', 'EightfoldLegacy-prod', 'EightfoldPaymentProvider-prod'],
    ],
  ])('passes %s, every stack, with every finding fixed or acknowledged with a reason', (_name, context, stacks) => {
    const { app } = defineApp(context);
    const assembly = app.synth();
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(stacks);
  });

  it('takes the stage as -c stage=… as well, and refuses a stage it does not know', () => {
    expect(defineApp({ stage: 'prod', ...REAL_PROVIDER }).defined.eightfold.stackName).toBe('Eightfold-prod');
    expect(() => defineApp({ stage: 'production' })).toThrow('Unknown stage "production"');
  });

  it('passes with shadowed and weighted routes, whose router and shadow functions invoke others', () => {
    const routes = {
      ...(CONTEXT['eightfold:routes'] as object),
      'GET /orders/{orderId}': { mode: 'shadow', since: '2026-11-26' },
      'POST /orders': { mode: 'weighted', percent: 10, since: '2026-11-26' },
    };
    const { app, defined } = defineApp({ 'eightfold:routes': routes });
    app.synth();
    const invokes = statements(Template.fromStack(defined.eightfold)).filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    expect(invokes.length).toBe(2); // the router's and the shadow function's
    for (const statement of invokes) expect(JSON.stringify(statement.Resource)).not.toContain(':*');
  });

  it('fails synth on a finding nobody acknowledged, naming the rule and the resource', () => {
    const { app, defined, outdir } = defineApp();
    new Table(defined.eightfold, 'Unreviewed', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A warning-level rule fails synth as an error-level one does.
    expect(() => app.synth()).toThrow(/Eightfold-dev\/Unreviewed\/Resource/);
    const report = readFileSync(join(outdir, 'validation-report.json'), 'utf8');
    const violations = (
      JSON.parse(report) as { pluginReports: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[] }
    ).pluginReports[0]!.violations;
    expect(violations.map((v) => [v.ruleName, v.violatingConstructs.map((c) => c.constructPath)])).toEqual([
      ['AwsSolutions-DDB3', ['Eightfold-dev/Unreviewed/Resource']],
    ]);
  });
});

describe('the payment provider', () => {
  it('is never the stand-in in prod unless asked for, and refuses half a provider or a bad one', () => {
    expect(() => defineApp({ 'eightfold:stage': 'prod' })).toThrow(
      /prod stage deploys no payment-provider stand-in: .*-c paymentProviderUrl=.*-c paymentProviderStandIn=true/,
    );
    expect(() => defineApp({ paymentProviderUrl: 'https://pay.example.com/' })).toThrow(/needs both/);
    expect(() => defineApp({ ...REAL_PROVIDER, paymentProviderUrl: 'http://pay.example.com/' })).toThrow(/https:\/\//);
    expect(() => defineApp({ ...REAL_PROVIDER, paymentProviderSecretArn: 'provider-token' })).toThrow(/complete ARN/);
    expect(() => defineApp({ ...REAL_PROVIDER, paymentProviderStandIn: 'true' })).toThrow(/exclude each other/);
  });

  it('calls a real provider at its URL with its own secret, and injects no faults into it', () => {
    const { defined } = defineApp(REAL_PROVIDER);
    expect(defined.paymentProvider).toBeUndefined();
    const eightfold = Template.fromStack(defined.eightfold);
    const policy = Object.values(eightfold.findResources('AWS::SSM::Parameter'))
      .map((p) => JSON.stringify((p as { Properties: { Value: unknown } }).Properties.Value))
      .find((v) => v.includes('payment-provider'))!;
    expect(policy).toContain('https://pay.example.com/v1/');
    expect(policy).toContain(PROVIDER_SECRET_ARN);
    // Every read of a secret is of the provider's, but for the cursors' key (the stack's own) and legacy's token (its stand-in's).
    const secretReads = statements(eightfold)
      .filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))
      .filter((s) => !/CursorKeySecret|IntegrationToken/.test(JSON.stringify(s.Resource)));
    expect(secretReads.length).toBeGreaterThan(0);
    for (const statement of secretReads) expect(JSON.stringify(statement.Resource)).toContain(PROVIDER_SECRET_ARN);
    // Legacy's stand-in still takes faults; the provider, being real, takes none.
    eightfold.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ FAULT_TARGETS: 'legacy' }) } });
  });

  it('strangles a real legacy system at its URL, its integration API called with its own token, and refuses half of that', () => {
    const legacySecretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy-integration-AbCdEf';
    const realLegacy = { legacyUrl: 'https://legacy.example.com/shop', legacySecretArn };
    const { defined } = defineApp(realLegacy);
    expect(defined.legacy).toBeUndefined();
    const policy = Object.values(Template.fromStack(defined.eightfold).findResources('AWS::SSM::Parameter'))
      .map((p) => JSON.stringify((p as { Properties: { Value: unknown } }).Properties.Value))
      .find((v) => v.includes('legacy'))!;
    expect(policy).toContain('https://legacy.example.com/shop/');
    expect(policy).toContain(legacySecretArn);
    expect(() => defineApp({ legacyUrl: 'https://legacy.example.com/' })).toThrow(/legacySecretArn/);
    expect(() => defineApp({ ...realLegacy, legacySecretArn: 'legacy-token' })).toThrow(/complete ARN/);
  });
});

describe('least privilege', () => {
  const { defined } = defineApp();
  const stacks: Stack[] = [defined.paymentProvider!, defined.legacy!, defined.eightfold];
  const templates = stacks.map((s) => Template.fromStack(s));

  it('grants no wildcard action anywhere, and `*` resources only to actions that have no resource-level permissions', () => {
    const all = templates.flatMap(statements);
    const actions = all.flatMap((s) => [s.Action].flat());
    expect(actions.length).toBeGreaterThan(50);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    const onEverything = new Set(all.filter((s) => s.Resource === '*').flatMap((s) => [s.Action].flat()));
    expect([...onEverything].sort()).toEqual([
      'cloudwatch:GetMetricData',
      'dynamodb:ListStreams',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('tags every table, function and queue of every stack with the project and the stage', () => {
    for (const template of templates) {
      for (const type of ['AWS::DynamoDB::Table', 'AWS::Lambda::Function', 'AWS::SQS::Queue']) {
        for (const [id, resource] of Object.entries(template.findResources(type))) {
          const tags = (resource as { Properties: { Tags?: { Key: string; Value: string }[] } }).Properties.Tags ?? [];
          expect(tags, id).toEqual(
            expect.arrayContaining([
              { Key: 'project', Value: 'eightfold' },
              { Key: 'stage', Value: 'dev' },
            ]),
          );
        }
      }
    }
  });

  it('attaches no AWS managed policy to a function’s role: each writes its own log group only', () => {
    const eightfold = Template.fromStack(defined.eightfold);
    const roles = Object.entries(eightfold.findResources('AWS::IAM::Role')).filter(([, r]) =>
      JSON.stringify(r).includes('lambda.amazonaws.com'),
    );
    expect(roles.length).toBeGreaterThan(10);
    for (const [, role] of roles)
      expect((role as { Properties: { ManagedPolicyArns?: unknown } }).Properties.ManagedPolicyArns).toBeUndefined();
    const logWrites = statements(eightfold).filter((s) => [s.Action].flat().includes('logs:PutLogEvents'));
    expect(logWrites.length).toBe(roles.length);
    for (const statement of logWrites) expect(JSON.stringify(statement.Resource)).toMatch(/Logs[0-9A-F]{8}","Arn"/);
  });
});

describe('encryption, recovery and logs', () => {
  const { defined } = defineApp(PROD);
  const eightfold = Template.fromStack(defined.eightfold);

  it('encrypts every topic of order data (AWS managed SNS key) and every queue (SQS managed), and refuses plain HTTP to them', () => {
    const topics = eightfold.findResources('AWS::SNS::Topic');
    expect(Object.keys(topics)).toHaveLength(3);
    for (const [id, topic] of Object.entries(topics)) {
      // CloudWatch cannot publish under the AWS managed key: the alarm topic alone carries no order data.
      if (id.startsWith('MonitoringAlarms')) expect(JSON.stringify(topic)).not.toContain('KmsMasterKeyId');
      else expect(JSON.stringify(topic)).toContain('alias/aws/sns');
    }
    const queues = Object.values(eightfold.findResources('AWS::SQS::Queue'));
    expect(queues.length).toBeGreaterThanOrEqual(10);
    for (const queue of queues)
      expect((queue as { Properties: { SqsManagedSseEnabled?: boolean } }).Properties.SqsManagedSseEnabled).toBe(true);
    const denials = [
      ...Object.values(eightfold.findResources('AWS::SQS::QueuePolicy')),
      ...Object.values(eightfold.findResources('AWS::SNS::TopicPolicy')),
    ].filter((p) => JSON.stringify(p).includes('"aws:SecureTransport":"false"'));
    expect(denials.length).toBe(queues.length + Object.keys(topics).length);
  });

  it('keeps point-in-time recovery on every table whose data exists nowhere else, and retains the event store in prod', () => {
    const tables = eightfold.findResources('AWS::DynamoDB::Table');
    const recoverable = Object.keys(tables).filter(
      (id) =>
        (tables[id] as { Properties: { PointInTimeRecoverySpecification?: { PointInTimeRecoveryEnabled: boolean } } }).Properties
          .PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled,
    );
    for (const prefix of [
      'EventStoreEvents',
      'AuditLog',
      'ShardingShardMaps',
      'ShardingSalesCounters',
      'PubSubSubscriberCheckpoints',
      'Notifications',
    ]) {
      expect(recoverable.some((id) => id.startsWith(prefix))).toBe(true);
    }
    const events = Object.entries(tables).find(([id]) => id.startsWith('EventStoreEvents'))![1] as { DeletionPolicy: string };
    expect(events.DeletionPolicy).toBe('Retain');
  });

  it('throttles the stage, and writes access logs without caller identity and error-level execution logs without bodies', () => {
    eightfold.hasResourceProperties('AWS::ApiGateway::Account', {});
    const stage = Object.values(eightfold.findResources('AWS::ApiGateway::Stage'))[0] as { Properties: Record<string, unknown> };
    const settings = (stage.Properties.MethodSettings as Record<string, unknown>[])[0]!;
    expect(settings).toMatchObject({
      HttpMethod: '*',
      ResourcePath: '/*',
      ThrottlingRateLimit: 1000,
      ThrottlingBurstLimit: 2000,
      LoggingLevel: 'ERROR',
      DataTraceEnabled: false,
    });
    const format = (stage.Properties.AccessLogSetting as { Format: string }).Format;
    expect(Object.keys(JSON.parse(format) as object)).toEqual(
      expect.arrayContaining(['requestId', 'httpMethod', 'resourcePath', 'status', 'responseLatency']),
    );
    expect(format).not.toMatch(/sourceIp|identity\.user|identity\.caller|apiKey/);
    const destination = JSON.stringify((stage.Properties.AccessLogSetting as { DestinationArn: unknown }).DestinationArn);
    const [, group] = Object.entries(eightfold.findResources('AWS::Logs::LogGroup')).find(([id]) => destination.includes(id))!;
    expect((group as { Properties: { RetentionInDays: number } }).Properties.RetentionInDays).toBe(365);
  });

  it('traces with X-Ray from the API stage through every function', () => {
    const functions = Object.values(eightfold.findResources('AWS::Lambda::Function')) as {
      Properties: { TracingConfig?: { Mode: string } };
    }[];
    expect(functions.length).toBeGreaterThan(10);
    for (const fn of functions) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    eightfold.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
  });

  it('takes its throttle from context', () => {
    const { defined: throttled } = defineApp({ 'eightfold:throttle': '{"rateLimit":50}' });
    Template.fromStack(throttled.eightfold).hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 2000 })],
    });
  });
});

describe('alarms and dashboard', () => {
  const { defined } = defineApp();
  const eightfold = Template.fromStack(defined.eightfold);
  const alarms = Object.values(eightfold.findResources('AWS::CloudWatch::Alarm')) as {
    Properties: Record<string, unknown> & { MetricName: string; Namespace: string; Dimensions?: { Name: string; Value: unknown }[] };
  }[];
  const byMetric = (name: string) => alarms.filter((a) => a.Properties.MetricName === name);
  const dimension = (alarm: (typeof alarms)[number], name: string) => alarm.Properties.Dimensions?.find((d) => d.Name === name)?.Value;

  it('watches every function for errors and throttles, and each stream consumer for its iterator age', () => {
    const functions = Object.keys(eightfold.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(10);
    for (const metric of ['Errors', 'Throttles']) expect(byMetric(metric)).toHaveLength(functions.length);
    const iteratorAge = byMetric('IteratorAge').map((a) => JSON.stringify(dimension(a, 'FunctionName')));
    expect(iteratorAge).toHaveLength(2);
    expect(iteratorAge.join()).toMatch(/Projector.*Publisher|Publisher.*Projector/);
  });

  it('alarms on every dead-letter queue’s first message, on API 5xx, on each breaker opening, on a lost or missing leader, on payment steps stuck and on legacy conflicts', () => {
    const queues = eightfold.findResources('AWS::SQS::Queue');
    const deadLetterQueues = Object.keys(queues).filter((id) => /Dlq[0-9A-F]{8}$/.test(id));
    expect(deadLetterQueues).toHaveLength(7); // five subscribers', the projector's, the publisher's
    const watchedQueues = byMetric('ApproximateNumberOfMessagesVisible').map((a) => JSON.stringify(dimension(a, 'QueueName')));
    for (const id of deadLetterQueues) expect(watchedQueues.some((q) => q.includes(id))).toBe(true);
    expect(byMetric('5XXError')).toHaveLength(1);
    expect(
      byMetric('BreakerTransitions')
        .map((a) => [dimension(a, 'breaker'), dimension(a, 'to'), dimension(a, 'service')])
        .sort(),
    ).toEqual([
      ['legacy', 'OPEN', 'circuit-breakers'],
      ['payment-provider', 'OPEN', 'circuit-breakers'],
    ]);
    // Each leader's lease: the coordinator's and legacy's change capture's.
    const leases = (metric: string) =>
      byMetric(metric)
        .map((a) => [dimension(a, 'service'), dimension(a, 'lease')])
        .sort();
    expect(leases('LeasesLost')).toEqual([
      ['coordinator', 'coordinator'],
      ['coordinator', 'legacy-capture'],
    ]);
    expect(leases('LeaderTurns')).toEqual(leases('LeasesLost'));
    for (const metric of ['LegacyConflicts', 'LegacyOrphans']) {
      const [alarm] = byMetric(metric);
      expect(alarm!.Properties, metric).toMatchObject({
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      expect(dimension(alarm!, 'lease'), metric).toBe('legacy-capture');
    }
    const [leaderless] = byMetric('LeaderTurns');
    expect(leaderless!.Properties).toMatchObject({ ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching', Period: 180 });
    const [stuck] = byMetric('PaymentStepsFailed');
    expect(stuck!.Properties).toMatchObject({
      Namespace: 'Eightfold',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 3,
      Period: 60,
    });
    expect([dimension(stuck!, 'service'), dimension(stuck!, 'lease')]).toEqual(['coordinator', 'coordinator']);
  });

  it('sends every alarm, into and out of ALARM, to one topic, and lays every alarm out on the dashboard', () => {
    const [topicId] = Object.keys(eightfold.findResources('AWS::SNS::Topic')).filter((id) => id.startsWith('MonitoringAlarms'));
    expect(topicId).toBeDefined();
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
    const [dashboard] = Object.values(eightfold.findResources('AWS::CloudWatch::Dashboard')) as {
      Properties: { DashboardName: string; DashboardBody: unknown };
    }[];
    expect(dashboard!.Properties.DashboardName).toBe('eightfold-dev');
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const id of Object.keys(eightfold.findResources('AWS::CloudWatch::Alarm'))) expect(body).toContain(id);
  });
});

describe('LocalStack readiness', () => {
  /** The services LocalStack's free tier serves, as CloudFormation type prefixes (API Gateway v1 only). */
  const FREE_TIER = [
    'AWS::ApiGateway::',
    'AWS::Lambda::',
    'AWS::DynamoDB::',
    'AWS::SNS::',
    'AWS::SQS::',
    'AWS::Events::',
    'AWS::IAM::',
    'AWS::SSM::',
    'AWS::SecretsManager::',
    'AWS::CloudWatch::',
    'AWS::Logs::',
  ];

  // Cognito is not on LocalStack's free plan: there the shop names an OIDC issuer of its own (`-c issuer=`).
  const OWN_ISSUER = { issuer: 'https://sso.example.com/realms/shop', audience: 'eightfold' };

  it('signs callers in with a Cognito user pool by default, which LocalStack’s free plan lacks', () => {
    const { defined } = defineApp({ 'eightfold:stage': 'dev' });
    Template.fromStack(defined.eightfold).resourceCountIs('AWS::Cognito::UserPool', 1);
  });

  it.each([
    { 'eightfold:stage': 'dev', ...OWN_ISSUER },
    { ...PROD, ...OWN_ISSUER },
  ])('deploys only resource types of LocalStack’s free tier with an issuer of its own (%o)', (context) => {
    const { defined } = defineApp(context);
    const types = new Set(
      [defined.paymentProvider, defined.legacy, defined.eightfold]
        .filter((s) => s !== undefined)
        .flatMap((s) => Object.values(Template.fromStack(s).toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type)),
    );
    types.delete('AWS::CDK::Metadata');
    expect(types.size).toBeGreaterThan(15);
    expect([...types].filter((type) => !FREE_TIER.some((prefix) => type.startsWith(prefix)))).toEqual([]);
  });

  it('creates every AWS SDK client with no endpoint of its own, so AWS_ENDPOINT_URL (and its per-service forms) points it anywhere', () => {
    const root = new URL('../../lambdas/', import.meta.url);
    const sources = (readdirSync(root, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(new URL(f, root), 'utf8'));
    const constructions = sources
      .flatMap((source) => source.match(/new \w+Client\([^)]*\)/g) ?? [])
      .filter((c) => !c.startsWith('new LeaseClient'));
    expect(constructions.length).toBeGreaterThanOrEqual(6);
    // (SQS's useQueueUrlAsEndpoint: false keeps queue URLs from overriding the configured endpoint.)
    expect(constructions.filter((c) => /[{,]\s*(endpoint|region|credentials)\s*:/.test(c))).toEqual([]);
  });
});
