import { LambdaIntegration } from 'aws-cdk-lib/aws-apigateway';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { throttleSettings } from './context.ts';
import { EightfoldFunction } from './constructs/eightfold-function.ts';
import { ServiceApi } from './constructs/service-api.ts';
import { ENV } from '../lambdas/platform/environment.ts';

/**
 * Eightfold's API: the shop's public order routes (open: the contract names the customer in each request),
 * /ops behind an API key, API Gateway's own errors in the contract's shape, and `GET /health`.
 */
export function orderServiceApi(scope: Construct, props: { readonly stage: string; readonly version: string }): ServiceApi {
  const api = new ServiceApi(scope, 'Api', {
    restApiName: `eightfold-${props.stage}`,
    description: 'Eightfold order service',
    // Detailed metrics: a request count per method, which GET /ops/routes reports per strangler route.
    detailedMetrics: true,
    throttle: throttleSettings(scope),
    logs: { retention: props.stage === 'prod' ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH },
    openBecause:
      'The shop’s public order API: the contract names the customer in each request and has no caller identity. /ops/* takes an API key (its own throttled usage plan). Put an authorizer in front where the shop has sign-in.',
    servedBy: 'eightfold',
    localDefault: true,
  });
  const health = new EightfoldFunction(scope, 'HealthFunction', {
    handler: 'health',
    serviceName: 'health',
    environment: { [ENV.deployment.version]: props.version, [ENV.deployment.stage]: props.stage },
    memorySize: 128,
  });
  api.root.addResource('health').addMethod('GET', new LambdaIntegration(health));
  return api;
}
