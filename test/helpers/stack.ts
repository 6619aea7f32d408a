/**
 * The stacks as the infra tests read them: the Eightfold stack of a fresh app with cdk.json's flags and
 * routing table (synthesized once per process, or again with other context), and what the tests ask of a
 * template (a role's actions on a table, a function's properties, the method behind a route).
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { EightfoldStack } from '../../lib/eightfold-stack.ts';
import { PaymentProviderStack } from '../../lib/payment-provider-stack.ts';

export const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
/** The routing table as cdk.json has it: the one place routes move. */
export const ROUTES = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, Record<string, { mode: string }>>;
  }
).context['eightfold:routes']!;

export const LEGACY_URL = 'https://legacy.example.com/shop/';
export const LEGACY_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy-integration-AbCdEf';

/** The Eightfold stack of a fresh app, with cdk.json's relevant flags and `context`. */
export function synthesizeStack(context: Record<string, unknown> = {}, stage = 'test'): EightfoldStack {
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
  return new EightfoldStack(app, `Eightfold-${stage}`, {
    stage,
    version,
    paymentProvider,
    faults,
    legacy: { url: LEGACY_URL, integrationToken: LEGACY_SECRET_ARN },
  });
}
export const synthesize = (context: Record<string, unknown> = {}, stage = 'test') => Template.fromStack(synthesizeStack(context, stage));

let synthesized: { stack: EightfoldStack; template: Template } | undefined;
/** The default stack and its template, synthesized once per process: every infra file reads the same one. */
export function eightfoldStack(): { stack: EightfoldStack; template: Template } {
  if (!synthesized) {
    const stack = synthesizeStack();
    synthesized = { stack, template: Template.fromStack(stack) };
  }
  return synthesized;
}

type Policy = {
  Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
};

/**
 * Every statement of every policy in the template, once for each role it is attached to: the role's id (and
 * the function's, CDK's role suffix taken off), the actions, and the resources as JSON text.
 */
export function grantedStatements(
  template = eightfoldStack().template,
): { role: string; fn: string; actions: string[]; resource: string }[] {
  return (Object.values(template.findResources('AWS::IAM::Policy')) as Policy[]).flatMap(({ Properties }) =>
    Properties.Roles.flatMap(({ Ref: role }) =>
      Properties.PolicyDocument.Statement.map((s) => ({
        role,
        fn: role.replace(/(ServiceRole|Role)[0-9A-F]{8}$/, ''),
        actions: [s.Action].flat(),
        resource: JSON.stringify(s.Resource),
      })),
    ),
  );
}

/** Every action each function's role may take on resources whose logical id contains `tableId`. */
export function actionsOn(functionId: string, tableId: string, template = eightfoldStack().template): Set<string> {
  const role = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith(functionId));
  expect(role, `role of ${functionId}`).toBeDefined();
  const statements = grantedStatements(template).filter((s) => s.role === role && s.resource.includes(tableId));
  return new Set(statements.flatMap((s) => s.actions));
}
export const WRITES = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

/** A function's properties, by its Powertools service name. */
export const functionProperties = (t: Template, serviceName: string) =>
  (
    Object.values(t.findResources('AWS::Lambda::Function')).find((f) =>
      JSON.stringify(f).includes(`"POWERTOOLS_SERVICE_NAME":"${serviceName}"`),
    ) as { Properties: { Environment: { Variables: Record<string, unknown> }; Timeout: number } }
  ).Properties;

/** A keys-only index of the view whose partition key only some rows carry, sorted oldest first. */
export function expectSparseIndex(indexName: string, partitionKey: string, sortKey: string, template = eightfoldStack().template): void {
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

export type ApiMethod = {
  Properties: {
    HttpMethod: string;
    ResourceId: { Ref: string } | { 'Fn::GetAtt': string[] };
    Integration: { Type: string; Uri?: unknown; IntegrationHttpMethod?: string };
  };
};

/** The method a route key names (`GET /orders/{orderId}`), found by walking the API's resources. */
export function methodAt(of: Template, route: string): ApiMethod {
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
export const lambdaTarget = (method: ApiMethod) =>
  JSON.stringify(method.Properties.Integration.Uri ?? '').match(/"(\w+Function\w*|StranglerRouter\w*|StranglerLegacyProxy\w*)","Arn"/)?.[1];
export const withRoutes = (changes: Record<string, unknown>) => ({ 'eightfold:routes': { ...ROUTES, ...changes } });
