import type { RemovalPolicy } from 'aws-cdk-lib';
import { LambdaIntegration } from 'aws-cdk-lib/aws-apigateway';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { identityContext, throttleSettings } from './context.ts';
import { Identity } from './constructs/identity.ts';
import { EightfoldFunction } from './constructs/eightfold-function.ts';
import { ServiceApi } from './constructs/service-api.ts';
import { ENV } from '../lambdas/platform/environment.ts';

/**
 * Eightfold's API: the shop's order routes and /ops for callers signed in (`identity`: a Cognito user pool,
 * or `-c issuer=`; its authorizer is handed to the routes' constructs), API Gateway's own errors in the
 * contract's shape, and `GET /health` and `GET /openapi.json`.
 */
export function orderServiceApi(
  scope: Construct,
  props: {
    readonly stage: string;
    readonly version: string;
    readonly operatorOnly: readonly string[];
    readonly removalPolicy: RemovalPolicy;
  },
): { api: ServiceApi; identity: Identity } {
  const api = new ServiceApi(scope, 'Api', {
    restApiName: `eightfold-${props.stage}`,
    description: 'Eightfold order service',
    // Detailed metrics: a request count per method, which GET /ops/routes reports per strangler route.
    detailedMetrics: true,
    throttle: throttleSettings(scope),
    logs: { retention: props.stage === 'prod' ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH },
    openBecause:
      'Every order route and /ops/* take the Lambda authorizer (Identity); what stays open is /health, /openapi.json, the ops console page (it holds no data: its calls carry the operator’s token) and the paths legacy serves on its own terms.',
    // What API Gateway answers itself (a timeout, a throttle, a refused token) says so.
    servedBy: 'gateway',
    localDefault: true,
  });
  const health = new EightfoldFunction(scope, 'HealthFunction', {
    handler: 'health',
    serviceName: 'health',
    environment: { [ENV.deployment.version]: props.version, [ENV.deployment.stage]: props.stage },
    memorySize: 128,
  });
  api.root.addResource('health').addMethod('GET', new LambdaIntegration(health));
  api.root.addResource('openapi.json').addMethod('GET', new LambdaIntegration(health));
  const identity = new Identity(scope, 'Identity', {
    ...identityContext(scope),
    operatorOnly: props.operatorOnly,
    removalPolicy: props.removalPolicy,
  });
  return { api, identity };
}
