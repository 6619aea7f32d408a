/** The Eightfold stack as a whole: its API (REST, v1), health route, and what it leaves to its constructs. */
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EightfoldStack } from '../../lib/eightfold-stack.ts';
import { RESOURCE_TYPES } from '@eightfold/local-cloud';
import { eightfoldStack, version } from '../helpers/stack.ts';

let stack: EightfoldStack;
let template: Template;
beforeAll(() => {
  ({ stack, template } = eightfoldStack());
});

describe('EightfoldStack', () => {
  it('serves a REST API (API Gateway v1, which LocalStack’s free plan supports), not an HTTP API', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    expect(Object.keys(template.findResources('AWS::ApiGatewayV2::Api'))).toEqual([]);
  });

  it('routes GET /health to the health function through a Lambda proxy integration without an API key', () => {
    const healthFunction = stack.resolve((stack.node.findChild('HealthFunction') as unknown as { functionArn: string }).functionArn);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'health' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      ApiKeyRequired: Match.absent(),
      Integration: {
        Type: 'AWS_PROXY',
        Uri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([healthFunction])] }),
      },
    });
  });

  it.each(['DEFAULT_4XX', 'DEFAULT_5XX'])(
    'gives API Gateway’s own %s answers the contract’s error body and X-Served-By: gateway',
    (type) => {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: Match.objectLike({ 'gatewayresponse.header.X-Served-By': "'gateway'" }),
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"error":\\{"code":"\\$context.error.responseType"') },
      });
    },
  );

  it('runs the health function on Node 22, arm64, with its version and service name in the environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'health/index.handler',
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      Environment: {
        Variables: Match.objectLike({
          EIGHTFOLD_VERSION: version,
          POWERTOOLS_SERVICE_NAME: 'health',
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
  });

  it('gives every function a log group it owns, with a retention (no LogRetention custom resource)', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    expect(Object.keys(template.findResources('Custom::LogRetention'))).toEqual([]);
  });

  it('uses only resource types the local cloud knows, so `npm start` runs exactly this template', () => {
    const types = new Set(Object.values(template.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type));
    expect([...types].filter((type) => !(type in RESOURCE_TYPES))).toEqual([]);
  });

  it('synthesizes without warnings or errors', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
  });
});
