import { describe, expect, it } from 'vitest';
import { accessKeyIdOf, accessKeyIdOfRequest, IamAuthorizer } from '../iam/authorizer.ts';
import { dynamoDbAuthorizations } from '../iam/dynamodb-requests.ts';
import { snsAuthorizations, sqsAuthorizations } from '../iam/messaging-requests.ts';
import { unusedOverRuns } from '../iam/grant-use.ts';
import { resourcePoliciesOf } from '../iam/resource-policies.ts';
import { callersOf, rolesOf } from '../iam/roles.ts';

const ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table';
const tables = new Map([
  ['Orders', { arn: `${ARN}/Orders`, hashKey: 'pk' }],
  ['Leases', { arn: `${ARN}/Leases`, hashKey: 'lease' }],
]);
const S = (value: string) => ({ S: value });

describe('what a DynamoDB request asks IAM for', () => {
  it('names the action, the table or index, and the partition keys it touches', () => {
    expect(
      dynamoDbAuthorizations('DynamoDB_20120810.PutItem', { TableName: 'Orders', Item: { pk: S('o-1'), n: { N: '1' } } }, tables),
    ).toEqual([{ action: 'dynamodb:PutItem', resource: `${ARN}/Orders`, context: { 'dynamodb:LeadingKeys': ['o-1'] } }]);
    expect(
      dynamoDbAuthorizations(
        'DynamoDB_20120810.Query',
        {
          TableName: 'Orders',
          KeyConditionExpression: '#k = :v AND sk > :s',
          ExpressionAttributeNames: { '#k': 'pk' },
          ExpressionAttributeValues: { ':v': S('o-2'), ':s': S('a') },
        },
        tables,
      ),
    ).toEqual([{ action: 'dynamodb:Query', resource: `${ARN}/Orders`, context: { 'dynamodb:LeadingKeys': ['o-2'] } }]);
    expect(
      dynamoDbAuthorizations(
        'DynamoDB_20120810.Query',
        { TableName: 'Orders', IndexName: 'byStatus', KeyConditionExpression: 'st = :s' },
        tables,
      ),
    ).toEqual([{ action: 'dynamodb:Query', resource: `${ARN}/Orders/index/byStatus`, context: {} }]);
    expect(dynamoDbAuthorizations('DynamoDB_20120810.Scan', { TableName: 'Orders' }, tables)).toEqual([
      { action: 'dynamodb:Scan', resource: `${ARN}/Orders`, context: {} },
    ]);
  });

  it('asks for each part of a transaction by its own action, and for a batch’s action on each table', () => {
    expect(
      dynamoDbAuthorizations(
        'DynamoDB_20120810.TransactWriteItems',
        {
          TransactItems: [
            { Put: { TableName: 'Orders', Item: { pk: S('o-1') } } },
            { Update: { TableName: 'Leases', Key: { lease: S('l-1') } } },
            { ConditionCheck: { TableName: 'Orders', Key: { pk: S('o-2') } } },
          ],
        },
        tables,
      ).map((r) => [r.action, r.resource, r.context['dynamodb:LeadingKeys']]),
    ).toEqual([
      ['dynamodb:PutItem', `${ARN}/Orders`, ['o-1']],
      ['dynamodb:UpdateItem', `${ARN}/Leases`, ['l-1']],
      ['dynamodb:ConditionCheckItem', `${ARN}/Orders`, ['o-2']],
    ]);
    expect(
      dynamoDbAuthorizations(
        'DynamoDB_20120810.BatchWriteItem',
        { RequestItems: { Orders: [{ PutRequest: { Item: { pk: S('a') } } }, { DeleteRequest: { Key: { pk: S('b') } } }] } },
        tables,
      ),
    ).toEqual([{ action: 'dynamodb:BatchWriteItem', resource: `${ARN}/Orders`, context: { 'dynamodb:LeadingKeys': ['a', 'b'] } }]);
  });
});

