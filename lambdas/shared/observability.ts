import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from './logger.ts';

/**
 * One X-Ray tracer per bundle (service name from POWERTOOLS_SERVICE_NAME). Each invocation is a segment,
 * each AWS SDK call a subsegment (`tracer.captureAWSv3Client`). The local cloud's runtime marks its
 * invocations unsampled, as Lambda does for traces X-Ray drops, so the same code runs and sends nothing.
 */
export const tracer = new Tracer();

/** A Lambda handler with its log context (reset per invocation) and its trace segment. */
export function observed<Event, Result>(handler: (event: Event, context: Context) => Promise<Result>) {
  return middy(handler).use(captureLambdaHandler(tracer, { captureResponse: false })).use(injectLambdaContext(logger, { resetKeys: true }));
}
