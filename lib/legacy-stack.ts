import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { LambdaIntegration } from 'aws-cdk-lib/aws-apigateway';
import { AttributeType, BillingMode, Table, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { LEGACY_BY_CUSTOMER_INDEX, LEGACY_CHANGES_INDEX } from '../lambdas/stand-ins/legacy-orders.ts';
import type { Construct } from 'constructs';
import { acknowledge } from './compliance.ts';
import { EightfoldFunction } from './constructs/eightfold-function.ts';
import { ServiceApi, STAND_IN_API, STAND_IN_DATA } from './constructs/service-api.ts';
import { grantOnTable, grantSecretValue } from './constructs/grants.ts';
import { faultsTable } from './payment-provider-stack.ts';
import { ENV } from '../lambdas/platform/environment.ts';

export interface LegacyStackProps extends StackProps {
  /** Where Eightfold's `PUT /ops/faults/legacy` leaves the faults this stand-in applies. @default a table of its own */
  readonly faults?: ITable;
}

/**
 * A stand-in for the legacy monolith Eightfold strangles: its own stack, its own API and data, one
 * Lambda behind `{proxy+}` that routes by itself (catalog, customer profiles, its old orders API and report,
 * the integration API Eightfold syncs orders both ways through, behind a bearer token). On AWS, the context
 * values `legacyUrl` and `legacySecretArn` point Eightfold at a real legacy system instead, and this stack is
 * not deployed.
 */
export class LegacyStack extends Stack {
  readonly url: string;
  readonly faults: ITable;
  /** The bearer token of legacy's integration API (`/integration/*`), which Eightfold's ambassador sends. */
  readonly integrationToken: Secret;

  constructor(scope: Construct, id: string, props: LegacyStackProps) {
    super(scope, id, props);
    acknowledge(this, { 'AwsSolutions-DDB3': STAND_IN_DATA });
    this.faults = props.faults ?? faultsTable(this);
    const customers = new Table(this, 'Customers', {
      partitionKey: { name: 'customerId', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The old system's orders: its own, and Eightfold's as its integration feed delivers them.
    const orders = new Table(this, 'Orders', {
      partitionKey: { name: 'order_no', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // What changed, oldest first: the changes endpoint Eightfold's backfill and change capture page through.
    orders.addGlobalSecondaryIndex({
      indexName: LEGACY_CHANGES_INDEX,
      partitionKey: { name: 'feed', type: AttributeType.STRING },
      sortKey: { name: 'changed_key', type: AttributeType.STRING },
    });
    orders.addGlobalSecondaryIndex({
      indexName: LEGACY_BY_CUSTOMER_INDEX,
      partitionKey: { name: 'customer_no', type: AttributeType.STRING },
      sortKey: { name: 'placed_at', type: AttributeType.STRING },
    });
    this.integrationToken = new Secret(this, 'IntegrationToken', {
      description: 'Bearer token of the legacy stand-in’s integration API; Eightfold’s ambassador sends it',
      generateSecretString: { excludePunctuation: true, passwordLength: 40 },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(this.integrationToken, {
      'AwsSolutions-SMG4': 'The stand-in’s own token, made at deploy time: a real legacy system issues and rotates its own.',
    });
    const monolith = new EightfoldFunction(this, 'LegacyFunction', {
      handler: 'legacy',
      serviceName: 'legacy',
      environment: {
        [ENV.standIns.legacyCustomers]: customers.tableName,
        [ENV.standIns.legacyOrders]: orders.tableName,
        [ENV.faults.table]: this.faults.tableName,
        [ENV.standIns.apiTokenSecret]: this.integrationToken.secretArn,
      },
    });
    customers.grant(monolith, 'dynamodb:GetItem', 'dynamodb:PutItem');
    grantOnTable(monolith, orders, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Scan']);
    grantOnTable(monolith, orders, ['dynamodb:Query'], [LEGACY_CHANGES_INDEX, LEGACY_BY_CUSTOMER_INDEX]);
    grantSecretValue(monolith, this.integrationToken);
    this.faults.grant(monolith, 'dynamodb:GetItem');
    const api = new ServiceApi(this, 'Api', {
      ...STAND_IN_API,
      restApiName: id,
      openBecause: 'A stand-in for the legacy monolith, open as the old system was; Eightfold’s façade fronts it.',
    });
    const integration = new LambdaIntegration(monolith);
    api.root.addMethod('ANY', integration);
    api.root.addProxy({ defaultIntegration: integration, anyMethod: true });
    this.url = api.url;
    new CfnOutput(this, 'LegacyOrdersTableName', {
      value: orders.tableName,
      description: 'Legacy’s orders, Eightfold’s among them through the feed (npm run check-consistency -- --legacy-orders-table)',
    });
    new CfnOutput(this, 'IntegrationTokenSecretArn', {
      value: this.integrationToken.secretArn,
      description: 'The bearer token of legacy’s integration API (npm run migrate-legacy reads it)',
    });
    new CfnOutput(this, 'LegacyUrl', {
      value: api.url,
      description: 'Base URL of the legacy stand-in (Eightfold routes what it does not serve here)',
    });
  }
}