describe('roles from the template', () => {
  const resources = [
    {
      type: 'AWS::IAM::Role',
      logicalId: 'FnRole',
      physicalId: 'Stack-FnRole',
      attributes: { Arn: 'arn:aws:iam::000000000000:role/Stack-FnRole' },
      properties: {
        Policies: [
          {
            PolicyName: 'inline',
            PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: `${ARN}/Orders` }] },
          },
        ],
        ManagedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
    },
    {
      type: 'AWS::IAM::Policy',
      logicalId: 'FnRoleDefaultPolicy',
      physicalId: 'p',
      attributes: {},
      properties: {
        PolicyName: 'FnRoleDefaultPolicy',
        Roles: ['Stack-FnRole'],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: ['dynamodb:UpdateItem'],
              Resource: `${ARN}/Leases`,
              Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['l-1'] } },
            },
            {
              Effect: 'Deny',
              Action: 'dynamodb:GetItem',
              Resource: `${ARN}/Orders`,
              Condition: { 'ForAnyValue:StringEquals': { 'dynamodb:LeadingKeys': ['secret'] } },
            },
          ],
        },
      },
    },
    {
      type: 'AWS::IAM::Role',
      logicalId: 'WideRole',
      physicalId: 'Stack-WideRole',
      attributes: { Arn: 'arn:aws:iam::000000000000:role/Stack-WideRole' },
      properties: { ManagedPolicyArns: ['arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess'] },
    },
    {
      type: 'AWS::Lambda::Function',
      logicalId: 'Fn',
      physicalId: 'Stack-Fn',
      attributes: { Arn: 'arn:aws:lambda:us-east-1:000000000000:function:Stack-Fn' },
      properties: { Role: 'arn:aws:iam::000000000000:role/Stack-FnRole' },
    },
    {
      type: 'AWS::Lambda::Function',
      logicalId: 'Wide',
      physicalId: 'Stack-Wide',
      attributes: { Arn: 'arn:aws:lambda:us-east-1:000000000000:function:Stack-Wide' },
      properties: { Role: 'arn:aws:iam::000000000000:role/Stack-WideRole' },
    },
  ];

  it('gathers each role’s inline and attached policies; AWS managed policies it does not know are named', () => {
    const roles = rolesOf(resources);
    expect(roles.get('arn:aws:iam::000000000000:role/Stack-FnRole')!.policies.map((p) => p.name)).toEqual([
      'inline',
      'FnRoleDefaultPolicy',
    ]);
    expect(roles.get('arn:aws:iam::000000000000:role/Stack-FnRole')!.unknownManagedPolicies).toEqual([]);
    expect(roles.get('arn:aws:iam::000000000000:role/Stack-WideRole')!.unknownManagedPolicies).toEqual([
      'arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess',
    ]);
  });

  it('allows what a policy allows, under its conditions; an explicit deny wins; a role with an unknown managed policy is not refused', async () => {
    const logs: string[] = [];
    const iam = await IamAuthorizer.create('on', '000000000000', (line) => logs.push(line));
    iam.setCallers(callersOf(resources, rolesOf(resources), accessKeyIdOf));
    const fn = accessKeyIdOf('arn:aws:lambda:us-east-1:000000000000:function:Stack-Fn');
    const ask = (action: string, table: string, keys: string[]) =>
      iam.authorize(fn, [{ action: `dynamodb:${action}`, resource: `${ARN}/${table}`, context: { 'dynamodb:LeadingKeys': keys } }]);
    expect(ask('GetItem', 'Orders', ['o-1'])).toBeUndefined();
    expect(ask('UpdateItem', 'Leases', ['l-1'])).toBeUndefined();
    expect(ask('UpdateItem', 'Leases', ['l-2'])?.message).toMatch(
      /^User: arn:aws:sts::000000000000:assumed-role\/Stack-FnRole\/Stack-Fn is not authorized to perform: dynamodb:UpdateItem on resource: .*\/Leases because no identity-based policy allows the dynamodb:UpdateItem action$/,
    );
    expect(ask('GetItem', 'Orders', ['secret'])?.message).toMatch(/with an explicit deny in an identity-based policy$/);
    expect(ask('DeleteItem', 'Orders', ['o-1'])).toBeDefined();
    // Not a function's credentials: the developer's own, an administrator's.
    expect(iam.authorize('test', [{ action: 'dynamodb:DeleteItem', resource: `${ARN}/Orders`, context: {} }])).toBeUndefined();
    const wide = accessKeyIdOf('arn:aws:lambda:us-east-1:000000000000:function:Stack-Wide');
    expect(iam.authorize(wide, [{ action: 'dynamodb:DeleteItem', resource: `${ARN}/Orders`, context: {} }])).toBeUndefined();
    expect(logs).toEqual([expect.stringContaining('role Stack-WideRole has AWS managed policies the local cloud does not know')]);
  });

  it('reads the access key a SigV4 request was signed with', () => {
    expect(
      accessKeyIdOfRequest(
        'AWS4-HMAC-SHA256 Credential=ASIA0123456789ABCDEF/20261205/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
      ),
    ).toBe('ASIA0123456789ABCDEF');
    expect(accessKeyIdOfRequest(undefined)).toBeUndefined();
  });
});

