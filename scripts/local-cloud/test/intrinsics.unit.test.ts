import { describe, expect, it } from 'vitest';
import { IntrinsicError, resolve, type ResolveContext } from '../intrinsics.ts';
import { creationOrder, referencedIds, type CfnTemplate } from '../template.ts';

const ctx: ResolveContext = {
  region: 'eu-west-1',
  accountId: '000000000000',
  stackName: 'Shop',
  ref: (id) => ({ Table: 'Shop-Table', Queue: 'http://q/Shop-Queue', Param: 'from-param' })[id],
  getAtt: (id, attribute) =>
    (
      ({ 'Table.Arn': 'arn:aws:dynamodb:eu-west-1:000000000000:table/Shop-Table', 'Table.StreamArn': 'arn:stream' }) as Record<
        string,
        string
      >
    )[`${id}.${attribute}`],
  importValue: (name) => (name === 'SharedTopic' ? 'arn:topic' : undefined),
  condition: (name) => name === 'IsProd',
};

describe('resolve', () => {
  describe.each([
    { description: 'Ref to a resource', value: { Ref: 'Table' }, expected: 'Shop-Table' },
    { description: 'Ref to a parameter', value: { Ref: 'Param' }, expected: 'from-param' },
    { description: 'Ref to a pseudo parameter', value: { Ref: 'AWS::Region' }, expected: 'eu-west-1' },
    {
      description: 'Fn::GetAtt as a list',
      value: { 'Fn::GetAtt': ['Table', 'Arn'] },
      expected: 'arn:aws:dynamodb:eu-west-1:000000000000:table/Shop-Table',
    },
    { description: 'Fn::GetAtt as a dotted string', value: { 'Fn::GetAtt': 'Table.StreamArn' }, expected: 'arn:stream' },
    { description: 'Fn::Join', value: { 'Fn::Join': ['-', ['a', { Ref: 'Table' }, 'b']] }, expected: 'a-Shop-Table-b' },
    {
      description: 'Fn::Sub with pseudo parameters and attributes',
      value: { 'Fn::Sub': 'arn:${AWS::Partition}:${AWS::AccountId}:${Table}:${Table.Arn}' },
      expected: 'arn:aws:000000000000:Shop-Table:arn:aws:dynamodb:eu-west-1:000000000000:table/Shop-Table',
    },
    {
      description: 'Fn::Sub with a variable map',
      value: { 'Fn::Sub': ['${X}/${AWS::StackName}', { X: { Ref: 'Param' } }] },
      expected: 'from-param/Shop',
    },
    { description: 'Fn::Sub keeps ${!Literal}', value: { 'Fn::Sub': 'a ${!Literal} b' }, expected: 'a ${Literal} b' },
    { description: 'Fn::Select over Fn::Split', value: { 'Fn::Select': [1, { 'Fn::Split': ['/', { Ref: 'Queue' }] }] }, expected: '' },
    {
      description: 'Fn::Select the last part',
      value: { 'Fn::Select': [3, { 'Fn::Split': ['/', { Ref: 'Queue' }] }] },
      expected: 'Shop-Queue',
    },
    { description: 'Fn::ImportValue', value: { 'Fn::ImportValue': 'SharedTopic' }, expected: 'arn:topic' },
    { description: 'Fn::If on a true condition', value: { 'Fn::If': ['IsProd', 'yes', 'no'] }, expected: 'yes' },
    { description: 'Fn::If on a false condition', value: { 'Fn::If': ['IsDev', 'yes', 'no'] }, expected: 'no' },
    { description: 'Fn::Equals', value: { 'Fn::Equals': [{ Ref: 'Param' }, 'from-param'] }, expected: true },
    { description: 'Fn::Base64', value: { 'Fn::Base64': 'hi' }, expected: 'aGk=' },
    { description: 'Fn::GetAZs', value: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }, expected: 'eu-west-1a' },
  ])('$description', ({ value, expected }) => {
    it('resolves to the value CloudFormation would produce', () => {
      // Act
      const result = resolve(value, ctx);
      // Assess
      expect(result).toEqual(expected);
    });
  });

  it('splits an execute-api URL as the local cloud serves it, so the parts agree with the URL a function is given', () => {
    const url = { 'Fn::Join': ['', ['https://', { Ref: 'Api' }, '.execute-api.eu-west-1.amazonaws.com/prod/']] };
    const local: ResolveContext = {
      ...ctx,
      ref: (id) => (id === 'Api' ? 'abc123' : ctx.ref(id)),
      localize: (text) =>
        text.replace(
          'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
          'http://127.0.0.1:3000/restapis/abc123/prod/_user_request_',
        ),
    };
    expect(resolve({ 'Fn::Select': [2, { 'Fn::Split': ['/', url] }] }, local)).toBe('127.0.0.1:3000');
    expect(resolve({ 'Fn::Select': [2, { 'Fn::Split': ['/', url] }] }, { ...local, localize: undefined })).toBe(
      'abc123.execute-api.eu-west-1.amazonaws.com',
    );
  });

  it('resolves nested properties and drops AWS::NoValue', () => {
    const result = resolve({ Name: { Ref: 'Table' }, Gone: { Ref: 'AWS::NoValue' }, List: ['a', { Ref: 'AWS::NoValue' }] }, ctx);
    expect(result).toEqual({ Name: 'Shop-Table', List: ['a'] });
  });

  it('leaves an IAM Condition block alone (an object, not a condition name)', () => {
    const statement = { Effect: 'Allow', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } };
    expect(resolve(statement, ctx)).toEqual({ Effect: 'Allow', Condition: { StringEquals: { 'aws:SourceAccount': '000000000000' } } });
  });

  it.each([
    [{ Ref: 'Missing' }, /unknown resource or parameter "Missing"/],
    [{ 'Fn::GetAtt': ['Table', 'Nope'] }, /Table\.Nope is not known/],
    [{ 'Fn::ImportValue': 'Nope' }, /no stack exports "Nope"/],
    [{ 'Fn::Cidr': ['10.0.0.0/16', 2, 8] }, /Fn::Cidr is not supported/],
    [{ 'Fn::Select': [5, ['a']] }, /out of range/],
  ])('refuses %j with a clear error', (value, message) => {
    expect(() => resolve(value, ctx)).toThrow(IntrinsicError);
    expect(() => resolve(value, ctx)).toThrow(message);
  });
});

