import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { LambdaIntegration, ResponseType, RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Construct } from 'constructs';
import { EightfoldFunction } from './constructs/eightfold-function.ts';

export interface EightfoldStackProps extends StackProps {
  /** Deployment stage; fault injection exists only outside `prod`. */
  readonly stage: string;
  /** The app version reported by `GET /health`. */
  readonly version: string;
}

/** The order service: one REST API in front of the pattern constructs. */
export class EightfoldStack extends Stack {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: EightfoldStackProps) {
    super(scope, id, props);

    // REST API (v1), not HTTP API (v2): LocalStack's free plan serves only v1.
    this.api = new RestApi(this, 'Api', {
      restApiName: `eightfold-${props.stage}`,
      description: 'Eightfold order service',
      deployOptions: { stageName: 'prod' },
      cloudWatchRole: false,
    });
    // API Gateway's own answers (unknown route, bad key, throttled, integration failure) keep the
    // contract too: the error body shape and the X-Served-By header.
    for (const type of [ResponseType.DEFAULT_4XX, ResponseType.DEFAULT_5XX]) {
      this.api.addGatewayResponse(`Gateway${type.responseType}`, {
        type,
        responseHeaders: { 'X-Served-By': "'eightfold'", 'Content-Type': "'application/json'" },
        templates: { 'application/json': '{"error":{"code":"$context.error.responseType","message":$context.error.messageString}}' },
      });
    }

    const health = new EightfoldFunction(this, 'HealthFunction', {
      handler: 'health',
      serviceName: 'health',
      environment: { EIGHTFOLD_VERSION: props.version, EIGHTFOLD_STAGE: props.stage },
      memorySize: 128,
      timeout: undefined,
    });
    this.api.root.addResource('health').addMethod('GET', new LambdaIntegration(health));

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Eightfold API' });
  }
}
