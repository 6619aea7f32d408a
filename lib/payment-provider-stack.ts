import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { LambdaIntegration } from 'aws-cdk-lib/aws-apigateway';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { CHARGES_BY_ORDER_INDEX } from '../lambdas/stand-ins/charge-book.ts';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { acknowledge } from './compliance.ts';
import { EightfoldFunction } from './constructs/eightfold-function.ts';
import { grantOnTable, grantSecretValue } from './constructs/grants.ts';
import { ServiceApi, STAND_IN_API, STAND_IN_DATA } from './constructs/service-api.ts';
import { ENV } from '../lambdas/platform/environment.ts';

/** The stand-ins' faults, set by Eightfold's ops API: kept by the first stand-in deployed, shared by the other. */
export function faultsTable(scope: Construct): Table {
  return new Table(scope, 'Faults', {
    partitionKey: { name: 'target', type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}

/**
 * A stand-in for an external payment provider, deployed as its own stack (its own API, its own data) so
 * that Eightfold reaches it only over HTTP, through its ambassador, as it would a real one. Its faults are
 * set by Eightfold's ops API through the Faults table, which the legacy stand-in will share.
 */
export class PaymentProviderStack extends Stack {
  readonly url: string;
  readonly apiToken: Secret;
  readonly faults: Table;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    acknowledge(this, { 'AwsSolutions-DDB3': STAND_IN_DATA });
    this.faults = faultsTable(this);
    const charges = new Table(this, 'Charges', {
      partitionKey: { name: 'idempotencyKey', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    charges.addGlobalSecondaryIndex({ indexName: CHARGES_BY_ORDER_INDEX, partitionKey: { name: 'orderId', type: AttributeType.STRING } });
    this.apiToken = new Secret(this, 'ApiToken', {
      description: 'Bearer token of the payment provider stand-in; Eightfold’s ambassador injects it',
      generateSecretString: { excludePunctuation: true, passwordLength: 40 },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const provider = new EightfoldFunction(this, 'ProviderFunction', {
      handler: 'payment-provider',
      serviceName: 'payment-provider',
      environment: {
        [ENV.standIns.charges]: charges.tableName,
        [ENV.faults.table]: this.faults.tableName,
        [ENV.standIns.apiTokenSecret]: this.apiToken.secretArn,
      },
    });
    grantOnTable(provider, charges, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    grantOnTable(provider, charges, ['dynamodb:Query'], [CHARGES_BY_ORDER_INDEX]);
    this.faults.grant(provider, 'dynamodb:GetItem');
    grantSecretValue(provider, this.apiToken);
    acknowledge(this.apiToken, {
      'AwsSolutions-SMG4': 'The stand-in’s own token, made at deploy time: a real provider issues and rotates its tokens itself.',
    });
    const api = new ServiceApi(this, 'Api', {
      ...STAND_IN_API,
      restApiName: id,
      openBecause:
        'A stand-in for a third-party provider: the function itself checks the bearer token the ambassador sends, as the provider would.',
    });
    const integration = new LambdaIntegration(provider);
    const chargesResource = api.root.addResource('charges');
    chargesResource.addMethod('POST', integration);
    chargesResource.addMethod('GET', integration);
    chargesResource.addResource('{chargeId}').addResource('refunds').addMethod('POST', integration);
    this.url = api.url;
    new CfnOutput(this, 'ProviderUrl', { value: api.url, description: 'Base URL of the payment provider stand-in' });
    new CfnOutput(this, 'ChargesTableName', {
      value: charges.tableName,
      description: 'Every charge the provider made, by idempotency key',
    });
  }
}
