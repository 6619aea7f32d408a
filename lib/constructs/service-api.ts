import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  CfnRestApi,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledge } from '../compliance.ts';
import { alarmAtOrAbove } from './monitoring.ts';

export interface ServiceApiProps {
  readonly restApiName: string;
  readonly description?: string;
  /** Requests per second the stage admits from all callers together, and the burst above it; beyond, 429. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * Access logs and error-level execution logs in CloudWatch, kept this long. Both need API Gateway's
   * account-wide CloudWatch role, which this API then sets (CDK's `cloudWatchRole`, retained on delete).
   * Or, for an API without them, the reason.
   */
  readonly logs: { readonly retention: RetentionDays } | { readonly noneBecause: string };
  /** Why its methods take no authorizer: who may call it and how that is enforced. */
  readonly openBecause: string;
  /** A request count per method in CloudWatch (billed per metric). @default false */
  readonly detailedMetrics?: boolean;
  /**
   * API Gateway's own answers (unknown route, bad key, throttled, integration failure) keep the service's
   * contract too: its error body shape, and this `X-Served-By`. @default API Gateway's own shape
   */
  readonly servedBy?: string;
  /** The API the local cloud serves on bare paths (others answer under /restapis/{id}/prod/_user_request_). @default false */
  readonly localDefault?: boolean;
}

/** The one stage every ServiceApi deploys. */
export const SERVICE_API_STAGE = 'prod';

/** A stand-in's API (the payment provider's, legacy's): throttled like Eightfold's, without logs of its own. */
export const STAND_IN_API = {
  throttle: { rateLimit: 1_000, burstLimit: 2_000 },
  logs: {
    noneBecause:
      'A stand-in for a third-party system, for tests and demos. Its logs would need API Gateway’s account-wide CloudWatch role, which the Eightfold stack sets, and this stack deploys before it.',
  },
} as const;

/** Why a stand-in's tables have no point-in-time recovery. */
export const STAND_IN_DATA = 'A stand-in for a third-party system, holding test and demo data only.';

/** The fields of an access log line: what served whom how fast, and who asked (the authorizer's principal; no IP). */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: AccessLogField.contextRequestId(),
    requestTime: AccessLogField.contextRequestTime(),
    httpMethod: AccessLogField.contextHttpMethod(),
    resourcePath: AccessLogField.contextResourcePath(),
    status: AccessLogField.contextStatus(),
    responseLength: AccessLogField.contextResponseLength(),
    responseLatency: AccessLogField.contextResponseLatency(),
    integrationLatency: AccessLogField.contextIntegrationLatency(),
    errorType: AccessLogField.contextErrorResponseType(),
    xrayTraceId: AccessLogField.contextXrayTraceId(),
    principal: AccessLogField.contextAuthorizerPrincipalId(),
  }),
);

/**
 * A REST API (v1: LocalStack's free plan serves only v1) with stage `prod`, stage-wide throttling, and
 * access plus error logs unless it says why not. Request bodies are validated by the handlers (zod, with
 * the contract's error codes), not by API Gateway models.
 */
export class ServiceApi extends RestApi {
  constructor(scope: Construct, id: string, props: ServiceApiProps) {
    const { logs } = props;
    const accessLogs =
      'retention' in logs
        ? new LogGroup(scope, `${id}AccessLogs`, { retention: logs.retention, removalPolicy: RemovalPolicy.DESTROY })
        : undefined;
    super(scope, id, {
      restApiName: props.restApiName,
      description: props.description,
      cloudWatchRole: accessLogs !== undefined,
      deployOptions: {
        stageName: SERVICE_API_STAGE,
        // X-Ray from the gateway on: a trace starts at the request and runs through the functions it reaches.
        tracingEnabled: true,
        metricsEnabled: props.detailedMetrics ?? false,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
        // Errors only, and never bodies (dataTrace): requests carry customers' orders.
        ...(accessLogs && {
          accessLogDestination: new LogGroupLogDestination(accessLogs),
          accessLogFormat: ACCESS_LOG_FORMAT,
          loggingLevel: MethodLoggingLevel.ERROR,
          dataTraceEnabled: false,
        }),
      },
    });
    alarmAtOrAbove(
      this,
      'ServerErrorsAlarm',
      this.metricServerError({ period: Duration.minutes(5) }),
      10,
      `${props.restApiName} answered 5xx 10 times or more in 5 minutes`,
    );
    if (props.servedBy) {
      for (const type of [ResponseType.DEFAULT_4XX, ResponseType.DEFAULT_5XX]) {
        this.addGatewayResponse(`Gateway${type.responseType}`, {
          type,
          responseHeaders: { 'X-Served-By': `'${props.servedBy}'`, 'Content-Type': "'application/json'" },
          templates: { 'application/json': '{"error":{"code":"$context.error.responseType","message":$context.error.messageString}}' },
        });
      }
    }
    if (props.localDefault) (this.node.defaultChild as CfnRestApi).addMetadata('LocalCloud::DefaultApi', true);
    acknowledge(this, {
      'AwsSolutions-APIG2':
        'Each handler validates its request with zod and answers the contract’s 400 VALIDATION_FAILED naming the fields; an API Gateway model would answer first, in another shape.',
      'AwsSolutions-APIG3':
        'No WAF web ACL by default (from $5/month each plus per request): stage throttling bounds abuse; attach an ACL to the stage where the traffic calls for one.',
      'AwsSolutions-APIG4': props.openBecause,
      'AwsSolutions-COG4': props.openBecause,
      ...('noneBecause' in logs
        ? { 'AwsSolutions-APIG1': logs.noneBecause, 'AwsSolutions-APIG6': logs.noneBecause }
        : {
            'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]':
              'API Gateway’s account-wide logging role: AWS’s managed policy is the one API Gateway documents for it.',
          }),
    });
  }
}
