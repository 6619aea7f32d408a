import { paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWAITING_PAYMENT, AWAITING_PAYMENT_INDEX } from '../domain/orders/index.ts';

/**
 * Ids of the orders still awaiting payment that were placed before `placedBefore`, oldest first, from the
 * sparse index (it holds only unpaid orders, so the query reads nothing else). Eventually consistent, like
 * every index: a nomination, to be judged against the event store.
 */
export async function* unpaidOrdersPlacedBefore(client: DynamoDBDocumentClient, viewTable: string, placedBefore: string): AsyncGenerator<string> {
  const pages = paginateQuery(
    { client, pageSize: 100 },
    {
      TableName: viewTable,
      IndexName: AWAITING_PAYMENT_INDEX,
      // customerOrderKey is `${placedAt}#${orderId}`: below the bare timestamp means placed strictly before it.
      KeyConditionExpression: 'awaitingPayment = :placed AND customerOrderKey < :before',
      ExpressionAttributeValues: { ':placed': AWAITING_PAYMENT, ':before': placedBefore },
      ProjectionExpression: 'orderId',
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) yield String(item.orderId);
}