describe('creationOrder', () => {
  it('creates every resource after what it references or DependsOn', () => {
    const template: CfnTemplate = {
      Resources: {
        Mapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: { FunctionName: { Ref: 'Fn' }, EventSourceArn: { 'Fn::GetAtt': ['Table', 'StreamArn'] } },
        },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': 'Role.Arn' } }, DependsOn: ['Policy'] },
        Policy: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'Role' }], Doc: { 'Fn::Sub': '${Table.Arn}/*' } } },
        Role: { Type: 'AWS::IAM::Role' },
        Table: { Type: 'AWS::DynamoDB::Table' },
      },
    };
    const order = creationOrder(template);
    const before = (a: string, b: string) => expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    before('Role', 'Policy');
    before('Table', 'Policy');
    before('Policy', 'Fn');
    before('Fn', 'Mapping');
    before('Table', 'Mapping');
    expect(order).toHaveLength(5);
  });

  it('rejects a dependency cycle, naming it', () => {
    const template: CfnTemplate = {
      Resources: { A: { Type: 'X', Properties: { B: { Ref: 'B' } } }, B: { Type: 'X', DependsOn: 'A' } },
    };
    expect(() => creationOrder(template)).toThrow('Circular dependency between resources: A -> B -> A');
  });

  it('finds references inside Fn::Sub strings and ignores pseudo parameters and ${!escapes}', () => {
    expect([...referencedIds({ 'Fn::Sub': '${Queue.Arn}:${AWS::Region}:${!Literal}:${Topic}' })].sort()).toEqual([
      'AWS::Region',
      'Queue',
      'Topic',
    ]);
  });
});
