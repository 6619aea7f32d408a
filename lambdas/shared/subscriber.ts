import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { orderEventMessageSchema, type OrderEventMessage } from '../domain/orders/index.ts';
import type { ConsumeResult, OrderedConsumerOptions, Ordering } from '../patterns/pub-sub/index.ts';
import { documentClient, requireEnv } from './clients.ts';
import { logger } from './logger.ts';

/** Where this subscriber keeps its per-order progress: one shared table, one partition per subscriber. */
export function consumerOptions(ordering: Ordering): OrderedConsumerOptions {
  return { client: documentClient, checkpointTable: requireEnv('SUBSCRIBER_CHECKPOINTS_TABLE'), subscriber: requireEnv('SUBSCRIBER_NAME'), ordering };
}

/**
 * The Lambda handler of a subscriber queue (SQS FIFO), with Powertools' FIFO batch processor: a message
 * that fails (unparseable, an unknown event type, or an effect that threw) is reported alone with the
 * messages after it in its order's group, so the rest of the batch is done and order within a group holds.
 */
export function subscriberHandler(consume: (message: OrderEventMessage) => Promise<ConsumeResult>) {
  const name = requireEnv('SUBSCRIBER_NAME');
  const processor = new SqsFifoPartialProcessorAsync();
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    try {
      const message = orderEventMessageSchema.parse(JSON.parse(record.body));
      const result = await consume(message);
      logger.debug(result, { subscriber: name, orderId: message.orderId, version: message.version, eventId: message.eventId });
    } catch (error) {
      logger.error('message failed', { subscriber: name, messageId: record.messageId, error: error as Error });
      throw error;
    }
  };
  const consumeBatch = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, handleRecord, processor, { context, skipGroupOnError: true, throwOnFullBatchFailure: false });
  return middy(consumeBatch).use(injectLambdaContext(logger));
}
