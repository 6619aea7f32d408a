import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
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
