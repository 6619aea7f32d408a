/** Identity: who may call each route, the user pool, and the authorizer that verifies its tokens. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { COMMAND_ROUTES, QUERY_ROUTES } from '../../lambdas/handlers/routes.ts';
import { eightfoldStack, functionProperties, lambdaTarget, methodAt, synthesize, withRoutes } from '../helpers/stack.ts';

const authorization = (of: Template, route: string) =>
  (methodAt(of, route) as unknown as { Properties: { AuthorizationType?: string } }).Properties.AuthorizationType ?? 'NONE';

describe('EightfoldStack: Identity', () => {
  const { template } = eightfoldStack();

  it('puts every route Eightfold declares, and every /ops route, behind the authorizer; /health, the console page and legacy’s own paths stay open', () => {
    for (const route of [...Object.keys(COMMAND_ROUTES), ...Object.keys(QUERY_ROUTES), 'GET /ops/breakers', 'PUT /ops/faults/{target}'])
      expect(authorization(template, route), route).toBe('CUSTOM');
    for (const route of ['GET /health', 'GET /console', 'ANY /{proxy+}']) expect(authorization(template, route), route).toBe('NONE');
  });

  it('keeps a declared route behind the authorizer while legacy serves it: moving a route changes who answers, not who may ask', () => {
    const legacyServed = synthesize(withRoutes({ 'GET /orders/{orderId}': { mode: 'legacy', since: '2026-12-01' } }));
    expect(lambdaTarget(methodAt(legacyServed, 'GET /orders/{orderId}'))).toMatch(/^StranglerLegacyProxy/);
    expect(authorization(legacyServed, 'GET /orders/{orderId}')).toBe('CUSTOM');
  });

  it('verifies tokens of its own user pool (operators are its group), for its app client, and caches each caller’s policy 5 minutes', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'operators' });
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'TOKEN', AuthorizerResultTtlInSeconds: 300 });
    const variables = functionProperties(template, 'authorizer').Environment.Variables;
    expect(variables.TOKEN_ISSUER).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^IdentityUsers/), 'ProviderURL'] });
    expect(variables.TOKEN_AUDIENCE).toEqual({ Ref: expect.stringMatching(/^IdentityUsersClient/) });
    expect(JSON.parse(String(variables.OPERATOR_ROUTES))).toEqual(['POST /orders/{orderId}/ship', '* /ops/*']);
  });

  it('trusts an identity provider of the shop’s own with -c issuer, and makes no user pool then', () => {
    const own = synthesize({ issuer: 'https://sso.example.com/realms/shop', audience: 'eightfold' });
    own.resourceCountIs('AWS::Cognito::UserPool', 0);
    own.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TOKEN_ISSUER: 'https://sso.example.com/realms/shop', TOKEN_AUDIENCE: 'eightfold' }) },
    });
  });
});