describe('resource policies from the template', () => {
  const topic = 'arn:aws:sns:us-east-1:000000000000:Alerts';
  const queueArn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
  const fnArn = 'arn:aws:lambda:us-east-1:000000000000:function:Stack-Fn';
  const resource = (type: string, physicalId: string, properties: Record<string, any> = {}, attributes: Record<string, unknown> = {}) => ({
    type,
    logicalId: physicalId.replace(/\W/g, ''),
    physicalId,
    properties,
    attributes,
  });
  const resources = [
    resource('AWS::SNS::Topic', topic),
    ...['Inbox', 'Closed'].map((name) =>
      resource('AWS::SQS::Queue', `http://127.0.0.1:4702/000000000000/${name}`, {}, { Arn: queueArn(name) }),
    ),
    resource('AWS::Lambda::Function', 'Stack-Fn', {}, { Arn: fnArn }),
    // As SqsSubscription writes it: the topic may send, and only the topic.
    resource('AWS::SQS::QueuePolicy', 'qp', {
      Queues: ['http://127.0.0.1:4702/000000000000/Inbox'],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: queueArn('Inbox'),
            Condition: { ArnEquals: { 'aws:SourceArn': topic } },
          },
        ],
      },
    }),
    resource('AWS::Lambda::Permission', 'perm', {
      FunctionName: fnArn,
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: 'arn:aws:events:us-east-1:000000000000:rule/Nightly',
    }),
  ];

  it('lets a service in only as the queue’s policy or the function’s permissions say; resources made at run time are not judged', async () => {
    const logs: string[] = [];
    const iam = await IamAuthorizer.create('on', '000000000000', (line) => logs.push(line));
    iam.setResourcePolicies(resourcePoliciesOf(resources));
    expect(iam.serviceMay('sns.amazonaws.com', 'sqs:SendMessage', queueArn('Inbox'), topic)).toBe(true);
    expect(iam.serviceMay('sns.amazonaws.com', 'sqs:SendMessage', queueArn('Inbox'), `${topic}-other`)).toBe(false);
    expect(iam.serviceMay('sns.amazonaws.com', 'sqs:SendMessage', queueArn('Closed'), topic)).toBe(false);
    expect(
      iam.serviceMay('events.amazonaws.com', 'lambda:InvokeFunction', fnArn, 'arn:aws:events:us-east-1:000000000000:rule/Nightly'),
    ).toBe(true);
    expect(iam.serviceMay('events.amazonaws.com', 'lambda:InvokeFunction', fnArn, 'arn:aws:events:us-east-1:000000000000:rule/Other')).toBe(
      false,
    );
    expect(iam.serviceMay('sns.amazonaws.com', 'sqs:SendMessage', queueArn('MadeByATest'), topic)).toBe(true);
    expect(logs).toContain(
      `sns.amazonaws.com may not sqs:SendMessage on ${queueArn('Closed')} for ${topic}: no statement of the resource's policy allows it`,
    );
    expect(logs.filter((line) => line.startsWith('iam: could not evaluate'))).toEqual([]);

    const report = await IamAuthorizer.create('report', '000000000000', () => undefined);
    report.setResourcePolicies(resourcePoliciesOf(resources));
    expect(report.serviceMay('sns.amazonaws.com', 'sqs:SendMessage', queueArn('Closed'), topic)).toBe(true);
  });
});

describe('what SNS and SQS requests ask IAM for', () => {
  it('reads SNS’s action and topic from its form, a batch as its single action', () => {
    const topic = 'arn:aws:sns:us-east-1:000000000000:alerts';
    expect(snsAuthorizations(new URLSearchParams({ Action: 'PublishBatch', TopicArn: topic }))).toEqual([
      { action: 'sns:Publish', resource: topic, context: {} },
    ]);
    expect(snsAuthorizations(new URLSearchParams({ Action: 'ListTopics' }))).toEqual([
      { action: 'sns:ListTopics', resource: '*', context: {} },
    ]);
  });

  it('reads SQS’s action from its target and the queue from its URL or name', () => {
    const arnOf = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
    expect(sqsAuthorizations('AmazonSQS.DeleteMessageBatch', { QueueUrl: 'http://127.0.0.1:4702/000000000000/jobs' }, arnOf)).toEqual([
      { action: 'sqs:DeleteMessage', resource: arnOf('jobs'), context: {} },
    ]);
    expect(sqsAuthorizations('AmazonSQS.GetQueueUrl', { QueueName: 'jobs' }, arnOf)).toEqual([
      { action: 'sqs:GetQueueUrl', resource: arnOf('jobs'), context: {} },
    ]);
    expect(sqsAuthorizations('AmazonSQS.ListQueues', {}, arnOf)).toEqual([{ action: 'sqs:ListQueues', resource: '*', context: {} }]);
  });
});

describe('grants against their use, over many runs', () => {
  it('names, per role, the granted patterns no run used any action of; a role in several runs pools its uses', () => {
    const runs = [
      [
        {
          role: 'Shop-Orders',
          granted: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
          used: ['dynamodb:GetItem'],
        },
        { role: 'Shop-Idle', granted: ['sqs:SendMessage'], used: [] },
      ],
      [
        {
          role: 'Shop-Orders',
          granted: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
          used: ['dynamodb:PutItem'],
        },
      ],
      [{ role: 'Shop-Reader', granted: ['dynamodb:Get*', 'dynamodb:Query'], used: ['dynamodb:getitem', 'dynamodb:Query'] }],
    ];
    expect(unusedOverRuns(runs)).toEqual([
      { role: 'Shop-Idle', actions: ['sqs:SendMessage'] },
      { role: 'Shop-Orders', actions: ['dynamodb:ConditionCheckItem'] },
    ]);
    expect(unusedOverRuns([])).toEqual([]);
  });
});
