/** The stand-ins: legacy and the payment provider, each its own stack and API. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { LegacyStack } from '../../lib/legacy-stack.ts';
import { PaymentProviderStack } from '../../lib/payment-provider-stack.ts';

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
