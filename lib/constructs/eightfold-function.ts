import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Code, LoggingFormat, Runtime, Tracing, type IEventSource } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance.ts';
import { handlerBundle } from './handler-bundles.ts';
import { alarmAtOrAbove } from './monitoring.ts';

export interface EightfoldFunctionProps {
  /** Handler file name under `lambdas/handlers/`, without extension. */
  readonly handler: string;
  /** Powertools service name, shown on every log line. */
  readonly serviceName: string;
  /** Extra environment variables. @default none */
  readonly environment?: Record<string, string>;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default unreserved */
  readonly reservedConcurrentExecutions?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * Every Eightfold Lambda: Node 22 on arm64 (cheaper per GB-second than x86), an ESM bundle made by local
 * esbuild (never Docker), minified with source maps, the AWS SDK bundled so the version we test is the one
 * we run, and a log group we own (no LogRetention custom resource) that its role may write to and nothing
 * else: no AWSLambdaBasicExecutionRole, whose log actions reach every log group of the account.
 */
export class EightfoldFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: EightfoldFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    const bundle = handlerBundle(props.handler);
    const functionProps: NodejsFunctionProps = {
      handler: bundle.handler,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      loggingFormat: LoggingFormat.JSON,
      // X-Ray: Powertools' tracer makes each invocation a segment and each AWS SDK call a subsegment.
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        // Stack traces point at our TypeScript, not the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      // One esbuild call bundles every handler into one shared asset (see handler-bundles.ts); NodejsFunction takes it as is.
      code: Code.fromAsset(bundle.dir),
    };
    super(scope, id, functionProps);
    // Handlers answer bad input and outages with responses, and consumers retry: a few errors are an
    // outage's echo, a run of them is a bug. Any throttle means reserved or account concurrency ran out.
    alarmAtOrAbove(
      this,
      'ErrorsAlarm',
      this.metricErrors({ period: Duration.minutes(5) }),
      5,
      `${id} threw or timed out 5 times or more in 5 minutes`,
    );
    alarmAtOrAbove(
      this,
      'ThrottlesAlarm',
      this.metricThrottles({ period: Duration.minutes(5) }),
      1,
      `${id} was throttled: its concurrency ran out`,
    );
    acknowledge(this, {
      'AwsSolutions-L1':
        'Node 22 on purpose: the runtime the project is built, tested and benchmarked on (npm scripts run node@22); it moves with the toolchain, not function by function.',
    });
    acknowledge(role, {
      'AwsSolutions-IAM5[Resource::*]':
        'Only actions without resource-level permissions are granted on *: xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing), dynamodb:ListStreams (stream event sources), cloudwatch:GetMetricData (ops); test/infra/production.infra.test.ts pins that list.',
    });
  }

  override addEventSource(source: IEventSource): void {
    super.addEventSource(source);
    if (source instanceof DynamoEventSource) {
      // Records a minute old for five minutes: the function keeps failing, or falls behind the writes.
      const iteratorAge = this.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) });
      alarmAtOrAbove(this, 'IteratorAgeAlarm', iteratorAge, 60_000, `${this.node.id} is more than a minute behind its DynamoDB stream`, 5);
    }
  }
}
