import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from './logger.ts';

/**
 * One X-Ray tracer per bundle (service name from POWERTOOLS_SERVICE_NAME), where an X-Ray daemon is there to
 * receive segments: Lambda names it in AWS_XRAY_DAEMON_ADDRESS. Each invocation is a segment, each AWS SDK
 * call a subsegment (`traced`). Elsewhere (the local cloud, which runs no daemon) the tracer is not even
 * loaded: aws-xray-sdk-core turns on async hooks as it loads, and they tax every promise of every
 * invocation (aws/aws-xray-sdk-node#420): over a quarter of the functions' CPU on the local cloud, for
 * traces no one receives.
 */
const powertoolsTracer = process.env.AWS_XRAY_DAEMON_ADDRESS
  ? await Promise.all([import('@aws-lambda-powertools/tracer'), import('@aws-lambda-powertools/tracer/middleware')]).then(
      ([{ Tracer }, { captureLambdaHandler }]) => {
        const tracer = new Tracer();
        return { tracer, middleware: captureLambdaHandler(tracer, { captureResponse: false }) };
      },
    )
  : undefined;

/** An AWS SDK client whose calls are subsegments of the invocation's trace (the client itself where none is kept). */
export function traced<Client>(client: Client): Client {
  return powertoolsTracer ? powertoolsTracer.tracer.captureAWSv3Client(client) : client;
}

/** A Lambda handler with its log context (reset per invocation) and its trace segment. */
export function observed<Event, Result>(handler: (event: Event, context: Context) => Promise<Result>) {
  const wrapped = middy(handler);
  if (powertoolsTracer) wrapped.use(powertoolsTracer.middleware);
  return wrapped.use(injectLambdaContext(logger, { resetKeys: true }));
}
